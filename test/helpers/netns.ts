import { execFileSync, spawn } from "node:child_process";

/** Set (to the namespace's name) in a test process that runs inside its own network namespace. */
export const NETNS = process.env.CENTREX_NETNS;

/**
 * Runs `file` (a test module) again inside a fresh network namespace with only `lo` up, and
 * deletes the namespace afterwards: what every test that feeds the switch messages it did not
 * build itself (scanners, fuzzers, floods) does, so nothing it sends can leave the machine's
 * loopback. Resolves to the child's exit code; its output goes to ours.
 */
export async function runInNetns(file: string, timeoutMs: number): Promise<number> {
  const name = `centrex-t${process.pid}-${Date.now() % 100_000}`;
  execFileSync("ip", ["netns", "add", name]);
  try {
    execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", name, process.execPath, "--import", "tsx", file], {
        stdio: "inherit",
        env: { ...process.env, CENTREX_NETNS: name },
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve(code ?? 1);
      });
    });
  } finally {
    execFileSync("ip", ["netns", "delete", name]);
  }
}
