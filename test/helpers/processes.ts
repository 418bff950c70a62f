import { type ChildProcess, spawn, spawnSync } from "node:child_process";

/** Fails loudly when a Debian peer the test needs is not installed (never skips). */
export function requireCommand(command: string, debianPackage: string): void {
  const r = spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
  if (r.status !== 0) {
    throw new Error(
      `'${command}' is missing: install the Debian package '${debianPackage}' (npm test does this)`,
    );
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a hard time limit. */
export function runToEnd(
  command: string,
  args: string[],
  timeoutMs: number,
  cwd?: string,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Stops a child we started, by its PID; waits for it to exit. */
export async function stop(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 5000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
