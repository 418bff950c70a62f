// CPU time and memory of a process tree, read from /proc (Linux only).
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every Linux build we run on). */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  user: number;
  system: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(f[1]), user: Number(f[11]), system: Number(f[12]) };
}

/** `root` and all its descendants alive now. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = readStat(pid);
    if (s) parentOf.set(pid, s.ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree.filter((pid) => parentOf.has(pid));
}

export interface Cpu {
  /** CPU seconds in user mode and in the kernel (system calls: sockets, fsync...), summed. */
  user: number;
  system: number;
}

/**
 * CPU consumed so far by the children this process has waited for (cutime + cstime of
 * /proc/self/stat): a child's time is booked here once it has exited and been reaped, which is
 * how a short-lived load generator's CPU is read exactly.
 */
export function reapedChildrenCpuSeconds(): number {
  const text = readFileSync("/proc/self/stat", "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // f[13] is field 16 (cutime), f[14] field 17 (cstime).
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** CPU-seconds the whole machine has been busy so far (all cores: everything but idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / TICKS_PER_SECOND;
}

/** CPU consumed so far by the given processes, summed. */
export function cpuSeconds(pids: readonly number[]): Cpu {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const s = readStat(pid);
    user += s?.user ?? 0;
    system += s?.system ?? 0;
  }
  return { user: user / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND };
}

export interface Memory {
  /** Sum of resident set sizes (shared pages counted once per process that maps them). */
  rssKb: number;
  /** Sum of proportional set sizes (shared pages split between the processes mapping them). */
  pssKb: number;
}

export function memory(pids: readonly number[]): Memory {
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    } catch {
      continue;
    }
    rssKb += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    pssKb += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return { rssKb, pssKb };
}
