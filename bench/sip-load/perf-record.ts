// `--perf`: Linux perf samples the centrex process's CPU time (user and kernel, every thread:
// the V8 compiler and GC helpers, SQLite, sendmsg), with --perf-basic-prof naming the JIT frames.
// The counterpart of --cpu-prof, which samples the JS thread's wall clock: there a blocking fsync
// shows as time, here only what the CPU-second figure counts does.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";

export interface PerfRecording {
  /** Stops sampling (SIGINT) and waits until perf has written its file. */
  stop(): Promise<void>;
}

/** perf on PATH, allowed to sample a process we started (root here). */
export function perfAvailable(): boolean {
  return spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;
}

export function recordPerf(pid: number, out: string): PerfRecording {
  const child: ChildProcess = spawn(
    "perf",
    ["record", "-q", "-F", "999", "-g", "-p", String(pid), "-o", out],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async stop() {
      child.kill("SIGINT");
      await done;
    },
  };
}

/**
 * CPU samples by where the code lives (DSO), then the top symbols, as text. Node's map of JIT
 * frames (/tmp/perf-PID.map) is left beside the recording: `perf report -i FILE` needs it later.
 */
export function perfSummary(file: string, top = 25): string {
  const report = (args: string[]): string =>
    spawnSync("perf", ["report", "-i", file, "--stdio", "--no-children", "-g", "none", ...args], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    })
      .stdout.split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .slice(0, top)
      .map((l) => l.slice(0, 160))
      .join("\n");
  return `${report(["--sort", "dso"])}\n\n${report(["--sort", "sym"])}`;
}
