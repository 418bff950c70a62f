// Every child the bench starts is tracked here and killed by PID if the bench exits early.
import type { ChildProcess } from "node:child_process";

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Grandchildren (a server's forked workers) and how to tell the PID is still theirs. */
const descendants = new Map<number, () => boolean>();

/**
 * Tracks a forked worker of a tracked child: if the child dies first (SIGKILL), its workers
 * outlive it, keep answering, and keep the child's output pipe (and so the bench) open.
 */
export function trackDescendant(pid: number, stillOurs: () => boolean): void {
  descendants.set(pid, stillOurs);
}

/** Kills the tracked descendants that are still running and still ours, by PID. */
export function killDescendants(pids: readonly number[]): void {
  for (const pid of pids) {
    const stillOurs = descendants.get(pid);
    descendants.delete(pid);
    if (stillOurs === undefined || !stillOurs()) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  killDescendants([...descendants.keys()]);
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Command and arguments to run `command` on one CPU core (taskset keeps the PID), or as is. */
export function pinned(
  command: string,
  args: readonly string[],
  core: string | undefined,
): [string, string[]] {
  return core === undefined ? [command, [...args]] : ["taskset", ["-c", core, command, ...args]];
}
