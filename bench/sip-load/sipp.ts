// Runs SIPp as a load generator and reads its final counts.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pinned, track } from "./cleanup.js";
import { reapedChildrenCpuSeconds } from "./procfs.js";

export interface SippOptions {
  /** The scenario XML; it is written to a fresh folder under workDir, where SIPp puts its logs. */
  scenarioXml: string;
  workDir: string;
  /** host:port of the server under test. */
  server: string;
  localPort: number;
  /** Calls to place (UAC) or answer (UAS) before exiting. */
  calls: number;
  /** New calls per second, and the most calls open at once. */
  rate?: number;
  limit?: number;
  /** SIPp's own global timeout: it stops and prints its counts after this many seconds. */
  timeoutS: number;
  args?: string[];
  /** CPU core to run on (taskset), if any. */
  core?: string;
}

export interface SippOutcome {
  successful: number;
  failed: number;
  exitCode: number | null;
  wallS: number;
  /** The tail of SIPp's error log, empty when nothing went wrong. */
  errors: string;
  /**
   * CPU-seconds SIPp used (user + kernel), read from the bench's reaped-children time when it
   * exited (any other child of the bench exiting meanwhile would count too: none does while a
   * phase is measured).
   */
  cpuS: number;
  /**
   * SIPp's own lateness: its watchdog is a 400 ms timer, and each time it fires more than 500 ms
   * after the previous firing SIPp prints a warning with the gap. `lateTimes` counts those
   * warnings, `lateWorstMs` is the largest gap. Non-zero means SIPp's main loop fell behind at
   * those moments: the load generator, not the server, set the pace there.
   */
  lateTimes: number;
  lateWorstMs: number;
  /** SIPp's "UDP errors (send/recv/cong)" counters, summed: sends it could not make. */
  udpErrors: number;
}

export interface RunningSipp {
  child: ChildProcess;
  done: Promise<SippOutcome>;
}

/** The cumulative column of SIPp's final "Successful call" / "Failed call" lines. */
function lastCount(stdout: string, label: string): number {
  let n = 0;
  for (const line of stdout.split("\n")) {
    if (!line.trimStart().startsWith(label)) continue;
    const cells = line.split("|");
    n = Number(cells[cells.length - 1]?.trim() ?? 0) || 0;
  }
  return n;
}

/** SIPp's watchdog warnings ("the minor watchdog timer 500ms has been tripped (GAP_MS), …"). */
function lateness(stdout: string): { times: number; worstMs: number } {
  let times = 0;
  let worstMs = 0;
  for (const m of stdout.matchAll(/watchdog timer \d+ms has been tripped \((\d+)\)/g)) {
    times++;
    worstMs = Math.max(worstMs, Number(m[1]));
  }
  return { times, worstMs };
}

/** The last "a/b/c UDP errors (send/recv/cong)" of SIPp's screen, summed. */
function udpErrors(stdout: string): number {
  let n = 0;
  for (const m of stdout.matchAll(/(\d+)\/(\d+)\/(\d+) UDP errors/g))
    n = Number(m[1]) + Number(m[2]) + Number(m[3]);
  return n;
}

export function startSipp(o: SippOptions): RunningSipp {
  const cwd = mkdtempSync(join(o.workDir, "sipp-"));
  const scenario = join(cwd, "scenario.xml");
  writeFileSync(scenario, o.scenarioXml);
  const args = [
    "-sf",
    scenario,
    "-m",
    String(o.calls),
    "-r",
    String(o.rate ?? 10),
    ...(o.limit !== undefined ? ["-l", String(o.limit)] : []),
    "-t",
    "u1",
    "-i",
    "127.0.0.1",
    "-p",
    String(o.localPort),
    "-timeout",
    `${o.timeoutS}s`,
    "-trace_err",
    "-nostdin",
    ...(o.args ?? []),
    o.server,
  ];
  const cpu0 = reapedChildrenCpuSeconds();
  const child = track(spawn(...pinned("sipp", args, o.core), { cwd, stdio: ["ignore", "pipe", "pipe"] }));
  const t0 = performance.now();
  let stdout = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
    if (stdout.length > 200_000) stdout = stdout.slice(-100_000);
  });
  child.stderr?.on("data", (d) => {
    stdout += d;
  });
  // Hard stop a little after SIPp's own timeout, in case it hangs.
  const killer = setTimeout(() => child.kill("SIGKILL"), (o.timeoutS + 10) * 1000);
  const done = new Promise<SippOutcome>((resolve, reject) => {
    child.once("error", (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(killer);
      const wallS = (performance.now() - t0) / 1000;
      const late = lateness(stdout);
      const errFile = readdirSync(cwd).find((f) => f.endsWith("_errors.log"));
      const errors = errFile ? readFileSync(join(cwd, errFile), "utf8").slice(-1500) : "";
      resolve({
        successful: lastCount(stdout, "Successful call"),
        failed: lastCount(stdout, "Failed call"),
        exitCode: code,
        wallS,
        errors,
        cpuS: reapedChildrenCpuSeconds() - cpu0,
        lateTimes: late.times,
        lateWorstMs: late.worstMs,
        udpErrors: udpErrors(stdout),
      });
    });
  });
  return { child, done };
}

export function runSipp(o: SippOptions): Promise<SippOutcome> {
  return startSipp(o).done;
}
