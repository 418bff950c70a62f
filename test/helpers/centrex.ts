import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { runToEnd, stop } from "./processes.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");

export interface RunningSwitch {
  child: ChildProcess;
  address: string;
  port: number;
  db: string;
  /** Everything the process logged so far (pino JSON lines). */
  logs(): string;
  /**
   * Waits until the logs match `pattern` (the child's stdout arrives through a pipe, so a line
   * logged before an answer can reach the test after it); false after `ms`.
   */
  waitForLog(pattern: RegExp, ms?: number): Promise<boolean>;
  /** The first log line matching `pattern`, waited for up to `ms` (default 5 s). */
  logLine(pattern: RegExp, ms?: number): Promise<string | undefined>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `centrex start` on loopback with a fresh database; resolves once it listens. */
export async function startSwitch(
  opts: {
    address?: string;
    port?: number;
    db?: string;
    args?: string[];
    /** Replaces the environment (e.g. a PATH without `nft`: the kernel path unavailable). */
    env?: NodeJS.ProcessEnv;
    /**
     * The phones are SIPp scripts: turn NAT keepalive OPTIONS off (`registrar.keepaliveSeconds:
     * 0`) unless the config sets `registrar:` itself. Listed in test/README.md: a SIPp phone runs
     * one script and cannot answer an OPTIONS arriving in the middle of it, which a real phone
     * (baresip, a desk phone) does; tests with real phones run the default.
     */
    sippPhones?: boolean;
  } = {},
): Promise<RunningSwitch> {
  const address = opts.address ?? "127.0.0.1";
  const port = opts.port ?? (await freePort(address));
  const dir = mkdtempSync(join(tmpdir(), "centrex-e2e-"));
  const db = opts.db ?? join(dir, "centrex.db");
  const args = opts.sippPhones === true ? withoutKeepalive(opts.args ?? [], dir) : (opts.args ?? []);
  const child = spawn(
    process.execPath,
    [BIN, "start", "--db", db, "--sip-address", address, "--sip-port", String(port), ...args],
    { stdio: ["ignore", "pipe", "pipe"], ...(opts.env !== undefined && { env: opts.env }) },
  );
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    // A switch that did not start in time is stopped, not left running after the test.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`centrex did not start in 20 s:\n${out}`));
    }, 20_000);
    const check = () => {
      if (out.includes('"event":"started"')) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`centrex exited with ${code} before starting:\n${out}`));
    });
  });
  const waitForLog = async (pattern: RegExp, ms = 5000): Promise<boolean> => {
    const end = Date.now() + ms;
    while (!pattern.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return pattern.test(out);
  };
  const logLine = async (pattern: RegExp, ms = 5000): Promise<string | undefined> => {
    const line = () => out.split("\n").find((l) => pattern.test(l));
    const end = Date.now() + ms;
    while (line() === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return line();
  };
  return {
    child,
    address,
    port,
    db,
    logs: () => out,
    waitForLog,
    logLine,
    stop: (signal) => stop(child, signal),
  };
}

/** The `sippPhones` override: keepalive OPTIONS off, written into the test's config file. */
function withoutKeepalive(args: string[], dir: string): string[] {
  const i = args.indexOf("--config");
  if (i >= 0) {
    const file = args[i + 1]!;
    const text = readFileSync(file, "utf8");
    if (!/^registrar:/m.test(text)) writeFileSync(file, `${text}\nregistrar:\n  keepaliveSeconds: 0\n`);
    return args;
  }
  const file = join(dir, "centrex.yaml");
  writeFileSync(file, "registrar:\n  keepaliveSeconds: 0\n");
  return [...args, "--config", file];
}

/** Runs a one-shot `centrex …` command (customer add, extension add…). */
export async function centrex(args: string[]) {
  return runToEnd(process.execPath, [BIN, ...args], 30_000);
}

/**
 * Runs `centrex` commands on a switch's database in order, as an operator would set it up
 * (`customer add`, `extension add`…); throws naming the first command that failed and why.
 */
export async function provision(db: string, commands: ReadonlyArray<readonly string[]>): Promise<void> {
  for (const args of commands) {
    const r = await centrex([...args, "--db", db]);
    if (r.code !== 0) throw new Error(`centrex ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  }
}

/** The admin API's URL, as the switch logs it when `admin.port` is 0 (any free port). */
export function adminUrl(sw: RunningSwitch): string {
  const url = /"event":"admin-started","url":"([^"]+)"/.exec(sw.logs())?.[1];
  if (url === undefined) throw new Error(`admin API URL not logged:\n${sw.logs()}`);
  return url;
}
