import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCENARIOS = join(import.meta.dirname, "..", "sipp");

export interface CarrierRun {
  readonly port: number;
  readonly address: string;
  /** Resolves when SIPp exits: code 0 = the scenario ran to its end with every check passing. */
  readonly finished: Promise<{ code: number | null; errors: string; stdout: string }>;
  stop(): Promise<void>;
}

/** SIPp playing a carrier (a UAS scenario from test/sipp) on `address`, on a free port unless given. */
export async function startCarrier(
  scenario: string,
  opts: {
    address?: string;
    port?: number;
    calls?: number;
    timeoutS?: number;
    vars?: Record<string, string>;
  } = {},
): Promise<CarrierRun> {
  if (spawnSync("sh", ["-c", "command -v sipp"]).status !== 0) {
    throw new Error("'sipp' is missing: install the Debian package 'sip-tester'");
  }
  const address = opts.address ?? "127.0.0.1";
  const port = opts.port ?? (await freePort(address));
  const dir = mkdtempSync(join(tmpdir(), "centrex-trunk-sipp-"));
  const file = join(dir, scenario);
  writeFileSync(file, readFileSync(join(SCENARIOS, scenario)));
  const args = [
    "-sf",
    file,
    "-i",
    address,
    "-p",
    String(port),
    "-m",
    String(opts.calls ?? 1),
    "-timeout",
    `${opts.timeoutS ?? 20}s`,
    "-timeout_error",
    "-trace_err",
    "-nostdin",
  ];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push("-set", k, v);
  const child: ChildProcess = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stdout += d;
  });
  const finished = new Promise<{ code: number | null; errors: string; stdout: string }>((resolve) => {
    child.once("close", (code) => {
      const errFile = readdirSync(dir).find((f) => f.endsWith("_errors.log"));
      const errors = errFile === undefined ? "" : readFileSync(join(dir, errFile), "utf8");
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, errors, stdout });
    });
  });
  await waitBound(address, port, child, () => stdout.slice(-600));
  return {
    port,
    address,
    finished,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await finished;
    },
  };
}

/** Waits until SIPp holds the UDP port (binding it ourselves fails). */
async function waitBound(
  address: string,
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode === 0) return; // already ran its scenario: it was bound
    if (child.exitCode !== null) throw new Error(`sipp exited early with ${child.exitCode}: ${output()}`);
    if (!(await udpFree(address, port))) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error("sipp did not bind its port");
}

export async function freePort(address = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, address, () => {
        const a = srv.address();
        const p = typeof a === "object" && a ? a.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (await udpFree(address, port)) return port;
  }
  throw new Error("no free port");
}

function udpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}
