import { promises as dns } from "node:dns";
import * as dnsPacket from "dns-packet";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { QueryResponder } from "../src/dns/query-responder.js";
import {
  computeFailoverRecords,
  EmbeddedDnsServer,
  type FailoverRecord,
  InvalidDnsConfigError,
} from "../src/index.js";
import { decode, query, rcodeOf, tcpExchange, udpExchange } from "./helpers/dns-client.js";
import { PRIMARY, SERVICE, STANDBY } from "./helpers/fixtures.js";
import { kdig } from "./helpers/kdig.js";

interface Ctx {
  server: EmbeddedDnsServer;
  port: number;
  resolver: dns.Resolver;
  startError: unknown;
}

const t = suite<Ctx>("embedded dns server");

t.before(async (ctx) => {
  // uvu swallows errors thrown by before hooks: keep it and fail every test with it instead.
  try {
    ctx.server = new EmbeddedDnsServer({
      zone: SERVICE.zone,
      port: 0,
      service: SERVICE,
      initialSerial: 1000,
      nameServers: [{ name: "ns1.operator.example", ipv4: "127.0.0.1" }],
    });
    ctx.server.setActive({ ipv4: PRIMARY.ipv4, ipv6: PRIMARY.ipv6 });
    ctx.port = (await ctx.server.start()).port;
    ctx.resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    ctx.resolver.setServers([`127.0.0.1:${ctx.port}`]);
  } catch (err) {
    ctx.startError = err;
  }
});

t.before.each((ctx) => {
  if (ctx.startError !== undefined) throw ctx.startError;
});

t.after(async (ctx) => {
  await ctx.server?.stop();
});

t("node resolver: A, AAAA, SRV, NAPTR, SOA, NS", async ({ resolver, server }) => {
  assert.equal(await resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
  assert.equal(await resolver.resolve6("sip.operator.example"), ["::1"]);
  const srv = await resolver.resolveSrv("_sips._tcp.sip.operator.example");
  assert.equal(srvFields(srv), [
    { priority: 10, weight: 0, port: 5061, name: "primary.operator.example" },
    { priority: 20, weight: 0, port: 5071, name: "standby.operator.example" },
  ]);
  const naptr = await resolver.resolveNaptr("sip.operator.example");
  assert.equal(
    naptr.map((n) => [n.order, n.service, n.replacement, n.flags]),
    [
      [50, "SIPS+D2T", "_sips._tcp.sip.operator.example", "s"],
      [90, "SIP+D2T", "_sip._tcp.sip.operator.example", "s"],
      [100, "SIP+D2U", "_sip._udp.sip.operator.example", "s"],
    ],
  );
  const soa = await resolver.resolveSoa("operator.example");
  assert.is(soa.serial, server.serial);
  assert.is(soa.nsname, "ns1.operator.example");
  assert.equal(await resolver.resolveNs("operator.example"), ["ns1.operator.example"]);
});

t("setActive switches the answer and bumps the SOA serial", async ({ resolver, server }) => {
  const before = (await resolver.resolveSoa("operator.example")).serial;
  server.setActive({ ipv4: STANDBY.ipv4 });
  assert.equal(await resolver.resolve4("sip.operator.example"), ["127.0.0.12"]);
  // The standby has no IPv6: the AAAA RRset is gone (NODATA, not the old address).
  await resolver.resolve6("sip.operator.example").then(
    () => assert.unreachable("AAAA should be gone"),
    (err: NodeJS.ErrnoException) => assert.is(err.code, "ENODATA"),
  );
  const after = (await resolver.resolveSoa("operator.example")).serial;
  assert.is(after, before + 1);
  await server.publishActive({ ipv4: PRIMARY.ipv4, ipv6: PRIMARY.ipv6 });
  assert.equal(await resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
  assert.is((await resolver.resolveSoa("operator.example")).serial, before + 2);
});

t("AA bit, question echoed with its case, additional A/AAAA for SRV targets", async ({ port }) => {
  const reply = decode(await udpExchange(port, query("_SIP._udp.Sip.Operator.Example", "SRV")));
  assert.is(reply.id, 4242);
  assert.ok(reply.flag_aa);
  assert.is(reply.questions?.[0]?.name, "_SIP._udp.Sip.Operator.Example");
  assert.is(reply.answers?.length, 2);
  // Names compressed against the question carry its case: DNS compares names case-insensitively.
  const extra = (reply.additionals ?? []).map(
    (r) => `${r.name.toLowerCase()} ${r.type} ${String((r as { data: unknown }).data)}`,
  );
  assert.equal(extra.sort(), [
    "primary.operator.example A 127.0.0.11",
    "primary.operator.example AAAA ::1",
    "standby.operator.example A 127.0.0.12",
  ]);
});

t("NAPTR answer carries the SRV records and their addresses as additional data", async ({ port }) => {
  const reply = decode(await udpExchange(port, query("sip.operator.example", "NAPTR", { edns: 1232 })));
  assert.is(reply.answers?.length, 3);
  const extra = reply.additionals ?? [];
  assert.is(extra.filter((r) => r.type === "SRV").length, 6);
  assert.is(extra.filter((r) => r.type === "A").length, 2);
  assert.is(extra.filter((r) => r.type === "OPT").length, 1);
});

t("NXDOMAIN vs NODATA, both with the SOA for negative caching", async ({ port, server }) => {
  const nx = decode(await udpExchange(port, query("nope.operator.example", "A")));
  assert.is(nx.rcode, "NXDOMAIN");
  assert.ok(nx.flag_aa);
  assert.is(nx.authorities?.[0]?.type, "SOA");
  assert.is((nx.authorities?.[0] as dnsPacket.SoaAnswer | undefined)?.data.serial, server.serial);
  // Exists with other types: NODATA.
  const nodata = decode(await udpExchange(port, query("standby.operator.example", "AAAA")));
  assert.is(nodata.rcode, "NOERROR");
  assert.is(nodata.answers?.length, 0);
  assert.is(nodata.authorities?.[0]?.type, "SOA");
  // Empty non-terminal (_udp.sip.operator.example has children only): NODATA too.
  const ent = decode(await udpExchange(port, query("_udp.sip.operator.example", "A")));
  assert.is(ent.rcode, "NOERROR");
  assert.is(ent.answers?.length, 0);
  // Below a leaf: NXDOMAIN.
  const below = decode(await udpExchange(port, query("x.primary.operator.example", "A")));
  assert.is(below.rcode, "NXDOMAIN");
});

t("REFUSED outside the zone, without AA", async ({ port }) => {
  for (const name of ["example.com", "operator.example.org", "example"]) {
    const r = decode(await udpExchange(port, query(name, "A")));
    assert.is(r.rcode, "REFUSED", name);
    assert.not.ok(r.flag_aa);
  }
});

t("ANY returns every RRset at the name", async ({ port }) => {
  const r = decode(await tcpExchange(port, query("sip.operator.example", "ANY")));
  assert.equal([...new Set((r.answers ?? []).map((a) => a.type))].sort(), ["A", "AAAA", "NAPTR"]);
});

t("kdig (independent client) over UDP and TCP", async ({ port, server }) => {
  const a = await kdig(port, "sip.operator.example", "A");
  assert.is(a.status, "NOERROR");
  assert.ok(a.flags.includes("aa"), a.raw);
  assert.equal(a.answers, ["sip.operator.example. 30 IN A 127.0.0.11"]);
  const srv = await kdig(port, "_sip._tcp.sip.operator.example", "SRV", ["+tcp"]);
  assert.equal(srv.answers, [
    "_sip._tcp.sip.operator.example. 30 IN SRV 10 0 5060 primary.operator.example.",
    "_sip._tcp.sip.operator.example. 30 IN SRV 20 0 5070 standby.operator.example.",
  ]);
  assert.ok(srv.additional.includes("standby.operator.example. 30 IN A 127.0.0.12"), srv.raw);
  const naptr = await kdig(port, "sip.operator.example", "NAPTR");
  assert.ok(
    naptr.answers.includes(
      'sip.operator.example. 30 IN NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.sip.operator.example.',
    ),
    naptr.raw,
  );
  const soa = await kdig(port, "operator.example", "SOA");
  assert.match(soa.answers[0] ?? "", ` ${server.serial} `);
  const nx = await kdig(port, "missing.operator.example", "A");
  assert.is(nx.status, "NXDOMAIN");
  assert.is(nx.authority.length, 1);
  const refused = await kdig(port, "example.net", "A");
  assert.is(refused.status, "REFUSED");
});

const BIG: FailoverRecord[] = Array.from({ length: 40 }, (_, i) => ({
  name: "big.operator.example",
  type: "A" as const,
  ttl: 30,
  data: `127.0.1.${i + 1}`,
}));

t("UDP answers over 512 bytes are truncated without EDNS0, full with EDNS0 and TCP", async (ctx) => {
  const { port, server, resolver } = ctx;
  server.setRecords([...computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4 } }), ...BIG]);
  const plain = await udpExchange(port, query("big.operator.example", "A"));
  assert.ok(plain.length <= 512);
  const p = decode(plain);
  assert.ok(p.flag_tc, "TC set");
  assert.is(p.answers?.length, 0);
  const edns = await udpExchange(port, query("big.operator.example", "A", { edns: 4096 }));
  const e = decode(edns);
  assert.not.ok(e.flag_tc);
  assert.is(e.answers?.length, 40);
  assert.ok(edns.length > 512);
  // A small EDNS0 buffer is honoured (never below 512).
  const small = decode(await udpExchange(port, query("big.operator.example", "A", { edns: 600 })));
  assert.ok(small.flag_tc);
  const tcp = decode(await tcpExchange(port, query("big.operator.example", "A")));
  assert.not.ok(tcp.flag_tc);
  assert.is(tcp.answers?.length, 40);
  // Resolvers retry over TCP on TC: both clients end up with every address.
  assert.is((await resolver.resolve4("big.operator.example")).length, 40);
  const k = await kdig(port, "big.operator.example", "A", ["+noedns"]);
  assert.is(k.answers.length, 40);
  const kt = await kdig(port, "big.operator.example", "A", ["+noedns", "+ignore"]);
  assert.ok(kt.flags.includes("tc"), kt.raw);
  server.setActive({ ipv4: PRIMARY.ipv4, ipv6: PRIMARY.ipv6 });
});

t("setRecords is all-or-nothing: a bad set leaves the served one and the serial alone", async (ctx) => {
  const serial = ctx.server.serial;
  assert.throws(
    () =>
      ctx.server.setRecords([
        { name: "ok.operator.example", type: "A", ttl: 30, data: "127.0.0.9" },
        { name: "www.elsewhere.example", type: "A", ttl: 30, data: "127.0.0.9" },
      ]),
    (err: unknown) => err instanceof InvalidDnsConfigError,
  );
  assert.is(ctx.server.serial, serial);
  assert.equal(await ctx.resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
  const r = decode(await udpExchange(ctx.port, query("ok.operator.example", "A")));
  assert.is(r.rcode, "NXDOMAIN");
});

t("FORMERR, NOTIMP and BADVERS on bad queries", async ({ port }) => {
  const headerOnly = Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const r1 = await udpExchange(port, headerOnly);
  assert.is(r1.readUInt16BE(0), 0x1234);
  assert.is(rcodeOf(r1), 1);
  const two = dnsPacket.encode({
    type: "query",
    id: 7,
    questions: [
      { type: "A", name: "a.operator.example" },
      { type: "A", name: "b.operator.example" },
    ],
  });
  assert.is(rcodeOf(await udpExchange(port, two)), 1);
  const status = query("sip.operator.example", "A", { flags: 2 << 11 });
  assert.is(rcodeOf(await udpExchange(port, status)), 4);
  const v1 = query("sip.operator.example", "A", { edns: 1232 });
  // EDNS version lives in the OPT TTL's second byte: the last 11 bytes are OPT (root, type, class, ttl, len).
  v1[v1.length - 5] = 1;
  const bad = decode(await udpExchange(port, v1));
  const opt = bad.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer | undefined;
  assert.is(((opt?.extendedRcode ?? 0) << 4) | ((bad.flags ?? 0) & 0xf), 16);
});

t(
  "fuzz: thousands of random and mutated packets never crash the server",
  async ({ port, resolver, server }) => {
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const seeds = [
      query("sip.operator.example", "A"),
      query("_sip._udp.sip.operator.example", "SRV", { edns: 1232 }),
      query("sip.operator.example", "NAPTR"),
      query("operator.example", "ANY", { edns: 4096 }),
    ];
    const packets: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) {
        packets.push(Buffer.from(Array.from({ length: rand(80) }, () => rand(256))));
        continue;
      }
      const p = Buffer.from(seeds[rand(seeds.length)]!);
      const flips = 1 + rand(6);
      for (let f = 0; f < flips; f++) p[rand(p.length)] = rand(256);
      packets.push(rand(4) === 0 ? p.subarray(0, rand(p.length)) : p);
    }
    // The same packets straight through the responder: nothing throws, every reply is a well-formed message.
    const responder = new QueryResponder();
    let expected = 0;
    for (const p of packets) {
      const out = responder.respond(p, server.zone, false);
      if (out === undefined) continue;
      expected++;
      assert.ok(out.length <= 512);
      dnsPacket.decode(out);
    }
    const { createSocket } = await import("node:dgram");
    const sock = createSocket("udp4");
    let replies = 0;
    let malformedReplies = 0;
    sock.on("message", (msg) => {
      replies++;
      try {
        // Every reply must itself be a well-formed DNS message.
        dnsPacket.decode(msg);
      } catch {
        malformedReplies++;
      }
    });
    await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
    for (let i = 0; i < packets.length; i += 20) {
      for (const p of packets.slice(i, i + 20)) sock.send(p, port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 5));
    }
    // Wait until replies stop arriving.
    for (let last = -1; last !== replies; ) {
      last = replies;
      await new Promise((r) => setTimeout(r, 150));
    }
    sock.close();
    // Mutations that keep a 12-byte header and clear QR get answered; the rest is dropped.
    assert.ok(expected > 1000, `expected replies: ${expected}`);
    // Loopback UDP may drop some under a loaded machine; the server answering to the end
    // (checked below) is what shows it survived. Half the answers rules out an early stall.
    assert.ok(replies >= expected * 0.5, `udp replies: ${replies} of ${expected}`);
    assert.is(malformedReplies, 0);
    // Garbage over TCP too, then the server still answers on both transports.
    for (let i = 0; i < 50; i++) {
      await tcpExchange(port, packets[i * 7]!, 300).catch(() => undefined);
    }
    assert.equal(await resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
    const tcp = decode(await tcpExchange(port, query("sip.operator.example", "A")));
    assert.is(tcp.answers?.length, 1);
    assert.ok(server.zone.records().length > 0);
  },
);

/** A UDP-only pair (the measured one): no SIPS/TCP may be advertised, the live node first. */
const UDP_ONLY = {
  ...SERVICE,
  nodes: [
    { ...PRIMARY, ports: { udp: 5060 } },
    { ...STANDBY, ports: { udp: 5070 } },
  ],
};

t("kdig: UDP-only pair advertises UDP only; after takeover the standby leads every SRV set", async () => {
  const server = new EmbeddedDnsServer({ zone: SERVICE.zone, port: 0, service: UDP_ONLY });
  server.setActive({ ipv4: STANDBY.ipv4 });
  const { port } = await server.start();
  try {
    const naptr = await kdig(port, "sip.operator.example", "NAPTR");
    assert.equal(naptr.answers, [
      'sip.operator.example. 30 IN NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.sip.operator.example.',
    ]);
    assert.equal((await kdig(port, "_sips._tcp.sip.operator.example", "SRV")).answers, []);
    const srv = await kdig(port, "_sip._udp.sip.operator.example", "SRV");
    assert.equal(srv.answers, [
      "_sip._udp.sip.operator.example. 30 IN SRV 10 0 5070 standby.operator.example.",
      "_sip._udp.sip.operator.example. 30 IN SRV 20 0 5060 primary.operator.example.",
    ]);
    server.setActive({ ipv4: PRIMARY.ipv4 });
    const back = await kdig(port, "_sip._udp.sip.operator.example", "SRV");
    assert.equal(back.answers, [
      "_sip._udp.sip.operator.example. 30 IN SRV 10 0 5060 primary.operator.example.",
      "_sip._udp.sip.operator.example. 30 IN SRV 20 0 5070 standby.operator.example.",
    ]);
  } finally {
    await server.stop();
  }
});

t.run();

/** The fields DNS carries (Node 24's resolver adds `type: "SRV"` to each record; Node 20 does not). */
function srvFields(records: readonly { priority: number; weight: number; port: number; name: string }[]) {
  return records.map(({ priority, weight, port, name }) => ({ priority, weight, port, name }));
}
