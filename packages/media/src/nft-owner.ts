import { spawn } from "node:child_process";
import { readlinkSync } from "node:fs";

/**
 * Who owns an nftables table of centrex's: the process id and its PID namespace, written as
 * the table's comment. A switch or relay killed with SIGKILL cannot delete its tables; the
 * next centrex process to open a table on the machine removes those whose owner is gone, so a
 * crashed node's kernel bans or forwarding maps do not outlive it by hours. The namespace is
 * part of the mark because a container sharing the host's network has its own PID numbers:
 * a table made there is never judged from outside it.
 */
export function ownerComment(): string {
  return `centrex pid ${process.pid} pidns ${pidNamespace()}`;
}

/** `comment "…";` for the start of a table's body. */
export function ownerStatement(): string {
  return `comment "${ownerComment()}";`;
}

function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

const TABLE_HEAD =
  /^table (ip|ip6|inet) (centrex_[A-Za-z0-9_]+) \{\n\s*comment "centrex pid (\d+) pidns (\w+)"/gm;

/** Tables of centrex's in `ruleset` (`nft -t list ruleset` text) whose owner has exited. */
export function staleTables(ruleset: string, alive: (pid: number) => boolean = isAlive): string[] {
  const ns = pidNamespace();
  const out: string[] = [];
  for (const m of ruleset.matchAll(TABLE_HEAD)) {
    const [, family, name, pid, pidns] = m;
    if (pidns === ns && pidns !== "unknown" && !alive(Number(pid))) out.push(`${family} ${name}`);
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes the tables of exited centrex processes (see {@link ownerComment}); returns them as
 * "family name". Best effort: any failure (no nft, no permission) removes nothing.
 */
export async function removeStaleTables(nft = "nft"): Promise<string[]> {
  try {
    const stale = staleTables(await run(nft, ["-t", "list", "ruleset"]));
    if (stale.length === 0) return [];
    await run(nft, ["-f", "-"], stale.map((t) => `delete table ${t}`).join("\n"));
    return stale;
  } catch {
    return [];
  }
}

function run(nft: string, args: string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, args, { stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${nft} exited ${code}`))));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}
