import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passwordOf } from "./passwords.js";
import { type Finished, requireCommand, runToEnd, stop } from "./processes.js";

export const SCENARIOS = join(import.meta.dirname, "..", "sipp");

export interface SippRun {
  /** A file name under test/sipp, or the XML itself (see scenarios.ts). */
  scenario: string;
  server: string; // host:port
  transport?: "u1" | "un" | "t1" | "tn";
  localIp?: string;
  /** Local SIP port (a phone that registered from a port must answer calls on it). */
  localPort?: number;
  calls?: number;
  rate?: number;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface SippResult extends Finished {
  /** SIPp's error log, if it wrote one: says which message was unexpected. */
  errors: string;
}

/** Runs a SIPp client scenario to completion; exit code 0 means every call succeeded. */
export async function runSipp(o: SippRun): Promise<SippResult> {
  requireCommand("sipp", "sip-tester");
  // SIPp writes its logs beside the scenario file: run a copy in a scratch folder.
  const dir = mkdtempSync(join(tmpdir(), "centrex-sipp-"));
  const inline = o.scenario.trimStart().startsWith("<");
  const scenarioCopy = join(dir, inline ? "scenario.xml" : o.scenario);
  if (inline) writeFileSync(scenarioCopy, o.scenario);
  else copyFileSync(join(SCENARIOS, o.scenario), scenarioCopy);
  const args = [
    "-sf",
    scenarioCopy,
    "-m",
    String(o.calls ?? 1),
    "-r",
    String(o.rate ?? 10),
    "-t",
    o.transport ?? "u1",
    "-i",
    o.localIp ?? "127.0.0.1",
    ...(o.localPort !== undefined ? ["-p", String(o.localPort)] : []),
    "-timeout",
    `${Math.ceil((o.timeoutMs ?? 15_000) / 1000)}s`,
    "-timeout_error",
    "-trace_err",
    "-nostdin",
    // CENTREX_SIPP_TRACE=1 keeps every message SIPp saw, for a failing test's explanation.
    ...(process.env.CENTREX_SIPP_TRACE ? ["-trace_msg"] : []),
    ...(o.extraArgs ?? []),
    o.server,
  ];
  const r = await runToEnd("sipp", args, (o.timeoutMs ?? 15_000) + 5_000, dir);
  const errFile = readdirSync(dir).find((f) => f.endsWith("_errors.log"));
  const msgFile = readdirSync(dir).find((f) => f.endsWith("_messages.log"));
  const errors =
    (errFile ? readFileSync(join(dir, errFile), "utf8") : "") +
    (msgFile ? `\n--- messages ---\n${readFileSync(join(dir, msgFile), "utf8").slice(-6000)}` : "");
  return { ...r, errors };
}

/**
 * A carrier scenario from test/sipp (default carrier-answer.xml) that also checks what the
 * INVITE asked for: `checks` maps a name to [header ("request-line" for the start line), regexp].
 */
export function expectingInvite(
  checks: Record<string, [header: string, pattern: string]>,
  scenario = "carrier-answer.xml",
): string {
  const xml = readFileSync(join(SCENARIOS, scenario), "utf8");
  const eregs = Object.entries(checks).map(([name, [header, pattern]]) =>
    header === "request-line"
      ? `<ereg regexp="${pattern}" search_in="msg" check_it="true" assign_to="${name}"/>`
      : `<ereg regexp="${pattern}" search_in="hdr" header="${header}:" check_it="true" assign_to="${name}"/>`,
  );
  return xml
    .replace('<recv request="INVITE"/>', `<recv request="INVITE"><action>${eregs.join("")}</action></recv>`)
    .replace("</scenario>", `<Reference variables="${Object.keys(checks).join(",")}"/></scenario>`);
}

/** A SIPp carrier (UAS) running in the background for many calls, until stopped. */
export interface SippCarrier {
  readonly address: string;
  readonly port: number;
  /** Stops SIPp (by its PID) and returns its error log: "Aborting call" lines mean a failed call. */
  stop(): Promise<string>;
}

export async function startSippCarrier(o: {
  scenario: string;
  localIp: string;
  localPort: number;
  maxSeconds?: number;
}): Promise<SippCarrier> {
  requireCommand("sipp", "sip-tester");
  const dir = mkdtempSync(join(tmpdir(), "centrex-sipp-carrier-"));
  copyFileSync(join(SCENARIOS, o.scenario), join(dir, o.scenario));
  const child = spawn(
    "sipp",
    [
      "-sf",
      o.scenario,
      "-i",
      o.localIp,
      "-p",
      String(o.localPort),
      "-m",
      "10000",
      "-timeout",
      `${o.maxSeconds ?? 180}s`,
      "-trace_err",
      "-nostdin",
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  await new Promise((r) => setTimeout(r, 500)); // let SIPp bind
  if (child.exitCode !== null) throw new Error(`sipp carrier exited with ${child.exitCode}`);
  return {
    address: o.localIp,
    port: o.localPort,
    async stop() {
      await stop(child, "SIGKILL");
      const errFile = readdirSync(dir).find((f) => f.endsWith("_errors.log"));
      return errFile ? readFileSync(join(dir, errFile), "utf8") : "";
    },
  };
}

/** The failed calls a carrier's error log records (SIPp's "Dead call … received" lines are retransmissions, not failures). */
export function failedCalls(errors: string): string[] {
  return errors.split(/\n(?=\d{4}-\d{2}-\d{2}\t)/).filter((e) => /Aborting call|unexpected|failed/i.test(e));
}

/**
 * SIPp's arguments for a phone of `domain`: `-s service` (default: the user), its digest user
 * and password (`-au`/`-ap`, the user's test password unless given), and scenario variables
 * (`-set name value`).
 */
export function phoneArgs(o: {
  user: string;
  domain: string;
  service?: string;
  password?: string;
  vars?: Readonly<Record<string, string>>;
}): string[] {
  const vars = Object.entries(o.vars ?? {}).flatMap(([name, value]) => ["-set", name, value]);
  return [
    "-s",
    o.service ?? o.user,
    "-au",
    o.user,
    "-ap",
    o.password ?? passwordOf(o.user),
    "-set",
    "domain",
    o.domain,
    ...vars,
  ];
}
