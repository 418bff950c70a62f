// Media relay load generator: N concurrent G.711 calls (or a flood) through centrex's relay and
// rtpengine (userspace), each started as its own process pinned to one core. Loopback only.
//   npx tsx bench/media/run.ts --calls 200 --seconds 10 [--flood] [--targets centrex,rtpengine]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { RemoteMediaController } from "@centrex/media";
import { NgClient } from "./ng-client.js";

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const FLOOD = flag("flood");
const CALLS = Math.min(2000, Math.max(1, Number(opt("calls", FLOOD ? "8" : "200"))));
const SECONDS = Math.min(120, Math.max(1, Number(opt("seconds", "10"))));
const TARGETS = opt("targets", "centrex,rtpengine").split(",");
const RELAY_CORE = opt("core", "1");
const GEN_CORE = opt("gen-core", "0");
const PTIME = 20;
const GROUPS = 4; // streams are spread over 4 sub-ticks of 5 ms
const PACKET = 172;
const FLOOD_WINDOW = 64; // max packets in flight per stream in flood mode (fits default socket buffers)

interface Relay {
  name: string;
  pid: number;
  offer(callId: string, sdp: string): Promise<string>;
  answer(callId: string, sdp: string): Promise<string>;
  remove(callId: string): Promise<void>;
  stop(): Promise<void>;
}

function sdp(port: number): string {
  return `${[
    "v=0",
    `o=bench ${port} 1 IN IP4 127.0.0.1`,
    "s=bench",
    "c=IN IP4 127.0.0.1",
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

async function startCentrex(): Promise<Relay> {
  const child = spawn(
    "taskset",
    [
      "-c",
      RELAY_CORE,
      process.execPath,
      "--import",
      "tsx",
      "bench/media/relay-process.ts",
      "--port-min",
      "42000",
      "--port-max",
      "45999",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => reject(new Error("centrex relay did not start in 15 s")), 15_000);
    rl.once("line", (l) => {
      clearTimeout(t);
      resolve(l);
    });
  });
  const control = new RemoteMediaController({
    host: "127.0.0.1",
    port: JSON.parse(line).control,
    timeoutMs: 5000,
  });
  return {
    name: "centrex (node, 1 process)",
    pid: child.pid!,
    offer: (id, s) => control.offer(id, "a", s),
    answer: (id, s) => control.answer(id, "b", s),
    remove: async (id) => void (await control.delete(id)),
    async stop() {
      await control.close();
      child.kill("SIGTERM");
      await waitExit(child, 3000);
    },
  };
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const p = s.address().port;
  s.close();
  return p;
}

async function startRtpengine(): Promise<Relay> {
  const ng = await freeUdpPort();
  const child = spawn(
    "taskset",
    [
      "-c",
      RELAY_CORE,
      "/usr/bin/rtpengine",
      "--config-file=none",
      "--table=-1",
      "--interface=127.0.0.1",
      `--listen-ng=127.0.0.1:${ng}`,
      "--port-min=46000",
      "--port-max=49999",
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
  return {
    name: "rtpengine 10.5 (userspace, --table=-1)",
    pid: child.pid!,
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
      await waitExit(child, 3000);
    },
  };
}

/** utime+stime of a process, seconds (all threads). */
function procCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** [busy, total] jiffies of one core from /proc/stat. */
function coreTimes(core: string): [number, number] {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${core} `))!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  return [total - idle, total];
}

/** One direction of one call: the socket that sends, and what its peer receives. */
class Stream {
  readonly tx: Socket;
  readonly dstPort: number;
  seq = 0;
  sent = 0;
  received = 0;
  reordered = 0;
  maxSeq = -1;
  /** Flood mode: packets given up on (lost), so a loss does not close the window for good. */
  forgiven = 0;
  readonly buf = Buffer.alloc(PACKET);
  constructor(tx: Socket, dstPort: number, ssrc: number) {
    this.tx = tx;
    this.dstPort = dstPort;
    this.buf[0] = 0x80;
    this.buf.writeUInt32BE(ssrc, 8);
  }
  send(now: number): void {
    const b = this.buf;
    b.writeUInt16BE(this.seq & 0xffff, 2);
    b.writeUInt32BE((this.seq * 160) >>> 0, 4);
    b.writeDoubleLE(now, 12);
    b.writeUInt32BE(this.seq, 20);
    this.seq++;
    this.sent++;
    // send() copies nothing; the buffer is reused only after node hands it to the kernel (sync for UDP).
    this.tx.send(b, this.dstPort, "127.0.0.1");
  }
}

class Latencies {
  readonly v: Float64Array;
  n = 0;
  constructor(cap: number) {
    this.v = new Float64Array(cap);
  }
  add(x: number): void {
    if (this.n < this.v.length) this.v[this.n++] = x;
  }
  pct(p: number): number {
    if (this.n === 0) return Number.NaN;
    const s = this.v.subarray(0, this.n).sort();
    return s[Math.min(this.n - 1, Math.floor((p / 100) * this.n))]!;
  }
  max(): number {
    let m = 0;
    for (let i = 0; i < this.n; i++) if (this.v[i]! > m) m = this.v[i]!;
    return m;
  }
}

async function udp(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  try {
    s.setRecvBufferSize(1 << 20);
    s.setSendBufferSize(1 << 20);
  } catch {}
  return s;
}

interface Result {
  target: string;
  mode: string;
  sent: number;
  received: number;
  reordered: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  cpuSeconds: number;
  coreBusy: number;
  lateP50: number;
  lateP99: number;
  lateMax: number;
  behind: boolean;
}

async function runTarget(relay: Relay): Promise<Result> {
  const streams: Stream[] = [];
  const sockets: Socket[] = [];
  const lat = new Latencies(FLOOD ? 4_000_000 : Math.ceil(CALLS * 2 * (1000 / PTIME) * SECONDS * 1.1));
  for (let c = 0; c < CALLS; c++) {
    const a = await udp();
    const b = await udp();
    sockets.push(a, b);
    const id = `bench-${process.pid}-${c}`;
    const toB = mPort(await relay.offer(id, sdp(a.address().port)));
    const toA = mPort(await relay.answer(id, sdp(b.address().port)));
    if (!toA || !toB) throw new Error(`${relay.name}: no relay port for call ${c}`);
    const ab = new Stream(a, toA, 2 * c);
    const ba = new Stream(b, toB, 2 * c + 1);
    streams.push(ab, ba);
    // What b receives was sent by ab, and vice versa.
    const onRx = (s: Stream) => (msg: Buffer) => {
      const now = performance.now();
      if (msg.length < 24) return;
      const seq = msg.readUInt32BE(20);
      s.received++;
      if (seq < s.maxSeq) s.reordered++;
      else s.maxSeq = seq;
      lat.add(now - msg.readDoubleLE(12));
    };
    b.on("message", onRx(ab));
    a.on("message", onRx(ba));
  }
  // Prime latching: one packet each way, then reset counters.
  for (const s of streams) s.send(performance.now());
  await sleep(300);
  for (const s of streams) {
    s.sent = s.received = s.reordered = 0;
    s.maxSeq = s.seq - 1;
  }
  lat.n = 0;

  const cpu0 = procCpu(relay.pid);
  const [busy0, total0] = coreTimes(RELAY_CORE);
  const lateness = new Latencies(1_000_000);
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  if (FLOOD) {
    const maxIterations = 50_000_000;
    let blockedSince = 0;
    for (let it = 0; it < maxIterations && performance.now() < end; it++) {
      const now = performance.now();
      let blocked = true;
      for (const s of streams) {
        for (let k = 0; k < 16 && s.sent - s.received - s.forgiven < FLOOD_WINDOW; k++) {
          s.send(now);
          blocked = false;
        }
      }
      if (!blocked) blockedSince = 0;
      else if (blockedSince === 0) blockedSince = now;
      else if (now - blockedSince > 50) {
        // Nothing came back for 50 ms: what is in flight is lost; reopen the windows.
        for (const s of streams) s.forgiven = s.sent - s.received;
        blockedSince = 0;
      }
      // Yield to receive; when every window is full, wait a little for the relay.
      await new Promise((r) => (blocked ? setTimeout(r, 1) : setImmediate(r)));
    }
  } else {
    const tick = PTIME / GROUPS;
    const maxTicks = Math.ceil((SECONDS * 1000) / tick);
    for (let k = 0; k < maxTicks; k++) {
      const due = t0 + k * tick;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait - 0.5);
      while (performance.now() < due) {} // last half-millisecond: spin for precision
      const now = performance.now();
      lateness.add(now - due);
      for (let i = k % GROUPS; i < streams.length; i += GROUPS) streams[i]!.send(now);
    }
  }
  const sendEnd = performance.now();
  await sleep(500); // stragglers
  const cpu1 = procCpu(relay.pid);
  const [busy1, total1] = coreTimes(RELAY_CORE);
  let sent = 0;
  let received = 0;
  let reordered = 0;
  for (const s of streams) {
    sent += s.sent;
    received += s.received;
    reordered += s.reordered;
  }
  for (let c = 0; c < CALLS; c++) await relay.remove(`bench-${process.pid}-${c}`).catch(() => {});
  for (const s of sockets) s.close();
  const lateMax = lateness.max();
  return {
    target: relay.name,
    mode: FLOOD ? `flood, ${CALLS} calls` : `${CALLS} calls G.711`,
    sent,
    received,
    reordered,
    seconds: (sendEnd - t0) / 1000,
    p50: lat.pct(50),
    p99: lat.pct(99),
    max: lat.max(),
    cpuSeconds: cpu1 - cpu0,
    coreBusy: total1 > total0 ? (busy1 - busy0) / (total1 - total0) : Number.NaN,
    lateP50: lateness.pct(50),
    lateP99: lateness.pct(99),
    lateMax,
    behind: !FLOOD && (lateness.pct(99) > tick() || lateMax > PTIME),
  };
}

const tick = (): number => PTIME / GROUPS;
const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : "–");

async function main(): Promise<void> {
  spawnSync("taskset", ["-a", "-cp", GEN_CORE, String(process.pid)], { stdio: "ignore" });
  const results: Result[] = [];
  for (const t of TARGETS) {
    const relay = t === "rtpengine" ? await startRtpengine() : await startCentrex();
    try {
      results.push(await runTarget(relay));
    } finally {
      await relay.stop();
    }
  }
  const rows = [
    "| relay | load | fwd pkt/s | loss | reord. | added latency p50 / p99 / max (ms) | relay CPU-s per Mpkt | relay core busy | generator send lateness p50 / p99 / max (ms) |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
  ];
  for (const r of results) {
    const loss = r.sent === 0 ? 0 : ((r.sent - r.received) / r.sent) * 100;
    const late = FLOOD
      ? "n/a (flood)"
      : `${f(r.lateP50)} / ${f(r.lateP99)} / ${f(r.lateMax)}${r.behind ? " **FELL BEHIND**" : ""}`;
    rows.push(
      `| ${r.target} | ${r.mode} | ${Math.round(r.received / r.seconds)} | ${f(loss, 3)} % | ${r.reordered} | ${f(r.p50, 3)} / ${f(r.p99, 3)} / ${f(r.max, 1)} | ${f(r.cpuSeconds / (r.received / 1e6))} | ${f(r.coreBusy * 100, 0)} % | ${late} |`,
    );
  }
  console.log(
    `\n${SECONDS} s, relay pinned to core ${RELAY_CORE}, generator on core ${GEN_CORE}, ${PACKET}-byte RTP\n`,
  );
  console.log(rows.join("\n"));
}

await main();
