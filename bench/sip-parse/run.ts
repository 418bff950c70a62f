/**
 * SIP parse benchmark: @centrex/sip's message layer against the npm package `sip`, side by
 * side in one process, on the corpus in ./corpus.ts (INVITE+SDP, 200+SDP, REGISTER with
 * Authorization, BYE).
 *
 *   npx tsx bench/sip-parse/run.ts [seconds-per-run]
 *
 * Throughput: after a warm-up, the two implementations run in alternating 100 ms slices,
 * `seconds` in all for each (default 3), so that load from other processes hits both alike.
 *
 * Allocation: the script re-executes itself with `--expose-gc` and a fixed 128 MiB semi-space, so a
 * batch of messages fits in the young generation without a scavenge. Around each batch it
 * forces a full GC, reads `heapUsed + arrayBuffers`, runs the batch with no GC in between
 * (checked with a `gc` PerformanceObserver; a batch that saw one is reported as such), reads
 * again: the delta divided by the batch size is what one message allocates, garbage included.
 * Buffers from Node's 8 KiB pool show up in arrayBuffers only when a new slab is taken, so
 * small Buffer allocations are counted in slab-sized steps, averaged over the batch.
 */
import { spawnSync } from "node:child_process";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import sipModule from "sip";
import { parseMessage, type SipMessage } from "../../packages/sip/src/message/index.js";
import { CORPUS } from "./corpus.js";

interface SipJsMessage {
  headers: Record<string, unknown> & {
    via: { params: Record<string, string> }[];
    from: { params: Record<string, string> };
    to: { params: Record<string, string> };
    cseq: { seq: number };
  };
}
const sip = sipModule as unknown as {
  parse(data: Buffer | string): SipJsMessage | undefined;
  stringify(m: SipJsMessage): string;
};

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--min-semi-space-size=128",
      "--max-semi-space-size=128",
      "--import",
      "tsx",
      self,
      ...process.argv.slice(2),
    ],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}

const seconds = Number(process.argv[2] ?? 3);
let sink = 0;

function oursParse(data: Buffer): void {
  const m = parseMessage(data);
  sink += m.kind.length;
}

function theirsParse(data: Buffer): void {
  const m = sip.parse(data);
  if (m === undefined) throw new Error("sip.parse failed");
  sink += 1;
}

/** What a proxy reads on every message, then the bytes it sends on. */
function oursProxy(data: Buffer): void {
  const m: SipMessage = parseMessage(data);
  const top = m.via[0];
  sink += (top?.branch?.length ?? 0) + m.callId.length + m.cseq.seq;
  sink += (m.from.params.get("tag")?.length ?? 0) + (m.to.params.get("tag")?.length ?? 0);
  sink += (m.maxForwards ?? 0) + m.route.length;
  sink += m.toBuffer().length;
}

function theirsProxy(data: Buffer): void {
  const m = sip.parse(data);
  if (m === undefined) throw new Error("sip.parse failed");
  const h = m.headers;
  sink += (h.via[0]?.params.branch?.length ?? 0) + String(h["call-id"]).length + h.cseq.seq;
  sink += (h.from.params.tag?.length ?? 0) + (h.to.params.tag?.length ?? 0);
  sink += Number(h["max-forwards"] ?? 0) + ((h.route as unknown[] | undefined)?.length ?? 0);
  sink += Buffer.from(sip.stringify(m), "binary").length;
}

/** A proxy's edits before forwarding: its own Via on top, Max-Forwards - 1, the top Route consumed. */
function oursForward(data: Buffer): void {
  const m: SipMessage = parseMessage(data);
  sink += (m.via[0]?.branch?.length ?? 0) + m.callId.length + m.cseq.seq;
  sink += (m.from.params.get("tag")?.length ?? 0) + (m.to.params.get("tag")?.length ?? 0);
  const mf = m.maxForwards ?? 70;
  m.prepend("Via", "SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-centrex-1");
  m.set("Max-Forwards", String(mf - 1));
  if (m.route.length > 0) m.removeFirst("Route");
  sink += m.toBuffer().length;
}

function theirsForward(data: Buffer): void {
  const m = sip.parse(data);
  if (m === undefined) throw new Error("sip.parse failed");
  const h = m.headers;
  sink += (h.via[0]?.params.branch?.length ?? 0) + String(h["call-id"]).length + h.cseq.seq;
  sink += (h.from.params.tag?.length ?? 0) + (h.to.params.tag?.length ?? 0);
  const mf = Number(h["max-forwards"] ?? 70);
  h.via.unshift({
    version: "2.0",
    protocol: "UDP",
    host: "127.0.0.2",
    port: 5060,
    params: { branch: "z9hG4bK-centrex-1" },
  } as never);
  h["max-forwards"] = mf - 1;
  const route = h.route as unknown[] | undefined;
  if (route !== undefined && route.length > 0) route.shift();
  sink += Buffer.from(sip.stringify(m), "binary").length;
}

/** Messages per second of `fn` over one slice of `ms` milliseconds. */
function slice(fn: (d: Buffer) => void, ms: number): [count: number, elapsed: number] {
  const n = CORPUS.length;
  let count = 0;
  const started = performance.now();
  const end = started + ms;
  let now = started;
  while (now < end) {
    for (let i = 0; i < 500; i++) fn(CORPUS[i % n] as Buffer);
    count += 500;
    now = performance.now();
  }
  return [count, now - started];
}

/**
 * Both implementations run in alternating 100 ms slices for `seconds` each, so that load from
 * other processes on the machine hits both alike; the ratio is what this bench is about.
 */
function compare(ours: (d: Buffer) => void, theirs: (d: Buffer) => void): [number, number] {
  for (let i = 0; i < 20_000; i++) {
    ours(CORPUS[i % CORPUS.length] as Buffer);
    theirs(CORPUS[i % CORPUS.length] as Buffer);
  }
  let oc = 0;
  let ot = 0;
  let tc = 0;
  let tt = 0;
  for (let k = 0; k < seconds * 10; k++) {
    const [c1, t1] = slice(ours, 100);
    oc += c1;
    ot += t1;
    const [c2, t2] = slice(theirs, 100);
    tc += c2;
    tt += t2;
  }
  return [(oc * 1000) / ot, (tc * 1000) / tt];
}

let gcCount = 0;
new PerformanceObserver((list) => {
  gcCount += list.getEntries().length;
}).observe({ entryTypes: ["gc"] });

async function bytesPerMessage(fn: (d: Buffer) => void): Promise<string> {
  const batch = 5000;
  const n = CORPUS.length;
  for (let i = 0; i < 2000; i++) fn(CORPUS[i % n] as Buffer);
  (gc as () => void)();
  await new Promise((r) => setTimeout(r, 50));
  const seen = gcCount;
  const before = process.memoryUsage();
  for (let i = 0; i < batch; i++) fn(CORPUS[i % n] as Buffer);
  const after = process.memoryUsage();
  await new Promise((r) => setTimeout(r, 50));
  const delta = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  const note = gcCount !== seen ? " (gc ran: lower bound)" : "";
  return `${Math.round(delta / batch).toLocaleString("en-US")}${note}`;
}

const cases = [
  { name: "parse", ours: oursParse, theirs: theirsParse },
  { name: "parse + proxy headers + serialize", ours: oursProxy, theirs: theirsProxy },
  { name: "… + edits (Via, Max-Forwards, Route) + serialize", ours: oursForward, theirs: theirsForward },
];

const rows: string[] = [];
for (const c of cases) {
  const [ours, theirs] = compare(c.ours, c.theirs);
  const oursBytes = await bytesPerMessage(c.ours);
  const theirsBytes = await bytesPerMessage(c.theirs);
  rows.push(
    `| ${c.name} | ${Math.round(ours).toLocaleString("en-US")} | ${Math.round(theirs).toLocaleString("en-US")} | ${(ours / theirs).toFixed(2)}× | ${oursBytes} | ${theirsBytes} |`,
  );
}

const avg = Math.round(CORPUS.reduce((s, b) => s + b.length, 0) / CORPUS.length);
console.log(
  `\nSIP parse benchmark (${process.version}, ${seconds}s per implementation and case, corpus of ${CORPUS.length} messages averaging ${avg} bytes)\n`,
);
console.log(
  "| case | @centrex/sip msg/s | sip (npm) msg/s | ratio | @centrex/sip bytes/msg | sip (npm) bytes/msg |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);
if (sink === 0) console.log("(sink)");
