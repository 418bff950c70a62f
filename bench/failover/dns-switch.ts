/**
 * How long after a switch-over the DNS name serves the new node.
 *   npx tsx bench/failover/dns-switch.ts [rounds]
 * - embedded: EmbeddedDnsServer.setActive() → first UDP answer with the new A record;
 * - rfc2136: Rfc2136Publisher.publishActive() → UPDATE acknowledged by knotd, and → knotd answering
 *   the new A record (polled every millisecond over UDP).
 * Everything runs on 127.0.0.1; knotd comes from the Debian package "knot".
 */
import { randomBytes } from "node:crypto";
import { EmbeddedDnsServer, type FailoverNode, Rfc2136Publisher } from "@centrex/failover";
import { query, udpExchange } from "../../packages/failover/test/helpers/dns-client.js";
import { PRIMARY, SERVICE, STANDBY } from "../../packages/failover/test/helpers/fixtures.js";
import { startKnot } from "../../packages/failover/test/helpers/knot.js";

const rounds = Number(process.argv[2] ?? 50);

function answerA(reply: Buffer): string | undefined {
  // Our queries have one question; the first answer's RDATA is the last 4 bytes when it is a lone A.
  if (reply.readUInt16BE(6) !== 1) return undefined;
  return [...reply.subarray(reply.length - 4)].join(".");
}

async function waitFor(port: number, expected: string): Promise<void> {
  for (;;) {
    const reply = await udpExchange(port, query("sip.operator.example", "A"), 500).catch(() => undefined);
    if (reply !== undefined && answerA(reply) === expected) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

function summary(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): string => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(2);
  console.log(`${label.padEnd(34)} n=${s.length} median=${at(0.5)} ms p90=${at(0.9)} ms max=${at(1)} ms`);
}

const nodes: FailoverNode[] = [PRIMARY, STANDBY];

async function benchEmbedded(): Promise<void> {
  const server = new EmbeddedDnsServer({ zone: SERVICE.zone, port: 0, service: SERVICE });
  const { port } = await server.start();
  server.setActive(PRIMARY);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const node = nodes[(i + 1) % 2]!;
    const t0 = performance.now();
    server.setActive(node);
    await waitFor(port, node.ipv4!);
    samples.push(performance.now() - t0);
  }
  await server.stop();
  summary("embedded: setActive → served", samples);
}

async function benchKnot(): Promise<void> {
  const secret = randomBytes(32).toString("base64");
  const knot = await startKnot({
    zone: SERVICE.zone,
    keyName: "bench-key",
    secret,
    zoneBody: "@ SOA ns1 hostmaster 1 3600 600 604800 30\n@ NS ns1\nns1 A 127.0.0.1",
  });
  try {
    const pub = new Rfc2136Publisher({
      server: { host: "127.0.0.1", port: knot.port },
      zone: SERVICE.zone,
      key: { name: "bench-key", secret },
      service: SERVICE,
    });
    await pub.publishActive(PRIMARY);
    const acked: number[] = [];
    const served: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const node = nodes[(i + 1) % 2]!;
      const t0 = performance.now();
      await pub.publishActive(node);
      acked.push(performance.now() - t0);
      await waitFor(knot.port, node.ipv4!);
      served.push(performance.now() - t0);
    }
    summary("rfc2136: publishActive → acked", acked);
    summary("rfc2136: publishActive → served", served);
  } finally {
    await knot.stop();
  }
}

await benchEmbedded();
await benchKnot();
