// Every child the bench starts is tracked here and killed by PID if the bench exits early.
import type { ChildProcess } from "node:child_process";

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
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
