// centrex vs Kamailio 5.6, same SIPp scenarios, same machine, side by side in one run: both
// servers run at once (own ports, same pinned core) and each phase's samples alternate between
// them in pairs (centrex, Kamailio; Kamailio, centrex; …), so each ratio comes from samples taken
// seconds apart — on this VM the same code measured minutes apart moves by up to 2×.
//   npx tsx bench/sip-load/run.ts [--quick] [--profile] [--media] [--only centrex|kamailio]
//                                 [--users N] [--calls N] [--heap] [--no-pin] [--write-readme]
//                                 [--clinic flame|doctor] [--register-only] [--calls-only] [--perf]
// --register-only: only the REGISTER phase (and its memory figure) of each server; prints, does
// not write the README.
// --calls-only: only the INVITE-challenged call phase of each server (no REGISTER burst); prints,
// does not write the README.
// --clinic: centrex runs under Clinic.js (npx, NO_INSIGHT=1); its HTML report of each centrex
// run is written to bench/sip-load/clinic/ (not committed) and named at the end of the figures.
// --perf: Linux perf samples centrex's CPU time, every thread and the kernel (perf-record.ts);
// the report (by DSO, then by symbol) is printed per centrex run; prints, does not write.
// --mem-detail: centrex's memory by kind at each memory sample (smaps: brk heap, anonymous,
// file-backed; V8's own heap spaces through memory-probe.mjs), printed; the figures stay RSS.
// --server-env K=V (repeatable): extra environment for the centrex process (experiments only).
// --heap: live JS heap per binding from heap snapshots (full GC) taken before and after; the
// snapshots inflate RSS, so the RSS figures of such a run are not the reference ones.
// Pinning: the server runs on core 1 (taskset), SIPp on core 0; --no-pin turns that off.
// --media keeps centrex's RTP anchoring on (Kamailio here relays no media, so by default centrex
// runs with media.enabled: false and both do the same signalling work).
// Loopback only. Each server is measured by the CPU-seconds its process tree consumed during a
// phase (/proc/PID/stat utime+stime): on a shared machine, work per CPU-second is what compares.
// A full run writes the figures section of bench/sip-load/README.md; --quick only prints it.
// Exit 1, with one "sip-load: FAILED" line per phase, when a call failed on either server (a
// ratio against a reference that did not complete its calls is no figure) or SIPp could not send.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { calleeScenario, callerScenario } from "../../test/helpers/scenarios.js";
import { liveHeapBytes } from "./heap.js";
import { perfAvailable, perfSummary, recordPerf } from "./perf-record.js";
import { cpuSeconds, type Memory, machineBusySeconds, memory, processTree } from "./procfs.js";
import { hotSpotTable } from "./profile-summary.js";
import {
  centrexConfig,
  freePort,
  provisionCentrex,
  provisionKamailio,
  ROOT,
  type RunningServer,
  startCentrex,
  startKamailio,
  type User,
} from "./servers.js";
import { type RunningSipp, runSipp, type SippOutcome, startSipp } from "./sipp.js";
import { smapsBreakdown } from "./smaps.js";

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag("quick");
const PROFILE = flag("profile");
/** `--perf`: Linux perf samples centrex's CPU time (all threads, kernel too); see perf-record.ts. */
const PERF = flag("perf");
const ONLY = opt("only");
const MEDIA = flag("media");
const HEAP = flag("heap");
const MEM_DETAIL = flag("mem-detail");
/** `--server-env K=V`, repeatable: environment added to centrex's (an experiment's settings). */
const SERVER_ENV: Record<string, string> = Object.fromEntries(
  argv.flatMap((a, i) => {
    if (a !== "--server-env") return [];
    const kv = argv[i + 1] ?? "";
    const eq = kv.indexOf("=");
    return eq > 0 ? [[kv.slice(0, eq), kv.slice(eq + 1)]] : [];
  }),
);
const REGISTER_ONLY = flag("register-only");
/** `--calls-only`: only the INVITE-challenged call phase of each server (no REGISTER burst); prints only. */
const CALLS_ONLY = flag("calls-only");
/** `--clinic flame|doctor`: centrex runs under Clinic.js; its HTML reports land in CLINIC_DIR. */
const CLINIC = opt("clinic");
if (CLINIC !== undefined && CLINIC !== "flame" && CLINIC !== "doctor") {
  console.error(`sip-load: --clinic takes flame or doctor, not ${CLINIC}`);
  process.exit(2);
}
const CLINIC_DIR = join(import.meta.dirname, "clinic");
if (PERF && !perfAvailable()) {
  console.error("sip-load: --perf needs Linux perf (Debian package linux-perf) on PATH");
  process.exit(2);
}
/** Server on one core, SIPp on the other, so the two do not share a core's caches and time. */
const SERVER_CORE = flag("no-pin") ? undefined : "1";
const LOAD_CORE = flag("no-pin") ? undefined : "0";
const WRITE_README =
  flag("write-readme") ||
  (!QUICK &&
    !PROFILE &&
    !PERF &&
    CLINIC === undefined &&
    !MEDIA &&
    !REGISTER_ONLY &&
    !CALLS_ONLY &&
    ONLY === undefined &&
    opt("users") === undefined &&
    opt("calls") === undefined);

const DOMAIN = "pbx.test";
/** Distinct phones registered in the REGISTER phase (and kept for the memory figure). */
const USERS = Number(opt("users") ?? (QUICK ? 2_000 : 10_000));
const WARM_USERS = QUICK ? 300 : 1_000;
const CALLS = Number(opt("calls") ?? (QUICK ? 1_000 : 9_000));
/**
 * Each measured phase runs as REPS pairs of samples, one per server, side by side (REGISTER: REPS
 * batches of distinct phones); a server's figure is its median sample's rate per CPU-second, the
 * ratio the median of the pairs' ratios, and min–max shows the spread.
 */
const REPS = 3;
const WARM_CALLS = QUICK ? 200 : 500;
/** SIPp's cap on open calls, and its new-call rate (high: the cap is what limits). */
const REGISTER_LIMIT = 100;
const CALL_LIMIT = 30;
const RATE = 5_000;
const PHASE_TIMEOUT_S = QUICK ? 20 : 60;
/** Seconds between the REGISTER phase and the "after" memory sample. */
const SETTLE_S = Number(opt("settle") ?? (QUICK ? 2 : 35));

const CALLER: User = { user: "201", password: "bench-secret-201" };
const CALLEE: User = { user: "202", password: "bench-secret-202" };
const phones: User[] = [];
for (let i = 0; i < USERS; i++)
  phones.push({ user: String(100_000 + i), password: `pw-${100_000 + i}-bench` });
const warmPhones: User[] = [];
for (let i = 0; i < WARM_USERS; i++)
  warmPhones.push({ user: String(300_000 + i), password: `pw-${i}-warm-up` });

const REGISTER_ONE = readFileSync(join(ROOT, "test", "sipp", "register-uac.xml"), "utf8");
const REGISTER_MANY = readFileSync(join(import.meta.dirname, "scenarios", "register-users.xml"), "utf8");

type ServerName = "centrex" | "kamailio";
type PhaseName = "register" | "calls-challenged" | "calls-unchallenged";

interface Phase {
  server: ServerName;
  phase: PhaseName;
  /** Which pair of the phase (0-based): sample i of one server sits beside sample i of the other. */
  pair: number;
  ok: number;
  failed: number;
  wallS: number;
  cpuS: number;
  systemS: number;
  /** The load generator (every SIPp of the phase): CPU-seconds, and its watchdog's late firings. */
  loadCpuS: number;
  loadLate: number;
  loadLateWorstMs: number;
  loadUdpErrors: number;
  /** CPU-seconds the rest of the machine (other users of the shared cores) spent meanwhile. */
  othersCpuS: number;
}

interface MemoryFigure {
  server: ServerName;
  bindings: number;
  beforeRssKb: number;
  afterRssKb: number;
  beforePssKb: number;
  afterPssKb: number;
  /** centrex only: live JS heap after a full GC (heap snapshot), bytes. */
  beforeHeap: number;
  afterHeap: number;
  /** centrex only: V8's young generation in RAM at each sample, MB (memory-probe.mjs). */
  youngBeforeMb: number;
  youngAfterMb: number;
  processes: number;
}

const phases: Phase[] = [];
const memories: MemoryFigure[] = [];
const work = mkdtempSync(join(tmpdir(), "centrex-sip-load-"));

function injection(users: readonly User[]): string {
  const file = mkdtempSync(join(work, "inf-"));
  const path = join(file, "users.csv");
  writeFileSync(path, `SEQUENTIAL\n${users.map((u) => `${u.user};${u.password}`).join("\n")}\n`);
  return path;
}

function explain(what: string, r: SippOutcome): string {
  return `${what}: ${r.successful} ok, ${r.failed} failed, exit ${r.exitCode}\n${r.errors}`;
}

async function registerMany(server: RunningServer, users: readonly User[]): Promise<SippOutcome> {
  return runSipp({
    workDir: work,
    ...(LOAD_CORE !== undefined && { core: LOAD_CORE }),
    scenarioXml: REGISTER_MANY,
    server: `127.0.0.1:${server.port}`,
    localPort: await freePort(),
    calls: users.length,
    rate: RATE,
    limit: REGISTER_LIMIT,
    timeoutS: PHASE_TIMEOUT_S,
    args: ["-inf", injection(users), "-set", "domain", DOMAIN, "-set", "expires", "3600"],
  });
}

/**
 * Runs `body` and books the CPU-seconds the server's process tree spent meanwhile, and the load
 * generator's: the SIPp `body` runs (read when it exits) plus `otherLoad` (a SIPp running
 * throughout, e.g. the answering phone), so a saturated generator shows in the figures.
 */
async function measured(
  server: RunningServer,
  phase: PhaseName,
  pair: number,
  expected: number,
  body: () => Promise<SippOutcome>,
  otherLoad?: number,
): Promise<SippOutcome> {
  const pids = processTree(server.pid);
  const cpu0 = cpuSeconds(pids);
  const other0 = otherLoad === undefined ? undefined : cpuSeconds([otherLoad]);
  const machine0 = machineBusySeconds();
  const r = await body();
  // A server gone mid-run would only time out every later sample of its own (and its CPU can no
  // longer be read): no sample, stop here.
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    console.error(explain(`  ${server.name} ${phase} #${pair + 1}`, r));
    throw new Error(
      `${server.name} exited (${server.child.signalCode ?? `code ${server.child.exitCode}`}) during ${phase}:\n${server.output().slice(-2_000)}`,
    );
  }
  const machineS = machineBusySeconds() - machine0;
  const cpu1 = cpuSeconds(processTree(server.pid));
  const other1 = otherLoad === undefined ? undefined : cpuSeconds([otherLoad]);
  const otherS = other0 && other1 ? other1.user + other1.system - other0.user - other0.system : 0;
  phases.push({
    server: server.name,
    phase,
    pair,
    ok: r.successful,
    failed: r.failed + Math.max(0, expected - r.successful - r.failed),
    wallS: r.wallS,
    cpuS: cpu1.user + cpu1.system - cpu0.user - cpu0.system,
    systemS: cpu1.system - cpu0.system,
    loadCpuS: r.cpuS + otherS,
    loadLate: r.lateTimes,
    loadLateWorstMs: r.lateWorstMs,
    loadUdpErrors: r.udpErrors,
    othersCpuS: 0,
  });
  const p = phases[phases.length - 1]!;
  p.othersCpuS = Math.max(0, machineS - p.cpuS - p.loadCpuS);
  console.error(
    `  ${server.name} ${phase} #${pair + 1}: ${p.ok} ok, ${p.failed} failed, ${p.wallS.toFixed(2)} s wall, ` +
      `${p.cpuS.toFixed(2)} CPU-s -> ${(p.ok / p.cpuS).toFixed(0)} per CPU-second; ` +
      `SIPp ${p.loadCpuS.toFixed(2)} CPU-s (${((100 * p.loadCpuS) / p.wallS).toFixed(0)} % of its core), ` +
      `late ${p.loadLate}× (worst ${p.loadLateWorstMs} ms), ${p.loadUdpErrors} UDP errors; others on the machine ${p.othersCpuS.toFixed(2)} CPU-s`,
  );
  if (r.failed > 0 || r.exitCode !== 0) console.error(explain(`  ${server.name} ${phase}`, r));
  return r;
}

/** `--mem-detail`: centrex's memory by kind (smaps and V8's heap spaces), printed. */
interface Probe {
  memoryUsage: NodeJS.MemoryUsage;
  heap: { malloced_memory: number; peak_malloced_memory: number; total_physical_size: number };
  spaces: { space_name: string; space_size: number; space_used_size: number; physical_space_size: number }[];
}

/** What centrex's runtime says about its memory now (memory-probe.mjs, on SIGWINCH). */
async function readProbe(server: RunningServer, probeDir: string | undefined): Promise<Probe | undefined> {
  if (probeDir === undefined || server.name !== "centrex") return undefined;
  const before = new Set(readdirSync(probeDir));
  process.kill(server.pid, "SIGWINCH");
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    const file = readdirSync(probeDir).find((f) => !before.has(f));
    if (file === undefined) continue;
    await sleep(50); // written in one writeFileSync call, but let it land
    return JSON.parse(readFileSync(join(probeDir, file), "utf8")) as Probe;
  }
  return undefined;
}

/** V8's young generation (new space) as it sits in RAM, MB; NaN without a probe. */
const youngMb = (p: Probe | undefined): number =>
  (p?.spaces.find((x) => x.space_name === "new_space")?.physical_space_size ?? Number.NaN) / 1048576;

/** `--mem-detail`: centrex's memory by kind (smaps, then V8's heap spaces from `p`), printed. */
async function printMemDetail(server: RunningServer, p: Probe | undefined, label: string): Promise<void> {
  if (!MEM_DETAIL || server.name !== "centrex") return;
  await sleep(500);
  const s = smapsBreakdown(server.pid);
  const mb = (kb: number): string => (kb / 1024).toFixed(1);
  const bySize = Object.entries(s.anonBySize)
    .map(([k, v]) => `${k} ${mb(v)}`)
    .join(", ");
  console.error(
    `  mem ${label}: smaps brk-heap ${mb(s.brkKb)} MB, anon ${mb(s.anonKb)} MB (${bySize}), file ${mb(s.fileKb)} MB; of it lazily freed (MADV_FREE) ${mb(s.lazyFreeKb)} MB`,
  );
  if (p === undefined) return;
  const m = (b: number): string => (b / 1048576).toFixed(1);
  const u = p.memoryUsage;
  console.error(
    `    node: rss ${m(u.rss)}, heapTotal ${m(u.heapTotal)}, heapUsed ${m(u.heapUsed)}, external ${m(u.external)}, ` +
      `arrayBuffers ${m(u.arrayBuffers)}, V8 physical ${m(p.heap.total_physical_size)}, V8 malloced ${m(p.heap.malloced_memory)} (peak ${m(p.heap.peak_malloced_memory)}) MB`,
  );
  console.error(
    `    spaces (used/physical MB): ${p.spaces
      .filter((x) => x.physical_space_size > 0)
      .map((x) => `${x.space_name.replace("_space", "")} ${m(x.space_used_size)}/${m(x.physical_space_size)}`)
      .join(", ")}`,
  );
}

/** A server under test, with what its memory samples need (centrex only: heap snapshots, probe). */
interface Bench {
  server: RunningServer;
  heapDir?: string;
  probeDir?: string;
}

/**
 * The order of pair `i`: centrex first in even pairs, Kamailio first in odd ones (ABBA…), so
 * neither server always runs right after the other's burst or always first.
 */
function pairOrder(i: number, benches: readonly Bench[]): Bench[] {
  return i % 2 === 0 ? [...benches] : [...benches].reverse();
}

/**
 * Seconds from a server's last REGISTER to its memory samples, as when each server ran alone:
 * centrex SETTLE_S (its Timer J) for both; Kamailio 1 s to the baseline, 2 s to the "after" sample.
 */
function settleS(server: RunningServer, sample: "before" | "after"): number {
  return server.name === "centrex" ? SETTLE_S : sample === "before" ? 1 : 2;
}

/** Sleeps until `at` (a performance.now() instant), if that is still ahead. */
const sleepUntil = (at: number): Promise<void> => sleep(Math.max(0, at - performance.now()));

/**
 * Each server's memory sample in the order they fall due: `due` says when (performance.now()),
 * `read` takes it.
 */
async function inDueOrder(
  benches: readonly Bench[],
  due: Map<Bench, number>,
  read: (b: Bench) => Promise<void>,
) {
  for (const b of [...benches].sort((x, y) => (due.get(x) ?? 0) - (due.get(y) ?? 0))) {
    await sleepUntil(due.get(b) ?? 0);
    await read(b);
  }
}

/**
 * REGISTER, both servers side by side: both warm up, both baselines are read, then the REPS
 * batches alternate (pairOrder), then both "after" samples are read. Each server's samples are
 * read as long after its own last REGISTER as when it ran alone (settleS), so its memory window
 * holds some of the other's bursts: memory is read per process tree, so they do not count in it.
 */
async function registerPhase(benches: readonly Bench[]): Promise<void> {
  // Warm-up (JIT, caches) with other phones; the memory baseline is taken after it.
  const warmEnd = new Map<Bench, number>();
  for (const b of benches) {
    const warm = await registerMany(b.server, warmPhones);
    if (warm.failed > 0) console.error(explain(`  ${b.server.name} warm-up REGISTER`, warm));
    warmEnd.set(b, performance.now());
  }
  // The baseline is read in the state the "after" sample is read in: SETTLE_S after the last
  // REGISTER (centrex), when the warm-up's own transactions (Timer J, 32 s) are gone too. Read
  // 1.5 s after the warm-up, it held those 1,000 transactions and the after-sample none, which
  // booked their weight against the burst's growth, in centrex's favour.
  const before = new Map<Bench, { rss: Memory; heap: number; probe: Probe | undefined }>();
  const baselineDue = new Map([...warmEnd].map(([b, t]) => [b, t + settleS(b.server, "before") * 1000]));
  await inDueOrder(benches, baselineDue, async (b) => {
    // Writing a heap snapshot grows the process's RSS for good: the RSS baseline is read after
    // it, so both RSS samples include that growth (--heap runs only).
    const heap = b.heapDir ? await liveHeapBytes(b.server.pid, b.heapDir) : Number.NaN;
    await sleep(500);
    const rss = memory(processTree(b.server.pid));
    const probe = await readProbe(b.server, b.probeDir);
    await printMemDetail(b.server, probe, "before the burst");
    before.set(b, { rss, heap, probe });
  });
  const burstEnd = new Map<Bench, number>();
  for (let rep = 0; rep < REPS; rep++) {
    const batch = phones.slice(Math.floor((rep * USERS) / REPS), Math.floor(((rep + 1) * USERS) / REPS));
    for (const b of pairOrder(rep, benches)) {
      await measured(b.server, "register", rep, batch.length, () => registerMany(b.server, batch));
      burstEnd.set(b, performance.now());
    }
  }
  // centrex keeps each REGISTER's two server transactions 32 s (64*T1, RFC 3261 §17.2.2) to
  // absorb retransmissions: wait them out, so what is left is the bindings' own cost.
  if (MEM_DETAIL)
    for (const b of benches)
      await printMemDetail(b.server, await readProbe(b.server, b.probeDir), "right after the burst");
  const afterDue = new Map([...burstEnd].map(([b, t]) => [b, t + settleS(b.server, "after") * 1000]));
  await inDueOrder(benches, afterDue, async (b) => {
    const tree = processTree(b.server.pid);
    const after = memory(tree);
    const probeAfter = await readProbe(b.server, b.probeDir);
    await printMemDetail(b.server, probeAfter, `${settleS(b.server, "after")} s after its last REGISTER`);
    const afterHeap = b.heapDir ? await liveHeapBytes(b.server.pid, b.heapDir) : Number.NaN;
    const was = before.get(b)!;
    memories.push({
      server: b.server.name,
      bindings: USERS,
      beforeRssKb: was.rss.rssKb,
      afterRssKb: after.rssKb,
      beforePssKb: was.rss.pssKb,
      afterPssKb: after.pssKb,
      beforeHeap: was.heap,
      afterHeap,
      youngBeforeMb: youngMb(was.probe),
      youngAfterMb: youngMb(probeAfter),
      processes: tree.length,
    });
  });
  // The figures table lists centrex first, whichever was read first.
  memories.sort((a, b) => (a.server === b.server ? 0 : a.server === "centrex" ? -1 : 1));
}

/** A server's answering phone for a call phase: registered, then a SIPp UAS running throughout. */
async function startCallee(server: RunningServer, servers: number): Promise<RunningSipp> {
  const target = `127.0.0.1:${server.port}`;
  const calleePort = await freePort();
  const reg = await runSipp({
    workDir: work,
    ...(LOAD_CORE !== undefined && { core: LOAD_CORE }),
    scenarioXml: REGISTER_ONE,
    server: target,
    localPort: calleePort,
    calls: 1,
    timeoutS: 15,
    args: [
      ...["-s", CALLEE.user, "-au", CALLEE.user, "-ap", CALLEE.password],
      ...["-set", "domain", DOMAIN, "-set", "expires", "3600"],
    ],
  }).catch(
    (err: Error): SippOutcome => ({
      ...{ successful: 0, failed: 1, exitCode: -1, wallS: 0, cpuS: 0, errors: err.message },
      ...{ lateTimes: 0, lateWorstMs: 0, udpErrors: 0 },
    }),
  );
  if (reg.successful !== 1) throw new Error(explain(`${server.name}: callee REGISTER`, reg));
  return startSipp({
    workDir: work,
    ...(LOAD_CORE !== undefined && { core: LOAD_CORE }),
    scenarioXml: calleeScenario({}),
    server: target,
    localPort: calleePort,
    calls: WARM_CALLS + CALLS,
    // Outlives every server's warm-up and samples (they alternate), even ones SIPp's own timeout
    // lets run until killed.
    timeoutS: (PHASE_TIMEOUT_S + 10) * (REPS + 1) * servers + 10,
  });
}

/**
 * A call phase, both servers side by side: each gets its answering phone, both warm up, then the
 * REPS samples alternate (pairOrder).
 */
async function callPhase(benches: readonly Bench[], phase: PhaseName): Promise<void> {
  const challenged = phase === "calls-challenged";
  const callees = new Map<RunningServer, RunningSipp>();
  try {
    for (const { server } of benches) callees.set(server, await startCallee(server, benches.length));
    await sleep(300); // let the callees' SIPp bind before the first INVITE
    const callerXml = callerScenario({ challenged, talkMs: 0 });
    const caller = async (server: RunningServer, calls: number) =>
      runSipp({
        workDir: work,
        ...(LOAD_CORE !== undefined && { core: LOAD_CORE }),
        scenarioXml: callerXml,
        server: `127.0.0.1:${server.port}`,
        localPort: await freePort(),
        calls,
        rate: RATE,
        limit: CALL_LIMIT,
        timeoutS: PHASE_TIMEOUT_S,
        args: [
          ...["-s", CALLEE.user, "-au", CALLER.user, "-ap", CALLER.password],
          ...["-set", "domain", DOMAIN, "-set", "caller", CALLER.user],
        ],
      });
    for (const { server } of benches) {
      const warm = await caller(server, WARM_CALLS);
      if (warm.failed > 0 || warm.successful < WARM_CALLS)
        console.error(explain(`  ${server.name} warm-up calls`, warm));
    }
    for (let rep = 0; rep < REPS; rep++) {
      const n = Math.floor(((rep + 1) * CALLS) / REPS) - Math.floor((rep * CALLS) / REPS);
      for (const { server } of pairOrder(rep, benches))
        await measured(server, phase, rep, n, () => caller(server, n), callees.get(server)?.child.pid);
    }
  } finally {
    for (const callee of callees.values()) {
      callee.child.kill("SIGKILL");
      await callee.done;
    }
  }
}

const WITH_CENTREX = ONLY !== "kamailio";
const WITH_KAMAILIO = ONLY !== "centrex";

/** Where each server's state lives for the whole run (both restarts use the same). */
interface Prepared {
  centrexDir: string;
  centrexDb: string;
  kamailioDb: string;
  profileDir: string | undefined;
  heapDir: string | undefined;
  probeDir: string | undefined;
}

async function provision(): Promise<Prepared> {
  const all = [CALLER, CALLEE, ...warmPhones, ...phones];
  const centrexDir = join(work, "centrex");
  mkdirSync(centrexDir);
  const p: Prepared = {
    centrexDir,
    centrexDb: join(centrexDir, "centrex.db"),
    kamailioDb: join(work, "kamailio-db"),
    profileDir: PROFILE ? join(centrexDir, "profiles") : undefined,
    heapDir: HEAP ? join(centrexDir, "heap") : undefined,
    // The probe is read at both memory samples of every run (not under Clinic: the server is
    // then a grandchild): the figure's reader needs V8's young generation beside it (README,
    // "Memory per phone"). It only answers SIGWINCH; the server's settings are its defaults.
    probeDir: CLINIC === undefined ? join(centrexDir, "memprobe") : undefined,
  };
  if (p.heapDir) mkdirSync(p.heapDir);
  if (p.probeDir) mkdirSync(p.probeDir);
  if (WITH_CENTREX) {
    console.error(`centrex: provisioning ${all.length} extensions…`);
    await provisionCentrex(p.centrexDb, DOMAIN, all);
  }
  if (WITH_KAMAILIO) provisionKamailio(p.kamailioDb, DOMAIN, all);
  return p;
}

async function startBoth(p: Prepared, challenged: boolean): Promise<Bench[]> {
  const benches: Bench[] = [];
  try {
    if (WITH_CENTREX) {
      const configFile = join(p.centrexDir, `centrex-${challenged ? "auth" : "noauth"}.yaml`);
      writeFileSync(configFile, centrexConfig(challenged, MEDIA));
      const server = await startCentrex({
        db: p.centrexDb,
        port: await freePort(),
        configFile,
        ...(p.profileDir ? { cpuProfileDir: p.profileDir } : {}),
        ...(PERF && { perfMap: true }),
        ...(p.heapDir !== undefined && { heapSnapshotDir: p.heapDir }),
        ...(p.probeDir !== undefined && { memProbeDir: p.probeDir }),
        ...(Object.keys(SERVER_ENV).length > 0 && { env: SERVER_ENV }),
        ...(SERVER_CORE !== undefined && { core: SERVER_CORE }),
        ...(CLINIC !== undefined && {
          clinic: { tool: CLINIC as "flame" | "doctor", dir: join(p.centrexDir, "clinic") },
        }),
      });
      benches.push({
        server,
        ...(p.heapDir !== undefined && { heapDir: p.heapDir }),
        ...(p.probeDir !== undefined && { probeDir: p.probeDir }),
      });
    }
    if (WITH_KAMAILIO) {
      const server = await startKamailio({
        dbDir: p.kamailioDb,
        port: await freePort(),
        authenticateCalls: challenged,
        ...(SERVER_CORE !== undefined && { core: SERVER_CORE }),
      });
      benches.push({ server });
    }
  } catch (err) {
    for (const b of benches) await b.server.stop();
    throw err;
  }
  return benches;
}

/**
 * Both servers run at once, on their own ports and the same pinned core; each phase's samples
 * alternate between them. Two runs: INVITE challenged (REGISTER, then calls), then both restarted
 * with the INVITE not challenged (calls).
 */
async function benchBoth(): Promise<void> {
  const p = await provision();
  for (const challenged of REGISTER_ONLY || CALLS_ONLY ? [true] : [true, false]) {
    const run = challenged ? "challenged" : "unchallenged";
    console.error(
      `${run} run: ${WITH_CENTREX ? "centrex" : ""}${WITH_CENTREX && WITH_KAMAILIO ? " and " : ""}${WITH_KAMAILIO ? "kamailio" : ""} started…`,
    );
    const benches = await startBoth(p, challenged);
    const centrex = benches.find((b) => b.server.name === "centrex")?.server;
    const perfFile = join(tmpdir(), `centrex-sip-load-${process.pid}-${run}.perf.data`);
    const perf = PERF && centrex ? recordPerf(centrex.pid, perfFile) : undefined;
    try {
      if (challenged && !CALLS_ONLY) await registerPhase(benches);
      if (!REGISTER_ONLY) await callPhase(benches, challenged ? "calls-challenged" : "calls-unchallenged");
    } finally {
      await perf?.stop();
      // Kamailio first: under Clinic, centrex's stop waits minutes for the analysis.
      for (const b of [...benches].reverse()) {
        if (b.server.name === "centrex" && CLINIC !== undefined)
          console.error(`  clinic ${CLINIC}: analysing the profile (minutes)…`);
        await b.server.stop();
      }
    }
    if (perf !== undefined && centrex !== undefined) {
      console.error(
        `centrex perf (${run} run: start-up excluded, every phase included): ${perfFile} (JIT names: /tmp/perf-${centrex.pid}.map)`,
      );
      console.error(perfSummary(perfFile));
    }
    if (CLINIC !== undefined && centrex !== undefined) keepClinicReport(join(p.centrexDir, "clinic"), run);
  }
  if (p.profileDir) {
    profileTable = hotSpotTable([p.profileDir], ROOT, 30);
    const keep = join(tmpdir(), `centrex-sip-load-profiles-${process.pid}`);
    cpSync(p.profileDir, keep, { recursive: true });
    console.error(`centrex CPU profiles: ${keep}`);
  }
}

/** Moves Clinic's HTML report (named by the PID) to CLINIC_DIR under a name that says what ran. */
function keepClinicReport(from: string, run: string): void {
  const html = readdirSync(from).find((f) => f.endsWith(".html"));
  if (html === undefined) {
    console.error(`sip-load: FAILED — clinic ${CLINIC} wrote no HTML report in ${from}`);
    process.exitCode = 1;
    return;
  }
  mkdirSync(CLINIC_DIR, { recursive: true });
  const to = join(CLINIC_DIR, `centrex-${run}-${CLINIC}.html`);
  cpSync(join(from, html), to);
  rmSync(from, { recursive: true, force: true });
  clinicReports.push(to);
  console.error(`centrex clinic ${CLINIC} (${run} run): ${to}`);
}

const clinicReports: string[] = [];

let profileTable = "";

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";

function samples(server: ServerName, phase: PhaseName): Phase[] {
  return phases.filter((x) => x.server === server && x.phase === phase);
}

/** Rates per CPU-second of the samples, sorted; empty when any sample had a failure. */
function rates(server: ServerName, phase: PhaseName): number[] {
  const ps = samples(server, phase);
  if (ps.length === 0 || ps.some((p) => p.failed > 0)) return [];
  return ps.map((p) => p.ok / p.cpuS).sort((a, b) => a - b);
}

function perCpu(server: ServerName, phase: PhaseName): number {
  return median(rates(server, phase));
}

const median = (sorted: readonly number[]): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN);

/**
 * centrex's rate over Kamailio's, per pair of adjacent samples (same pair index, taken seconds
 * apart), in pair order; empty unless both servers ran every pair without a failure.
 */
function pairRatios(phase: PhaseName): number[] {
  const c = samples("centrex", phase);
  const k = samples("kamailio", phase);
  if (c.length === 0 || c.length !== k.length || [...c, ...k].some((p) => p.failed > 0)) return [];
  return c.map((cp) => {
    const kp = k.find((x) => x.pair === cp.pair);
    return kp === undefined ? Number.NaN : cp.ok / cp.cpuS / (kp.ok / kp.cpuS);
  });
}

/** "median× (min–max)" of the pairs' ratios, or "–". */
function ratioCell(phase: PhaseName): string {
  const r = pairRatios(phase)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (r.length === 0) return "–";
  return `${fmt(median(r), 2)}× (${fmt(r[0] ?? 0, 2)}–${fmt(r[r.length - 1] ?? 0, 2)})`;
}

function report(): string {
  const out: string[] = [];
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  out.push(
    `Measured ${when} UTC with \`npx tsx bench/sip-load/run.ts${QUICK ? " --quick" : ""}${ONLY !== undefined ? ` --only ${ONLY}` : ""}${PROFILE ? " --profile" : ""}${PERF ? " --perf" : ""}\`: ` +
      `${USERS.toLocaleString("en-US")} phones, ${CALLS.toLocaleString("en-US")} calls per call phase, ` +
      (ONLY === undefined
        ? `both servers running at once (same pinned core, own ports), each phase as ${REPS} pairs of samples taken ` +
          "side by side (centrex, Kamailio; then Kamailio, centrex; …): a server's figure is its median sample per CPU-second, " +
          "the ratio the median of the pairs' ratios (min–max), "
        : `${ONLY} alone (--only), each phase as ${REPS} samples (figure: the median sample per CPU-second), `) +
      `SIPp over UDP on loopback, on a shared 2-core machine (${process.platform}, node ${process.version}).` +
      (PROFILE ? " centrex ran under --cpu-prof (slower)." : "") +
      (PERF ? " centrex ran under perf record (slower)." : ""),
  );
  out.push("");
  out.push(
    "| figure | centrex per CPU-s (median) | Kamailio per CPU-s (median) | centrex / Kamailio: median of the pairs (min–max) |",
  );
  out.push("| --- | ---: | ---: | ---: |");
  const rows: [string, PhaseName][] = [
    ["REGISTER with digest (401, then 200)", "register"],
    ["calls, INVITE challenged (407) — headline", "calls-challenged"],
    ["calls, INVITE not challenged (bench-only)", "calls-unchallenged"],
  ];
  for (const [label, phase] of rows) {
    const c = perCpu("centrex", phase);
    const k = perCpu("kamailio", phase);
    out.push(`| ${label} | ${fmt(c)} | ${fmt(k)} | ${ratioCell(phase)} |`);
  }
  const cm = memories.find((m) => m.server === "centrex");
  const km = memories.find((m) => m.server === "kamailio");
  const perBinding = (m: MemoryFigure | undefined, pss: boolean): number =>
    m
      ? ((pss ? m.afterPssKb - m.beforePssKb : m.afterRssKb - m.beforeRssKb) * 1024) / m.bindings
      : Number.NaN;
  out.push(
    `| memory per registered phone (bytes; centrex RSS, Kamailio PSS summed) | ${fmt(perBinding(cm, false))} | ${fmt(perBinding(km, true))} | ${fmt(perBinding(cm, false) / perBinding(km, true), 2)}× |`,
  );
  out.push("");
  out.push(
    "| server | phase | ok | failed | wall s | per wall s | CPU s (of which kernel) | per CPU-s: median (min–max) | SIPp CPU s (share of wall) | SIPp late (worst gap) | others' CPU s |",
  );
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const server of ["centrex", "kamailio"] as const) {
    for (const phase of ["register", "calls-challenged", "calls-unchallenged"] as const) {
      const ps = samples(server, phase);
      if (ps.length === 0) continue;
      const sum = (f: (p: Phase) => number) => ps.reduce((a, p) => a + f(p), 0);
      const ok = sum((p) => p.ok);
      const wall = sum((p) => p.wallS);
      const r = rates(server, phase);
      const spread = r.length
        ? `${fmt(perCpu(server, phase))} (${fmt(r[0] ?? 0)}–${fmt(r[r.length - 1] ?? 0)})`
        : "–";
      out.push(
        `| ${server} | ${phase} | ${ok} | ${sum((p) => p.failed)} | ${fmt(wall, 2)} | ${fmt(ok / wall)} | ` +
          `${fmt(
            sum((p) => p.cpuS),
            2,
          )} (${fmt(
            sum((p) => p.systemS),
            2,
          )}) | ${spread} | ${fmt(
            sum((p) => p.loadCpuS),
            2,
          )} (${fmt((100 * sum((p) => p.loadCpuS)) / wall)} %) | ${sum((p) => p.loadLate)}× (${Math.max(0, ...ps.map((p) => p.loadLateWorstMs))} ms) | ${fmt(
            sum((p) => p.othersCpuS),
            2,
          )} |`,
      );
    }
  }
  const pairRows: string[] = [];
  for (const phase of ["register", "calls-challenged", "calls-unchallenged"] as const) {
    const ratios = pairRatios(phase);
    for (const cp of samples("centrex", phase)) {
      const kp = samples("kamailio", phase).find((x) => x.pair === cp.pair);
      if (kp === undefined) continue;
      const first = cp.pair % 2 === 0 ? "centrex" : "Kamailio";
      pairRows.push(
        `| ${phase} | ${cp.pair + 1} | ${first} | ${fmt(cp.ok / cp.cpuS)} | ${fmt(kp.ok / kp.cpuS)} | ${Number.isFinite(ratios[cp.pair] ?? Number.NaN) ? `${fmt(ratios[cp.pair] ?? 0, 2)}×` : "–"} | ${fmt(cp.othersCpuS, 2)} / ${fmt(kp.othersCpuS, 2)} |`,
      );
    }
  }
  if (pairRows.length > 0) {
    out.push("");
    out.push(
      "| phase | pair | first | centrex per CPU-s | Kamailio per CPU-s | centrex / Kamailio | others' CPU s (centrex / Kamailio sample) |",
    );
    out.push("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
    out.push(...pairRows);
  }
  out.push("");
  out.push(
    "SIPp CPU s: the load generator's (every SIPp of the phase, on its own core) — near 100 % of the wall time would mean " +
      "SIPp, not the server, set the pace. SIPp late: how many times SIPp's 400 ms watchdog fired more than 500 ms " +
      "after the previous one (its main loop fell behind), and the longest gap. Others' CPU s: what the rest of the shared machine used meanwhile, " +
      "the idle other server and its idle answering SIPp included " +
      `(of ${fmt(2 * phases.reduce((a, p) => a + p.wallS, 0), 0)} core-seconds over all phases' wall time).`,
  );
  out.push("");
  out.push(
    "| server | processes | RSS before → after (MB) | PSS before → after (MB) | RSS per binding | PSS per binding | live JS heap per binding | V8 young generation before → after (MB) |",
  );
  out.push("| --- | ---: | --- | --- | ---: | ---: | ---: | --- |");
  for (const m of memories) {
    const heap = Number.isNaN(m.afterHeap) ? "–" : `${fmt((m.afterHeap - m.beforeHeap) / m.bindings)} B`;
    const young = Number.isNaN(m.youngAfterMb)
      ? "–"
      : `${fmt(m.youngBeforeMb, 1)} → ${fmt(m.youngAfterMb, 1)}`;
    out.push(
      `| ${m.server} | ${m.processes} | ${fmt(m.beforeRssKb / 1024, 1)} → ${fmt(m.afterRssKb / 1024, 1)} | ` +
        `${fmt(m.beforePssKb / 1024, 1)} → ${fmt(m.afterPssKb / 1024, 1)} | ${fmt(perBinding(m, false))} B | ` +
        `${fmt(perBinding(m, true))} B | ${heap} | ${young} |`,
    );
  }
  if (clinicReports.length > 0) {
    out.push("");
    out.push(`centrex under clinic ${CLINIC} (slower; figures not comparable): ${clinicReports.join(", ")}`);
  }
  if (profileTable) {
    out.push("");
    out.push("centrex CPU profile, top self time (all phases):");
    out.push("");
    out.push(profileTable);
  }
  return out.join("\n");
}

/**
 * One line per server and phase with a failed call or a SIPp that could not send: a ratio
 * against a reference that did not complete its calls is not a figure, so the run fails.
 */
function failures(): string[] {
  const lines: string[] = [];
  for (const server of ["kamailio", "centrex"] as const) {
    for (const phase of ["register", "calls-challenged", "calls-unchallenged"] as const) {
      const ps = samples(server, phase);
      const failed = ps.reduce((a, p) => a + p.failed, 0);
      const udp = ps.reduce((a, p) => a + p.loadUdpErrors, 0);
      if (failed === 0 && udp === 0) continue;
      const total = ps.reduce((a, p) => a + p.ok + p.failed, 0);
      const who = server === "kamailio" ? "the Kamailio REFERENCE is not clean" : "centrex failed";
      lines.push(
        `sip-load: FAILED — ${who}: ${phase}: ${failed} of ${total} calls failed, ${udp} SIPp UDP errors (details above); no figure written`,
      );
    }
  }
  return lines;
}

const START = "<!-- figures:start -->";
const END = "<!-- figures:end -->";

function writeReadme(figures: string): void {
  const path = join(import.meta.dirname, "README.md");
  const text = readFileSync(path, "utf8");
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
  writeFileSync(path, `${text.slice(0, a + START.length)}\n${figures}\n${text.slice(b)}`);
  // The repository's formatter (Biome) pads Markdown tables: leave the file as it would.
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  spawnSync(biome, ["format", "--write", path], { cwd: ROOT, stdio: "ignore" });
}

const deadline = setTimeout(
  () => {
    console.error("sip-load: over the time budget, giving up");
    process.exit(2);
  },
  (QUICK ? 3 : 10) * 60_000 + (CLINIC !== undefined ? 20 * 60_000 : 0),
);
deadline.unref();

try {
  await benchBoth();
  const figures = report();
  console.log(figures);
  const unclean = failures();
  for (const line of unclean) console.error(line);
  if (unclean.length > 0) {
    process.exitCode = 1;
  } else if (WRITE_README) {
    writeReadme(figures);
    console.error("wrote bench/sip-load/README.md");
  }
} catch (err) {
  // A server that did not start or died: no figure, one line saying which.
  console.error(`sip-load: FAILED — ${err instanceof Error ? err.message : String(err)}; no figure written`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
