import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { promises as dns } from "node:dns";
import { connect, createServer } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  DnsUpdateNotAuthError,
  DnsUpdateRcodeError,
  DnsUpdateRefusedError,
  EmbeddedDnsServer,
  type FailoverDnsPublisher,
  type FailoverRecord,
  Rfc2136Publisher,
  TsigVerificationError,
} from "../src/index.js";
import { requireBinary } from "./helpers/binary.js";
import { PRIMARY, SERVICE, STANDBY } from "./helpers/fixtures.js";
import { kdig } from "./helpers/kdig.js";
import { type KnotInstance, startKnot } from "./helpers/knot.js";

interface Ctx {
  knot: KnotInstance;
  secret: string;
  resolver: dns.Resolver;
  startError: unknown;
}

const t = suite<Ctx>("rfc 2136 + tsig against knotd");
const KEY = "centrex-update";

t.before(async (ctx) => {
  // uvu swallows errors thrown by before hooks: keep it and fail every test with it instead.
  try {
    ctx.secret = randomBytes(32).toString("base64");
    ctx.knot = await startKnot({
      zone: SERVICE.zone,
      keyName: KEY,
      secret: ctx.secret,
      zoneBody: [
        "@ SOA ns1 hostmaster 1 3600 600 604800 30",
        "@ NS ns1",
        "ns1 A 127.0.0.1",
        "sip A 127.0.0.99",
        "other A 127.0.0.50",
      ].join("\n"),
    });
    ctx.resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    ctx.resolver.setServers([`127.0.0.1:${ctx.knot.port}`]);
  } catch (err) {
    ctx.startError = err;
  }
});

t.before.each((ctx) => {
  if (ctx.startError !== undefined) throw ctx.startError;
});

t.after(async (ctx) => {
  await ctx.knot?.stop();
});

const publisher = (ctx: Ctx, over: Partial<ConstructorParameters<typeof Rfc2136Publisher>[0]> = {}) =>
  new Rfc2136Publisher({
    server: { host: "127.0.0.1", port: ctx.knot.port },
    zone: SERVICE.zone,
    key: { name: KEY, algorithm: "hmac-sha256", secret: ctx.secret },
    service: SERVICE,
    timeoutMs: 2000,
    ...over,
  });

t("knotd and kdig are installed (install the Debian packages knot and knot-dnsutils)", () => {
  assert.ok(requireBinary("knotd", "knot").endsWith("/knotd"));
  assert.ok(requireBinary("kdig", "knot-dnsutils").endsWith("/kdig"));
});

t("publishActive(primary): knot serves the new A, AAAA, SRV and NAPTR, serial increased", async (ctx) => {
  const serial0 = (await ctx.resolver.resolveSoa("operator.example")).serial;
  await publisher(ctx).publishActive(PRIMARY);
  assert.equal(await ctx.resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
  assert.equal(await ctx.resolver.resolve6("sip.operator.example"), ["::1"]);
  const srv = await ctx.resolver.resolveSrv("_sip._udp.sip.operator.example");
  assert.equal(
    srvFields(srv).sort((a, b) => a.priority - b.priority),
    [
      { priority: 10, weight: 0, port: 5060, name: "primary.operator.example" },
      { priority: 20, weight: 0, port: 5070, name: "standby.operator.example" },
    ],
  );
  const naptr = await ctx.resolver.resolveNaptr("sip.operator.example");
  assert.equal(naptr.map((n) => n.service).sort(), ["SIP+D2T", "SIP+D2U", "SIPS+D2T"]);
  const k = await kdig(ctx.knot.port, "_sips._tcp.sip.operator.example", "SRV");
  assert.equal(k.answers.sort(), [
    "_sips._tcp.sip.operator.example. 30 IN SRV 10 0 5061 primary.operator.example.",
    "_sips._tcp.sip.operator.example. 30 IN SRV 20 0 5071 standby.operator.example.",
  ]);
  assert.ok((await ctx.resolver.resolveSoa("operator.example")).serial > serial0);
  // Records outside the managed set are untouched.
  assert.equal(await ctx.resolver.resolve4("other.operator.example"), ["127.0.0.50"]);
});

t("switch to the standby: A replaced (old address gone), AAAA removed", async (ctx) => {
  await publisher(ctx).publishActive(STANDBY);
  const a = await kdig(ctx.knot.port, "sip.operator.example", "A");
  assert.equal(a.answers, ["sip.operator.example. 30 IN A 127.0.0.12"]);
  assert.ok(a.flags.includes("aa"));
  await ctx.resolver.resolve6("sip.operator.example").then(
    () => assert.unreachable("AAAA must be deleted"),
    (err: NodeJS.ErrnoException) => assert.is(err.code, "ENODATA"),
  );
  // Publishing again is idempotent.
  await publisher(ctx).publishActive(STANDBY);
  assert.equal(await ctx.resolver.resolve4("sip.operator.example"), ["127.0.0.12"]);
  await publisher(ctx).publishActive(PRIMARY);
  assert.equal(await ctx.resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
});

t("forced TCP and forced UDP transports both work", async (ctx) => {
  const rec: FailoverRecord = { name: "tcp-test.operator.example", type: "A", ttl: 30, data: "127.0.0.77" };
  await publisher(ctx, { transport: "tcp" }).publish([rec]);
  assert.equal(await ctx.resolver.resolve4("tcp-test.operator.example"), ["127.0.0.77"]);
  await publisher(ctx, { transport: "udp" }).publish([{ ...rec, data: "127.0.0.78" }]);
  assert.equal(await ctx.resolver.resolve4("tcp-test.operator.example"), ["127.0.0.78"]);
});

t("wrong secret → NOTAUTH (BADSIG), unknown key → NOTAUTH (BADKEY); nothing changes", async (ctx) => {
  const wrongSecret = publisher(ctx, { key: { name: KEY, secret: randomBytes(32).toString("base64") } });
  try {
    await wrongSecret.publishActive(STANDBY);
    assert.unreachable("must be rejected");
  } catch (err) {
    assert.instance(err, DnsUpdateNotAuthError);
    const e = err as DnsUpdateNotAuthError;
    assert.is(e.rcodeName, "NOTAUTH");
    assert.is(e.rcode, 9);
    assert.is(e.tsigError, 16);
    assert.match(e.message, "NOTAUTH");
  }
  const unknownKey = publisher(ctx, { key: { name: "nobody", secret: ctx.secret } });
  try {
    await unknownKey.publishActive(STANDBY);
    assert.unreachable("must be rejected");
  } catch (err) {
    assert.instance(err, DnsUpdateNotAuthError);
    assert.is((err as DnsUpdateNotAuthError).tsigError, 17);
  }
  assert.equal(await ctx.resolver.resolve4("sip.operator.example"), ["127.0.0.11"]);
});

t(
  "checkKey: the right key is accepted and the zone is untouched (same serial); a wrong secret or an unknown key → NOTAUTH",
  async (ctx) => {
    const before = (await ctx.resolver.resolveSoa("operator.example")).serial;
    const records = await ctx.resolver.resolve4("sip.operator.example");
    await publisher(ctx).checkKey();
    assert.is((await ctx.resolver.resolveSoa("operator.example")).serial, before, "no change, no new serial");
    assert.equal(await ctx.resolver.resolve4("sip.operator.example"), records);
    for (const [key, tsigError] of [
      [{ name: KEY, secret: randomBytes(32).toString("base64") }, 16],
      [{ name: "nobody", secret: ctx.secret }, 17],
    ] as const) {
      try {
        await publisher(ctx, { key }).checkKey();
        assert.unreachable("must be rejected");
      } catch (err) {
        assert.instance(err, DnsUpdateNotAuthError);
        assert.is((err as DnsUpdateNotAuthError).tsigError, tsigError);
      }
    }
  },
);

t("an update for a zone knot does not serve → NOTAUTH typed error", async (ctx) => {
  const p = new Rfc2136Publisher({
    server: { host: "127.0.0.1", port: ctx.knot.port },
    zone: "elsewhere.example",
    key: { name: KEY, secret: ctx.secret },
  });
  try {
    await p.publish([{ name: "x.elsewhere.example", type: "A", ttl: 30, data: "127.0.0.1" }]);
    assert.unreachable("must be rejected");
  } catch (err) {
    assert.instance(err, DnsUpdateRcodeError);
    assert.ok(["NOTAUTH", "REFUSED"].includes((err as DnsUpdateRcodeError).rcodeName), String(err));
    assert.ok(err instanceof DnsUpdateNotAuthError || err instanceof DnsUpdateRefusedError);
  }
});

t("both publishers behind FailoverDnsPublisher: the same call moves the name on each", async (ctx) => {
  const embedded = new EmbeddedDnsServer({ zone: SERVICE.zone, port: 0, service: SERVICE });
  const { port: embeddedPort } = await embedded.start();
  try {
    const targets: [FailoverDnsPublisher, number][] = [
      [embedded, embeddedPort],
      [publisher(ctx), ctx.knot.port],
    ];
    for (const node of [STANDBY, PRIMARY]) {
      for (const [pub] of targets) await pub.publishActive(node);
      for (const [, port] of targets) {
        const r = new dns.Resolver({ timeout: 2000, tries: 1 });
        r.setServers([`127.0.0.1:${port}`]);
        assert.equal(await r.resolve4("sip.operator.example"), [node.ipv4], `port ${port}`);
      }
    }
  } finally {
    await embedded.stop();
  }
});

/**
 * A UDP relay in front of knot that rewrites every reply with `mutate`: stands in for an on-path attacker
 * or a broken middlebox, to prove that replies are only accepted with a valid TSIG.
 */
async function withTamperingRelay(
  knotPort: number,
  mutate: (reply: Buffer) => Buffer,
  body: (port: number) => Promise<void>,
): Promise<void> {
  const front = createSocket("udp4");
  const back = createSocket("udp4");
  let client: { port: number; address: string } | undefined;
  front.on("message", (msg, rinfo) => {
    client = { port: rinfo.port, address: rinfo.address };
    back.send(msg, knotPort, "127.0.0.1");
  });
  back.on("message", (msg) => {
    if (client !== undefined) front.send(mutate(Buffer.from(msg)), client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, "127.0.0.1", () => r()));
  await new Promise<void>((r) => back.bind(0, "127.0.0.1", () => r()));
  try {
    await body(front.address().port);
  } finally {
    front.close();
    back.close();
  }
}

t("a reply whose TSIG MAC was altered, or that lost its TSIG, is rejected", async (ctx) => {
  const rec: FailoverRecord = { name: "relay.operator.example", type: "A", ttl: 30, data: "127.0.0.81" };
  const flipLastMacByte = (reply: Buffer): Buffer => {
    // The TSIG RR ends with original ID (2), error (2), other len (2): the MAC's last byte is just before.
    reply[reply.length - 7]! ^= 0xff;
    return reply;
  };
  await withTamperingRelay(ctx.knot.port, flipLastMacByte, async (port) => {
    const p = publisher(ctx, { server: { host: "127.0.0.1", port }, transport: "udp", retries: 0 });
    try {
      await p.publish([rec]);
      assert.unreachable("tampered reply accepted");
    } catch (err) {
      assert.instance(err, TsigVerificationError);
    }
  });
  const stripTsig = (reply: Buffer): Buffer => {
    reply.writeUInt16BE(reply.readUInt16BE(10) - 1, 10);
    // knot's TSIG RR here: owner (key name, uncompressed) + fixed fields + hmac-sha256 name + 32-byte MAC.
    const tsigLen = KEY.length + 2 + 10 + "hmac-sha256".length + 2 + 6 + 2 + 2 + 32 + 6;
    return reply.subarray(0, reply.length - tsigLen);
  };
  await withTamperingRelay(ctx.knot.port, stripTsig, async (port) => {
    const p = publisher(ctx, { server: { host: "127.0.0.1", port }, transport: "udp", retries: 0 });
    try {
      await p.publish([rec]);
      assert.unreachable("unsigned reply accepted");
    } catch (err) {
      assert.instance(err, TsigVerificationError);
      assert.match((err as Error).message, "not signed");
    }
  });
});

t("a truncated UDP reply makes the publisher retry the update over TCP", async (ctx) => {
  const rec: FailoverRecord = { name: "tc.operator.example", type: "A", ttl: 30, data: "127.0.0.91" };
  let tcpConnections = 0;
  // UDP replies come back as header-only with TC set; TCP on the same port is piped to knot untouched.
  const truncate = (reply: Buffer): Buffer => {
    const h = Buffer.from(reply.subarray(0, 12));
    h.writeUInt16BE(h.readUInt16BE(2) | 0x0200, 2);
    h.fill(0, 4, 12);
    return h;
  };
  await withTamperingRelay(ctx.knot.port, truncate, async (port) => {
    const tcp = createServer((client) => {
      tcpConnections++;
      const upstream = connect(ctx.knot.port, "127.0.0.1");
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((r) => tcp.listen(port, "127.0.0.1", () => r()));
    try {
      await publisher(ctx, { server: { host: "127.0.0.1", port }, retries: 0 }).publish([rec]);
    } finally {
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  });
  assert.is(tcpConnections, 1);
  assert.equal(await ctx.resolver.resolve4("tc.operator.example"), ["127.0.0.91"]);
});

/** A UDP-only pair (the measured one): no SIPS/TCP may be advertised, the live node first. */
const UDP_ONLY = {
  ...SERVICE,
  nodes: [
    { ...PRIMARY, ports: { udp: 5060 } },
    { ...STANDBY, ports: { udp: 5070 } },
  ],
};

t(
  "kdig: UDP-only pair gets NAPTR/SRV for UDP only; takeover puts the standby first, failback back",
  async (ctx) => {
    const pub = publisher(ctx, { service: UDP_ONLY });
    await pub.publishActive(STANDBY);
    const naptr = await kdig(ctx.knot.port, "sip.operator.example", "NAPTR");
    assert.equal(naptr.answers, [
      'sip.operator.example. 30 IN NAPTR 100 50 "s" "SIP+D2U" "" _sip._udp.sip.operator.example.',
    ]);
    for (const name of ["_sips._tcp", "_sip._tcp"]) {
      const none = await kdig(ctx.knot.port, `${name}.sip.operator.example`, "SRV");
      assert.equal(none.answers, [], `${name}: no SRV left from the earlier full set`);
    }
    const after = await kdig(ctx.knot.port, "_sip._udp.sip.operator.example", "SRV");
    assert.equal(after.answers.sort(), [
      "_sip._udp.sip.operator.example. 30 IN SRV 10 0 5070 standby.operator.example.",
      "_sip._udp.sip.operator.example. 30 IN SRV 20 0 5060 primary.operator.example.",
    ]);
    await pub.publishActive(PRIMARY);
    const back = await kdig(ctx.knot.port, "_sip._udp.sip.operator.example", "SRV");
    assert.equal(back.answers.sort(), [
      "_sip._udp.sip.operator.example. 30 IN SRV 10 0 5060 primary.operator.example.",
      "_sip._udp.sip.operator.example. 30 IN SRV 20 0 5070 standby.operator.example.",
    ]);
  },
);

t.run();

/** The fields DNS carries (Node 24's resolver adds `type: "SRV"` to each record; Node 20 does not). */
function srvFields(records: readonly { priority: number; weight: number; port: number; name: string }[]) {
  return records.map(({ priority, weight, port, name }) => ({ priority, weight, port, name }));
}
