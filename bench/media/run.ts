// Media relay benchmark: N concurrent G.711 calls through centrex's relay (userspace, and the
// nftables kernel path) and rtpengine (userspace) side by side in one run, driven by a C load
// generator (gen.c, built here with `cc`) that stays on schedule. Loopback only.
//   npx tsx bench/media/run.ts --calls 500 --seconds 10
//   npx tsx bench/media/run.ts --sweep 250,500,1000,1500,2000 --seconds 5     # capacity + charts
//   npx tsx bench/media/run.ts --clinic flame --calls 300 --seconds 10        # userspace relay profile
// options: --targets centrex,centrex-kernel,rtpengine[,centrex-workers[:N]]  --core 1  --gen-core 0
//          (centrex-workers:N: N worker processes sharing the port range, default 2; several
//          may be given: centrex-workers:1,centrex-workers:2)  --netns (a namespace of its own)
//          --no-rt (no SCHED_FIFO)  --out DIR (charts and JSON; default bench/media/results)
//          --ipv6 (phones fd00:1::/fd00:2:: on lo, relays on ::1; needs --netns)
//          node-floor: the cheapest Node dgram relay (floor-relay.ts), Node's own cost per packet
//          node-floor-raw: the same on Node's raw UDP handles (floor-raw-relay.ts), below dgram's JavaScript
//          --cpu-prof (V8 profile of the centrex relay process under OUT/cpu-prof)
//          --relay-node PATH (the node binary running the centrex and floor relays)
//          --relay-flags "FLAGS" (Node/V8 flags for them, e.g. --trace-gc)
//          --relay-stall MS:EVERY (the centrex relay process's event loop blocked, as by SIP work)
//          a target with -tsx (centrex-tsx, node-floor-tsx…): the relay's .ts under --import tsx,
//          as before (default: compiled JavaScript, as production runs)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RemoteMediaController } from "@centrex/media";
import { lineChart } from "./chart.js";
import { NgClient } from "./ng-client.js";

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const HERE = import.meta.dirname;
const CLINIC = opt("clinic", "");
/** `--cpu-prof`: V8's sampling profile of the centrex relay process, written under OUT/cpu-prof on exit. */
const CPU_PROF = flag("cpu-prof");
const SWEEP = opt("sweep", "")
  .split(",")
  .filter((s) => s !== "")
  .map((s) => Math.min(10_000, Math.max(1, Number(s))));
const CALLS = SWEEP.length > 0 ? SWEEP : [Math.min(10_000, Math.max(1, Number(opt("calls", "500"))))];
const SECONDS = Math.min(120, Math.max(1, Number(opt("seconds", "10"))));
const TARGETS = opt("targets", CLINIC ? "centrex" : "centrex,centrex-kernel,rtpengine").split(",");
const RELAY_CORE = opt("core", "1");
const GEN_CORE = opt("gen-core", "0");
const RT = !flag("no-rt");
const RT_RELAYS = flag("rt-relays");
/**
 * With --rt-relays, a Node relay's helper threads (V8's compiler and GC workers) run one
 * real-time priority above its main thread, as they would on an idle core of their own;
 * `--rt-helpers-same` leaves them at the main thread's priority (the old way, to show it).
 */
const RT_HELPERS_SAME = flag("rt-helpers-same");
const OUT = opt("out", join(HERE, "results"));
const IPV6 = flag("ipv6");
/** `--relay-node PATH`: the Node binary for the centrex and floor relays (e.g. another major). */
const RELAY_NODE = opt("relay-node", process.execPath);
/** `--relay-flags "--max-semi-space-size=16 --trace-gc"`: Node/V8 flags for the centrex and floor relays. */
const RELAY_FLAGS = opt("relay-flags", "")
  .split(" ")
  .filter((s) => s !== "");
/** `--relay-stall MS:EVERY`: the centrex relay process's event loop blocked MS ms every EVERY ms (SIP work). */
const RELAY_STALL = opt("relay-stall", "");
/** `--floor-idle N`: the floor relay binds N idle sockets per call more (centrex binds 4 per call, the floor 2). */
const FLOOR_IDLE = opt("floor-idle", "0");
/** Where the relays listen: the phones send to this address. */
const RELAY_ADDR = IPV6 ? "::1" : "127.0.0.1";
/** Worker processes of a `centrex-workers[:N]` target. */
const workersOf = (t: string): number => Math.min(8, Math.max(1, Number(t.split(":")[1] ?? "2") || 2));
const KNOWN_TARGETS =
  /^(direct|rtpengine|(centrex|centrex-kernel|node-floor|node-floor-raw|centrex-workers)(-tsx)?)$/;
for (const t of TARGETS)
  if (!KNOWN_TARGETS.test(t.split(":")[0]!)) {
    console.error(`unknown target ${t}`);
    process.exit(2);
  }
const GEN_PORT = 52_000;
/** A run whose generator was late by more than this at p99 measured the generator, not the relay. */
const LATE_LIMIT_MS = 1;
const LOSS_LIMIT = 0.001;
const ADDED_P99_LIMIT_MS = 5;

interface Relay {
  name: string;
  /** Processes whose CPU time is the relay's. */
  pids: number[];
  offer(callId: string, sdp: string): Promise<string>;
  answer(callId: string, sdp: string): Promise<string>;
  remove(callId: string): Promise<void>;
  stop(): Promise<void>;
}

// IPv6: the namespace's lo carries these (inNetns adds them); IPv4: all of 127/8 is local.
const phoneA = (c: number): string =>
  IPV6 ? `fd00:1::${(c + 1).toString(16)}` : `127.1.${c >> 8}.${c & 255}`;
const phoneB = (c: number): string =>
  IPV6 ? `fd00:2::${(c + 1).toString(16)}` : `127.2.${c >> 8}.${c & 255}`;

function sdp(address: string, port: number): string {
  const ip = address.includes(":") ? "IP6" : "IP4";
  return `${[
    "v=0",
    `o=bench ${port} 1 IN ${ip} ${address}`,
    "s=bench",
    `c=IN ${ip} ${address}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP 0 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=sendrecv",
  ].join("\r\n")}\r\n`;
}

const mPort = (s: string): number => Number(/m=audio (\d+)/.exec(s)?.[1] ?? 0);

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, ms);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Runs `argv` pinned to `core`; the generator (prio > 0) SCHED_FIFO unless --no-rt: the machine
 * is shared and others would preempt it off its schedule. Relays stay at normal priority
 * (`--rt-relays` to change that for the userspace relays): a relay gone wrong at real-time
 * priority freezes its core. The kernel-path relay never runs real-time (`never`): it does no
 * per-packet work, and its `nft` children once held a real-time core for an hour.
 */
function pinned(core: string, prio: number, cmd: string[], never = false): string[] {
  const rt = prio > 0 ? RT : RT_RELAYS && !never;
  return [...(rt ? ["chrt", "-f", String(Math.abs(prio))] : []), "taskset", "-c", core, ...cmd];
}

/** Waits (bounded: 120 s) for a file to hold a line: Clinic.js redirects the relay's stdout. */
async function fileLine(path: string, what: string): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text.trim();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start in 120 s`);
}

/**
 * The relay process as the compiled JavaScript production runs (esbuild, `@centrex/*` left to
 * their dist/), built into bench/media/.build. Not `--import tsx`: on Node 20 tsx's module
 * hooks run on a thread of their own whose event loop polls with setImmediate while the main
 * thread is busy — at 150 calls `perf` put 57 % of the relay process's samples on that thread,
 * pinned to the relay's core (the `-tsx` targets keep that way of running, to show it).
 */
function buildRelay(): string {
  const out = join(HERE, ".build", "relay-process.mjs");
  const r = spawnSync(
    join(HERE, "..", "..", "node_modules", ".bin", "esbuild"),
    [
      join(HERE, "relay-process.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--packages=external",
      "--external:@centrex/*",
      "--target=node20",
      "--log-level=warning",
      `--outfile=${out}`,
    ],
    { stdio: "inherit" },
  );
  if (r.status !== 0) throw new Error("esbuild failed to build bench/media/relay-process.ts");
  return out;
}

async function startCentrex(
  kind: "userspace" | "kernel" | "workers" | "floor" | "floor-raw",
  workers: number,
  viaTsx: boolean,
): Promise<Relay> {
  const base = kind === "kernel" ? 36000 : 42000;
  const infoFile = join(tmpdir(), `centrex-media-relay-${process.pid}-${kind}.json`);
  rmSync(infoFile, { force: true });
  const entry = viaTsx ? ["--import", "tsx", "bench/media/relay-process.ts"] : [buildRelay()];
  const relayArgs = [
    "--info-file",
    infoFile,
    "--port-min",
    String(base),
    "--port-max",
    String(base + 5999),
    "--kernel",
    kind === "kernel" ? "auto" : "off",
    "--bind",
    RELAY_ADDR,
    ...(kind === "workers" ? ["--workers", String(workers)] : []),
    ...(kind === "floor" ? ["--floor", "--floor-idle", FLOOR_IDLE] : []),
    ...(kind === "floor-raw" ? ["--floor-raw"] : []),
    ...(RELAY_STALL !== "" && !kind.startsWith("floor") ? ["--stall", RELAY_STALL] : []),
  ];
  const cmd =
    CLINIC === "flame"
      ? [
          "npx",
          "--yes",
          "clinic@13",
          "flame",
          "--dest",
          join(OUT, "clinic"),
          "--",
          "node",
          ...entry,
          ...relayArgs,
        ]
      : pinned(
          RELAY_CORE,
          -40,
          [
            RELAY_NODE,
            ...RELAY_FLAGS,
            ...(CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", join(OUT, "cpu-prof")] : []),
            ...entry,
            ...relayArgs,
          ],
          kind === "kernel",
        );
  const child = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NO_INSIGHT: "1" },
  });
  child.once("exit", (code, signal) => {
    if (!stopping) process.stderr.write(`\ncentrex relay exited: ${signal ?? code}\n`);
  });
  let stopping = false;
  // The relay's stdout carries what its flags print (--trace-gc): the info is read from its file.
  child.stdout!.pipe(process.stderr);
  const info = JSON.parse(await fileLine(infoFile, "centrex relay")) as {
    control: number;
    pids: number[];
    kernel: boolean;
  };
  if (kind === "kernel" && !info.kernel)
    throw new Error("centrex kernel path unavailable (root and nftables needed)");
  // Not under tsx: its module-hooks thread polls while the main thread is busy, and above the
  // main thread it would take the core (the -tsx targets show the old way anyway).
  if (RT_RELAYS && kind !== "kernel" && CLINIC === "" && !viaTsx && !RT_HELPERS_SAME) raiseHelpers(info.pids);
  const control = new RemoteMediaController({ host: "127.0.0.1", port: info.control, timeoutMs: 10_000 });
  const names = {
    userspace: "centrex userspace",
    kernel: "centrex kernel (nftables)",
    workers: `centrex userspace, ${workers} worker${workers === 1 ? "" : "s"}`,
    floor: "Node dgram floor (no centrex code)",
    "floor-raw": "Node raw-handle floor (no dgram JS)",
  };
  return {
    name: `${names[kind]}${viaTsx ? " under tsx" : ""}`,
    pids: info.pids,
    offer: (id, s) => control.offer(id, "a", s),
    answer: (id, s) => control.answer(id, "b", s),
    remove: async (id) => void (await control.delete(id)),
    async stop() {
      stopping = true;
      await control.close();
      child.kill("SIGINT");
      await waitExit(child, CLINIC || CPU_PROF ? 120_000 : 5000);
    },
  };
}

/**
 * A Node relay started under `chrt -f 40` has every thread at SCHED_FIFO 40 on one core, so
 * V8's helper threads run only when the main thread blocks. Saturated by unoptimised code,
 * the main thread never blocks, the concurrent Turbofan job that would make it fast never
 * runs, and the relay stays saturated: at 300 calls the second step of a sweep (the first
 * step's teardown had deoptimised `receive` and `Socket.send`: closed sockets change the
 * field types they were compiled for) used 3.8 of 4 CPU-s where the first used 2.1–2.6,
 * and `--trace-opt` showed `receive` marked for optimisation 68 times, its job never done.
 * Production runs at normal priority, the helpers on any core. Here they get the priority
 * above the main thread's: a compile or GC task preempts it as soon as it is posted, its
 * CPU still counted as the relay's (utime+stime of every thread).
 */
function raiseHelpers(pids: number[]): void {
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids)
      if (Number(tid) !== pid) spawnSync("chrt", ["-f", "-p", "41", tid], { stdio: "ignore" });
  }
}

async function startRtpengine(): Promise<Relay> {
  const ng = 52_100;
  const child = spawn(
    pinned(RELAY_CORE, -40, ["/usr/bin/rtpengine"])[0]!,
    [
      ...pinned(RELAY_CORE, -40, ["/usr/bin/rtpengine"]).slice(1),
      "--config-file=none",
      "--table=-1",
      `--interface=${RELAY_ADDR}`,
      `--listen-ng=127.0.0.1:${ng}`,
      "--port-min=20000",
      "--port-max=35999",
      "--foreground",
      "--log-stderr",
      "--log-level=3",
      "--num-threads=1",
      "--timeout=60",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const client = new NgClient(ng);
  let up = false;
  for (let i = 0; i < 50 && !up; i++) {
    up = await client.request({ command: "ping" }, 200).then(
      () => true,
      () => false,
    );
  }
  if (!up) throw new Error("rtpengine did not answer ping");
  const common = { ICE: "remove", replace: ["origin"] };
  const pid =
    Number(
      spawnSync("pgrep", ["-P", String(child.pid), "rtpengine"])
        .stdout.toString()
        .trim(),
    ) || child.pid!;
  return {
    name: "rtpengine 10.5 (userspace)",
    pids: [pid],
    offer: async (id, s) =>
      String(
        (await client.request({ command: "offer", "call-id": id, "from-tag": "a", sdp: s, ...common })).sdp,
      ),
    answer: async (id, s) =>
      String(
        (
          await client.request({
            command: "answer",
            "call-id": id,
            "from-tag": "a",
            "to-tag": "b",
            sdp: s,
            ...common,
          })
        ).sdp,
      ),
    remove: async (id) => void (await client.request({ command: "delete", "call-id": id, "from-tag": "a" })),
    async stop() {
      client.close();
      child.kill("SIGTERM");
      await waitExit(child, 5000);
    },
  };
}

/** The phones talk to each other directly: the generator's own cost, subtracted from the relays'. */
function direct(): Relay {
  return {
    name: "direct (no relay)",
    pids: [],
    offer: async () => "",
    answer: async () => "",
    remove: async () => {},
    stop: async () => {},
  };
}

/** utime+stime of a process, seconds (all threads); 0 once it is gone. */
function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** The kernel's softirq threads: packet work deferred out of the sender's context lands there. */
const KSOFTIRQD = spawnSync("pgrep", ["^ksoftirqd/"])
  .stdout.toString()
  .trim()
  .split("\n")
  .filter(Boolean)
  .map(Number);
const cpuOf = (pids: number[]): number => pids.reduce((s, p) => s + procCpu(p), 0);

/**
 * Where datagrams were dropped, as counters of the kernel: UDP `RcvbufErrors` (a socket's
 * receive buffer was full; /proc/net/snmp is per network namespace, so under `--netns` only
 * the bench's sockets count) and the per-CPU backlog (`/proc/net/softnet_stat`, whole machine:
 * packets dropped because a CPU's input queue held `net.core.netdev_max_backlog`, and
 * "squeezed" softirq rounds that ran out of budget and left work to ksoftirqd).
 */
interface Drops {
  rcvbuf: number;
  backlog: number;
  squeezed: number;
}
function drops(): Drops {
  let rcvbuf = 0;
  try {
    const udp = readFileSync("/proc/net/snmp", "utf8")
      .split("\n")
      .filter((l) => l.startsWith("Udp:"));
    const names = udp[0]!.split(/\s+/);
    rcvbuf = Number(udp[1]!.split(/\s+/)[names.indexOf("RcvbufErrors")]);
  } catch {}
  let backlog = 0;
  let squeezed = 0;
  try {
    for (const l of readFileSync("/proc/net/softnet_stat", "utf8").trim().split("\n")) {
      const c = l.split(" ");
      backlog += Number.parseInt(c[1]!, 16);
      squeezed += Number.parseInt(c[2]!, 16);
    }
  } catch {}
  return { rcvbuf, backlog, squeezed };
}
const dropsSince = (a: Drops, b: Drops): Drops => ({
  rcvbuf: b.rcvbuf - a.rcvbuf,
  backlog: b.backlog - a.backlog,
  squeezed: b.squeezed - a.squeezed,
});

function buildGenerator(): string {
  const src = join(HERE, "gen.c");
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const bin = join(tmpdir(), `centrex-media-gen-${hash}`);
  if (!existsSync(bin)) {
    const r = spawnSync("cc", ["-O2", "-Wall", "-o", bin, src], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("cc failed to build bench/media/gen.c");
  }
  return bin;
}

interface GenResult {
  calls: number;
  seconds: number;
  sent: number;
  received: number;
  reordered: number;
  sendFailed: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  latenessMs: { p50: number; p99: number; max: number };
  genCpuSeconds: number;
}

interface Result {
  target: string;
  calls: number;
  gen: GenResult;
  /** CPU seconds during the send window: the relay's processes, and the softirq threads. */
  relayCpu: number;
  softirqCpu: number;
  /** Kernel drop counters over the send window (and the generator's tail). */
  drops: Drops;
  /** The machine's 1-minute load average at the end of the step (it is shared: others' jobs count). */
  load1: number;
  loss: number;
  behind: boolean;
}

async function runStep(gen: string, relay: Relay, calls: number): Promise<Result> {
  const lines: string[] = [];
  const ids: string[] = [];
  const isDirect = relay.pids.length === 0;
  // Set up the calls, 32 at a time.
  for (let c0 = 0; c0 < calls; c0 += 32) {
    const batch: Promise<void>[] = [];
    for (let c = c0; c < Math.min(calls, c0 + 32); c++) {
      batch.push(
        (async () => {
          if (isDirect) {
            lines[c] = `${phoneA(c)} ${phoneB(c)} ${GEN_PORT} ${phoneB(c)} ${phoneA(c)} ${GEN_PORT}`;
            return;
          }
          const id = `bench-${process.pid}-${calls}-${c}`;
          ids.push(id);
          const toB = mPort(await relay.offer(id, sdp(phoneA(c), GEN_PORT)));
          const toA = mPort(await relay.answer(id, sdp(phoneB(c), GEN_PORT)));
          if (!toA || !toB) throw new Error(`${relay.name}: no relay port for call ${c}`);
          lines[c] = `${phoneA(c)} ${RELAY_ADDR} ${toA} ${phoneB(c)} ${RELAY_ADDR} ${toB}`;
        })(),
      );
    }
    await Promise.all(batch);
  }
  const file = join(tmpdir(), `centrex-media-calls-${process.pid}.txt`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const cmd = pinned(GEN_CORE, 50, [
    gen,
    "--calls",
    file,
    "--port",
    String(GEN_PORT),
    "--seconds",
    String(SECONDS),
  ]);
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let relay0 = 0;
  let soft0 = 0;
  let relayCpu = 0;
  let softirqCpu = 0;
  let drops0 = drops();
  let dropped: Drops = { rcvbuf: 0, backlog: 0, squeezed: 0 };
  let json = "";
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (l) => {
    if (l === "START") {
      relay0 = cpuOf(relay.pids);
      soft0 = cpuOf(KSOFTIRQD);
      drops0 = drops();
    } else if (l === "END") {
      relayCpu = cpuOf(relay.pids) - relay0;
      softirqCpu = cpuOf(KSOFTIRQD) - soft0;
    } else if (l.startsWith("{")) {
      json = l;
      dropped = dropsSince(drops0, drops());
    }
  });
  createInterface({ input: child.stderr! }).on("line", (l) => {
    process.stderr.write(`\r  ${relay.name}, ${calls} calls: ${l}        `);
  });
  await waitExit(child, (SECONDS + 30) * 1000);
  process.stderr.write("\n");
  if (json === "") throw new Error(`${relay.name}: the generator gave no result (exit ${child.exitCode})`);
  const g = JSON.parse(json) as GenResult;
  for (let i = 0; i < ids.length; i += 32)
    await Promise.all(ids.slice(i, i + 32).map((id) => relay.remove(id).catch(() => {})));
  return {
    target: relay.name,
    calls,
    gen: g,
    relayCpu,
    softirqCpu,
    drops: dropped,
    load1: loadavg()[0]!,
    loss: g.sent === 0 ? 1 : (g.sent - g.received) / g.sent,
    behind: g.latenessMs.p99 > LATE_LIMIT_MS,
  };
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : "–");

/** CPU per forwarded packet (µs): the relay's processes, plus what the generator and softirq spent beyond the direct baseline. */
function cpuPerPacket(r: Result, base: Result | undefined): number {
  const extraGen = base
    ? r.gen.genCpuSeconds - base.gen.genCpuSeconds * (r.gen.sent / Math.max(1, base.gen.sent))
    : 0;
  const extraSoft = base ? r.softirqCpu - base.softirqCpu : r.softirqCpu;
  return ((r.relayCpu + Math.max(0, extraGen) + Math.max(0, extraSoft)) / Math.max(1, r.gen.received)) * 1e6;
}

function addedP99(r: Result, base: Result | undefined): number {
  return r.gen.latencyMs.p99 - (base?.gen.latencyMs.p99 ?? 0);
}

async function main(): Promise<void> {
  const gen = buildGenerator();
  mkdirSync(OUT, { recursive: true });
  const results: Result[] = [];
  const baselines = new Map<number, Result>();
  const targets = ["direct", ...TARGETS.filter((t) => t !== "direct")];
  const passed = new Map<string, boolean>();
  const rounds = new Map<string, number>();
  for (const t of targets) {
    const relay =
      t === "direct"
        ? direct()
        : t === "rtpengine"
          ? await startRtpengine()
          : await startCentrex(
              t.startsWith("centrex-kernel")
                ? "kernel"
                : t.startsWith("centrex-workers")
                  ? "workers"
                  : t.startsWith("node-floor-raw")
                    ? "floor-raw"
                    : t.startsWith("node-floor")
                      ? "floor"
                      : "userspace",
              workersOf(t),
              t.split(":")[0]!.endsWith("-tsx"),
            );
    // A target named twice runs twice (interleaved with the others: on a shared machine one
    // run's figure is one sample); each run is a series of its own and sweeps from the start.
    const round = (rounds.get(t) ?? 0) + 1;
    rounds.set(t, round);
    if (targets.indexOf(t) !== targets.lastIndexOf(t)) relay.name += ` #${round}`;
    passed.delete(t);
    try {
      for (const calls of CALLS) {
        if (t !== "direct" && passed.get(t) === false) break; // past its capacity: the sweep stops
        const r = await runStep(gen, relay, calls);
        results.push(r);
        if (t === "direct") baselines.set(calls, r);
        const base = baselines.get(calls);
        // A late generator makes the step's figures doubtful (flagged), not the relay's failure.
        const ok = r.loss < LOSS_LIMIT && addedP99(r, base) < ADDED_P99_LIMIT_MS;
        if (t !== "direct") passed.set(t, ok);
        process.stderr.write(
          `  → ${r.target} ${calls} calls: loss ${f(r.loss * 100, 3)} %, p99 ${f(r.gen.latencyMs.p99, 3)} ms, ` +
            `${f(cpuPerPacket(r, base))} µs/pkt, drops rcvbuf ${r.drops.rcvbuf} backlog ${r.drops.backlog} squeezed ${r.drops.squeezed}, generator late p99 ${f(r.gen.latenessMs.p99, 3)} ms${r.behind ? " FELL BEHIND" : ""}, load ${f(r.load1)}\n`,
        );
      }
    } finally {
      await relay.stop();
    }
  }
  report(results, baselines);
}

function report(results: Result[], baselines: Map<number, Result>): void {
  const rows = [
    "| relay | calls | fwd pkt/s | loss | reord. | latency p50 / p99 / max (ms) | added p99 (ms) | relay CPU-s | CPU µs/pkt | dropped: rcvbuf / backlog (squeezed) | generator late p50 / p99 / max (ms) | load avg |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | ---: |",
  ];
  for (const r of results) {
    const base = baselines.get(r.calls);
    const isBase = r.target.startsWith("direct");
    const g = r.gen;
    rows.push(
      `| ${r.target} | ${r.calls} | ${Math.round(g.received / g.seconds)} | ${f(r.loss * 100, 3)} % | ${g.reordered} | ` +
        `${f(g.latencyMs.p50, 3)} / ${f(g.latencyMs.p99, 3)} / ${f(g.latencyMs.max, 1)} | ${isBase ? "–" : f(addedP99(r, base), 3)} | ` +
        `${f(r.relayCpu)} | ${isBase ? "–" : f(cpuPerPacket(r, base))} | ` +
        `${r.drops.rcvbuf} / ${r.drops.backlog} (${r.drops.squeezed}) | ` +
        `${f(g.latenessMs.p50, 3)} / ${f(g.latenessMs.p99, 3)} / ${f(g.latenessMs.max, 2)}${r.behind ? " **FELL BEHIND**" : ""} | ${f(r.load1)} |`,
    );
  }
  const capacity: string[] = [];
  const byTarget = new Map<string, Result[]>();
  for (const r of results)
    if (!r.target.startsWith("direct")) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
  for (const [t, rs] of byTarget) {
    let best = 0;
    let late = 0;
    for (const r of rs) {
      const ok = r.loss < LOSS_LIMIT && addedP99(r, baselines.get(r.calls)) < ADDED_P99_LIMIT_MS;
      if (!ok) break;
      best = Math.max(best, r.calls);
      if (r.behind) late++;
    }
    const tested = Math.max(...rs.map((r) => r.calls));
    capacity.push(
      `- ${t}: ${best > 0 ? `${best} calls` : "none of the tested loads"}` +
        `${best === tested ? " (the largest load tested: capacity is at least this)" : ""}` +
        `${late > 0 ? ` — generator late (p99 > ${LATE_LIMIT_MS} ms) in ${late} of these steps` : ""}`,
    );
  }
  const ns = `${
    process.env.CENTREX_BENCH_NETNS
      ? ` in network namespace ${process.env.CENTREX_BENCH_NETNS} (lo only)`
      : " on the host's loopback"
  }${IPV6 ? ", IPv6 (relays on ::1)" : ""}`;
  const node = spawnSync(RELAY_NODE, ["--version"]).stdout.toString().trim();
  const header = `${SECONDS} s per step${ns}, Node relays on ${node}, relay pinned to core ${RELAY_CORE}, generator (C, sendmmsg/recvmmsg) on core ${GEN_CORE}${RT ? ", generator SCHED_FIFO" : ""}${RT_RELAYS ? ", userspace relays SCHED_FIFO (the kernel-path relay not)" : ""}, 172-byte RTP every 20 ms each way${RELAY_STALL !== "" ? `, centrex relay processes' event loop blocked ${RELAY_STALL.replace(":", " ms every ")} ms (the relay itself, or with workers the parent)` : ""}`;
  const text = `${header}\n\n${rows.join("\n")}\n\nCapacity (largest load of the sweep with loss < 0.1 % and added p99 < ${ADDED_P99_LIMIT_MS} ms):\n${capacity.join("\n")}\n`;
  console.log(`\n${text}`);
  writeFileSync(join(OUT, "results.json"), `${JSON.stringify({ header, results }, null, 2)}\n`);
  writeFileSync(join(OUT, "results.md"), text);
  if (CALLS.length > 1) {
    const series = [...byTarget].map(([name, rs]) => ({ name, rs }));
    writeFileSync(
      join(OUT, "cpu-per-packet.svg"),
      lineChart({
        title: "CPU per forwarded packet",
        x: "concurrent calls",
        y: "µs per packet",
        series: series.map(({ name, rs }) => ({
          name,
          points: rs.map((r) => [r.calls, cpuPerPacket(r, baselines.get(r.calls))] as [number, number]),
        })),
      }),
    );
    writeFileSync(
      join(OUT, "p99-latency.svg"),
      lineChart({
        title: "Added latency p99",
        x: "concurrent calls",
        y: "ms",
        series: series.map(({ name, rs }) => ({
          name,
          points: rs.map(
            (r) => [r.calls, Math.max(0, addedP99(r, baselines.get(r.calls)))] as [number, number],
          ),
        })),
      }),
    );
    console.log(`charts: ${join(OUT, "cpu-per-packet.svg")}, ${join(OUT, "p99-latency.svg")}`);
  }
}

/**
 * `--netns`: the whole bench again inside a network namespace of its own with only `lo` up.
 * The host's loopback passes every packet through every nftables table on the machine (on this
 * shared one, other engineers' test switches' ban and forwarding tables): a cost both relays pay
 * on each send and receive that says nothing about either.
 */
function inNetns(): boolean {
  if (!flag("netns") || process.env.CENTREX_BENCH_NETNS) return false;
  const ns = `centrex-media-bench-${process.pid}`;
  const ip = (...a: string[]): void => {
    const r = spawnSync("ip", a, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`ip ${a.join(" ")} failed`);
  };
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "set", "lo", "up");
    if (IPV6) {
      // Each phone's own address on the namespace's lo, as 127/8 gives IPv4 for free.
      const n = Math.max(...CALLS);
      const batch = join(tmpdir(), `centrex-media-ipv6-${process.pid}.txt`);
      const lines: string[] = [];
      for (let c = 0; c < n; c++)
        for (const a of [phoneA(c), phoneB(c)]) lines.push(`addr add ${a}/128 dev lo nodad`);
      writeFileSync(batch, `${lines.join("\n")}\n`);
      ip("-n", ns, "-batch", batch);
      rmSync(batch, { force: true });
    }
    const r = spawnSync(
      "ip",
      ["netns", "exec", ns, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      {
        stdio: "inherit",
        env: { ...process.env, CENTREX_BENCH_NETNS: ns },
      },
    );
    process.exitCode = r.status ?? 1;
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
  return true;
}

if (IPV6 && !flag("netns")) {
  console.error("--ipv6 needs --netns (the phones' addresses are added to the namespace's lo)");
  process.exit(2);
}
if (!inNetns()) await main();
