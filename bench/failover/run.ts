/**
 * Switch-over timings of the pair, everything on 127.0.0.1:
 *   npx tsx bench/failover/run.ts [rounds] [writes]
 * - detection: primary killed (health endpoint + SIP responder closed) → standby promoted, with
 *   probe rounds every 200 ms, 3 misses, 150 ms probe timeout (HTTP + SIP OPTIONS vantages);
 * - DNS: promotion → the embedded server answering the standby's address (queried over UDP);
 * - replication: `writes` single-row transactions on the primary (as fast as the store allows)
 *   → applied on the standby over the authenticated TCP link; max lag seen while it ran.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EmbeddedDnsServer,
  FailoverController,
  httpHealthProbe,
  memoryEpochStore,
  ReplicationSink,
  ReplicationSource,
  sipOptionsProbe,
  startHealthEndpoint,
} from "@centrex/failover";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { query, udpExchange } from "../../packages/failover/test/helpers/dns-client.js";
import { PRIMARY, SERVICE, STANDBY } from "../../packages/failover/test/helpers/fixtures.js";

const rounds = Number(process.argv[2] ?? 10);
const writes = Number(process.argv[3] ?? 5000);

function summary(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): string => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(1);
  console.log(`${label.padEnd(30)} n=${s.length} median=${at(0.5)} ms p90=${at(0.9)} ms max=${at(1)} ms`);
}

function answerA(reply: Buffer): string | undefined {
  if (reply.readUInt16BE(6) !== 1) return undefined;
  return [...reply.subarray(reply.length - 4)].join(".");
}

async function sipResponder(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = createSocket("udp4");
  s.on("message", (msg, rinfo) => {
    const headers = msg
      .toString("latin1")
      .split("\r\n")
      .filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    s.send(
      `SIP/2.0 200 OK\r\n${headers.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`,
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

async function switchRound(
  dns: EmbeddedDnsServer,
  dnsPort: number,
): Promise<{ detect: number; dns: number }> {
  dns.setActive(PRIMARY);
  const health = await startHealthEndpoint({ status: () => ({ node: "p", role: "primary", epoch: 1 }) });
  const sip = await sipResponder();
  let promotedAt = 0;
  const promoted = new Promise<void>((resolve) => {
    const c = new FailoverController({
      name: "s",
      self: STANDBY,
      role: "standby",
      epoch: memoryEpochStore(1),
      probes: [
        httpHealthProbe({ url: health.url, timeoutMs: 150 }),
        sipOptionsProbe({ host: "127.0.0.1", port: sip.port, timeoutMs: 150 }),
      ],
      missesBeforeTakeover: 3,
      intervalMs: 200,
      dns,
      onTakeover: async (e) => {
        promotedAt = performance.now();
        void e;
        await c.stop();
        resolve();
      },
    });
    void c.start();
  });
  await new Promise((r) => setTimeout(r, 300));
  const killedAt = performance.now();
  await health.close();
  await sip.close();
  await promoted;
  for (;;) {
    const reply = await udpExchange(dnsPort, query("sip.operator.example", "A"), 500).catch(() => undefined);
    if (reply !== undefined && answerA(reply) === STANDBY.ipv4) break;
  }
  const answeredAt = performance.now();
  // onTakeover runs after publishActive resolved, so the DNS figure is promotion → first answer seen.
  return { detect: promotedAt - killedAt, dns: answeredAt - promotedAt };
}

async function replication(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "centrex-bench-repl-"));
  try {
    const a = openSqliteStore(join(dir, "a.db"));
    const b = openSqliteStore(join(dir, "b.db"));
    const dbA = sqliteHandle(a);
    const dbB = sqliteHandle(b);
    for (const db of [dbA, dbB])
      db.exec("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, v TEXT, at INTEGER)");
    const source = new ReplicationSource({ db: dbA, secret: "bench", pollMs: 5, heartbeatMs: 100 });
    const { port } = await source.start();
    const sink = new ReplicationSink({ db: dbB, secret: "bench", host: "127.0.0.1", port });
    sink.start();
    await sink.waitCaughtUp(5000);
    const ins = dbA.prepare("INSERT INTO bench_rows (v, at) VALUES (?, ?)");
    let maxChanges = 0;
    let maxSeconds = 0;
    const t0 = performance.now();
    for (let i = 0; i < writes; i++) {
      ins.run(`call record ${i} ${"x".repeat(200)}`, Date.now());
      // Yield now and then so the link runs concurrently with the writer, as in a live switch.
      if (i % 100 === 99) {
        await new Promise((r) => setImmediate(r));
        const lag = source.lag();
        maxChanges = Math.max(maxChanges, lag.changes);
        maxSeconds = Math.max(maxSeconds, lag.seconds);
      }
    }
    const written = performance.now() - t0;
    await sink.waitCaughtUp(60_000);
    const total = performance.now() - t0;
    console.log(
      `replication: ${writes} single-row commits written in ${written.toFixed(0)} ms, all applied on the standby after ${total.toFixed(0)} ms ` +
        `(${((writes / total) * 1000).toFixed(0)} rows/s end to end); max lag seen ${maxChanges} changes / ${(maxSeconds * 1000).toFixed(0)} ms`,
    );
    await sink.stop();
    await source.stop();
    await a.close();
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const dns = new EmbeddedDnsServer({ zone: SERVICE.zone, port: 0, service: SERVICE });
const { port: dnsPort } = await dns.start();
const detect: number[] = [];
const dnsMs: number[] = [];
for (let i = 0; i < rounds; i++) {
  const r = await switchRound(dns, dnsPort);
  detect.push(r.detect);
  dnsMs.push(r.dns);
}
summary("detection (kill → promoted)", detect);
summary("DNS (promoted → answer)", dnsMs);
await dns.stop();
await replication();
