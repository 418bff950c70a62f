// The two servers under test: provisioning, start on loopback, readiness, stop by PID.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openSqliteStore } from "@centrex/store";
import { killDescendants, pinned, track, trackDescendant } from "./cleanup.js";
import { processTree } from "./procfs.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const CENTREX_BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");
const KAMAILIO_CFG = join(import.meta.dirname, "kamailio", "kamailio.cfg");

export interface User {
  user: string;
  password: string;
}

export interface RunningServer {
  name: "centrex" | "kamailio";
  pid: number;
  port: number;
  child: ChildProcess;
  /** What the server printed (last 20 kB), for failure reports. */
  output(): string;
  stop(): Promise<void>;
}

/** A port free for UDP and TCP on 127.0.0.1 right now (centrex listens on both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("no free UDP+TCP port");
}

/** Writes the tenant and its extensions with the store API (one CLI process each is too slow). */
export async function provisionCentrex(
  dbPath: string,
  domain: string,
  users: readonly User[],
): Promise<void> {
  const store = openSqliteStore(dbPath);
  try {
    const customer = await store.customers.create({ name: "Bench", domain });
    for (const u of users) {
      await store.extensions.create({ customerId: customer.id, number: u.user, password: u.password });
    }
  } finally {
    store.close();
  }
}

/** DB_TEXT tables for kamailio.cfg: an htable of HA1s (default) and a subscriber table (WITH_AUTHDB). */
export function provisionKamailio(dir: string, domain: string, users: readonly User[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "version"), "table_name(string) table_version(int)\nhtable:2\nsubscriber:7\n");
  const ht = ["id(int,auto) key_name(string) key_type(int) value_type(int) key_value(string) expires(int)"];
  const sub = ["id(int,auto) username(string) domain(string) password(string)"];
  users.forEach((u, i) => {
    const ha1 = createHash("md5").update(`${u.user}:${domain}:${u.password}`).digest("hex");
    ht.push(`${i + 1}:${u.user}@${domain}:0:0:${ha1}:0`);
    sub.push(`${i + 1}:${u.user}:${domain}:${u.password}`);
  });
  writeFileSync(join(dir, "htable"), `${ht.join("\n")}\n`);
  writeFileSync(join(dir, "subscriber"), `${sub.join("\n")}\n`);
}

function capture(child: ChildProcess): () => string {
  let out = "";
  const keep = (d: Buffer) => {
    out += d;
    if (out.length > 40_000) out = out.slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => out;
}

/** Resolves once the server answers an OPTIONS (any status) over UDP. */
async function waitReady(
  port: number,
  child: ChildProcess,
  output: () => string,
  seconds = 30,
): Promise<void> {
  const sock = createSocket("udp4");
  let answered = false;
  // A 503 is the switch still starting (its proxy not wired yet): not ready for calls.
  sock.on("message", (data: Buffer) => {
    if (!data.toString("latin1", 0, 12).startsWith("SIP/2.0 503")) answered = true;
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const local = sock.address().port;
  try {
    for (let i = 0; i < seconds * 5 && !answered; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
      const msg = [
        `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ready-${i};rport`,
        "Max-Forwards: 70",
        `From: <sip:bench@127.0.0.1>;tag=ready${i}`,
        `To: <sip:ping@127.0.0.1:${port}>`,
        `Call-ID: ready-${i}-${local}@127.0.0.1`,
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      sock.send(msg, port, "127.0.0.1");
      await sleep(200);
    }
    if (!answered)
      throw new Error(`server on port ${port} did not answer OPTIONS in ${seconds} s:\n${output()}`);
  } finally {
    sock.close();
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const hard = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.once("exit", () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/**
 * Under Clinic the server is a grandchild (npx → clinic → node): interrupting the server itself
 * lets it shut down cleanly, after which Clinic analyses the profile and writes its HTML, which
 * can take minutes; only then does the whole tree exit.
 */
function clinicStopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const hard = setTimeout(() => {
        for (const pid of processTree(child.pid ?? -1).reverse()) killPid(pid, "SIGKILL");
      }, 600_000);
      child.once("exit", () => {
        clearTimeout(hard);
        resolve();
      });
      // npx and clinic carry the server's command line too: the server is the deepest match.
      const server = processTree(child.pid ?? -1)
        .filter((pid) => cmdline(pid).includes(CENTREX_BIN))
        .pop();
      if (server === undefined) child.kill("SIGINT");
      else killPid(server, "SIGINT");
    });
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export interface CentrexStart {
  db: string;
  port: number;
  configFile: string;
  /** When set, node writes a .cpuprofile there on exit. */
  cpuProfileDir?: string;
  /** Node writes /tmp/perf-PID.map so Linux perf can name JIT-compiled frames (`--perf`). */
  perfMap?: boolean;
  /** When set, SIGUSR2 makes node write a heap snapshot there (see heap.ts). */
  heapSnapshotDir?: string;
  /** CPU core to run on (taskset), if any. */
  core?: string;
  /** When set, SIGWINCH makes the server write its V8 heap spaces there (memory-probe.mjs). */
  memProbeDir?: string;
  /** Extra environment for the server (an experiment's V8 or glibc settings). */
  env?: Record<string, string>;
  /**
   * Run under Clinic.js (`npx clinic flame|doctor`, NO_INSIGHT=1: nothing is uploaded, nothing
   * outside is reachable anyway); stop() waits for its HTML report, written to `dir`.
   */
  clinic?: { tool: "flame" | "doctor"; dir: string };
}

export async function startCentrex(o: CentrexStart): Promise<RunningServer> {
  const nodeArgs = o.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfileDir}`] : [];
  // The map is all perf needs; V8 would also write an isolate-*.log of its own into the cwd.
  if (o.perfMap) nodeArgs.push("--perf-basic-prof", "--no-logfile-per-isolate", "--logfile=/dev/null");
  if (o.heapSnapshotDir)
    nodeArgs.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${o.heapSnapshotDir}`);
  if (o.memProbeDir) nodeArgs.push("--import", join(import.meta.dirname, "memory-probe.mjs"));
  const centrexArgs = [
    ...nodeArgs,
    CENTREX_BIN,
    ...["start", "--db", o.db, "--sip-address", "127.0.0.1", "--sip-port", String(o.port)],
    ...["--config", o.configFile],
  ];
  const [command, args] = o.clinic
    ? pinned(
        "npx",
        [
          "--yes",
          "clinic",
          o.clinic.tool,
          "--open=false",
          "--dest",
          o.clinic.dir,
          "--",
          process.execPath,
          ...centrexArgs,
        ],
        o.core,
      )
    : pinned(process.execPath, centrexArgs, o.core);
  const child = track(
    spawn(command, args, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...(o.clinic && { NO_INSIGHT: "1" }),
        ...(o.memProbeDir && { CENTREX_MEMPROBE_DIR: o.memProbeDir }),
        ...o.env,
      },
    }),
  );
  const output = capture(child);
  const server: RunningServer = {
    name: "centrex",
    pid: child.pid ?? -1,
    port: o.port,
    child,
    output,
    stop: o.clinic ? clinicStopper(child) : stopper(child),
  };
  try {
    // Under Clinic, npx resolves the package and 0x starts node with --prof first: slower.
    await waitReady(o.port, child, output, o.clinic ? 180 : 30);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** The centrex YAML for the bench: quiet logs, calls challenged or not, media anchored or not. */
export function centrexConfig(authenticateCalls: boolean, media: boolean): string {
  return [
    "media:",
    `  enabled: ${media}`,
    "log:",
    "  level: warn",
    "registrar:",
    "  maxExpires: 3600",
    // No OPTIONS keepalives: the bench's phones are gone once registered and its callee SIPp
    // does not answer OPTIONS, so pings would drop their bindings; Kamailio here pings none either.
    "  keepaliveSeconds: 0",
    "proxy:",
    `  authenticateCalls: ${authenticateCalls}`,
    // The bench's whole load comes from one loopback address: the per-source flood limit
    // would ban it within milliseconds. Flood defence is measured in test/flood.test.ts.
    "security:",
    '  allow: ["127.0.0.0/8"]',
    "  maxTransactionsPerSource: 1000000",
    "",
  ].join("\n");
}

export interface KamailioStart {
  dbDir: string;
  port: number;
  authenticateCalls: boolean;
  core?: string;
}

export async function startKamailio(o: KamailioStart): Promise<RunningServer> {
  const args = [
    "-f",
    KAMAILIO_CFG,
    "-DD",
    "-E",
    // Shared memory holds every transaction tm keeps: each lives its wait time (5 s) after its
    // final response, so the need grows with the call rate. With -m 64 a third of the calls got
    // `500 No error (2/SL)` (shm exhausted) at ~500 calls/s, with -m 128 at ~1,700 calls/s;
    // 256 failed some runs near 3,000 calls/s. 1 GB leaves room at any rate SIPp reaches here.
    // Private memory (-M) per process does not grow with the rate: 64 MB is plenty.
    "-m",
    "1024",
    "-M",
    "64",
    "-l",
    `udp:127.0.0.1:${o.port}`,
    "-A",
    `DBURL="text://${o.dbDir}"`,
    ...(o.authenticateCalls ? ["-A", "AUTH_CALLS"] : []),
  ];
  const child = track(spawn(...pinned("kamailio", args, o.core), { stdio: ["ignore", "pipe", "pipe"] }));
  const output = capture(child);
  // Kamailio forks its workers; on SIGTERM it stops them itself, but if the main process dies
  // (killed) they live on: stop() then kills the ones started with it, by PID.
  let workers: number[] = [];
  const listen = `udp:127.0.0.1:${o.port}`;
  const stopMain = stopper(child);
  const server: RunningServer = {
    name: "kamailio",
    pid: child.pid ?? -1,
    port: o.port,
    child,
    output,
    stop: async () => {
      await stopMain();
      await sleep(200);
      killDescendants(workers);
    },
  };
  try {
    await waitReady(o.port, child, output);
    workers = processTree(server.pid).filter((pid) => pid !== server.pid);
    for (const pid of workers) trackDescendant(pid, () => cmdline(pid).includes(listen));
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
