import { EmbeddedDnsServer, type FailoverRecord } from "@centrex/failover";
import type { SipStack } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CarrierDirectory, CarrierResolutionError, OutboundCall, SipResolver } from "../src/index.js";
import { freePort, startCarrier } from "./helpers/sipp-carrier.js";
import { callerInvite, plan, RecordingOwner, startStack } from "./helpers/stack.js";

interface Ctx {
  dns: EmbeddedDnsServer;
  server: string;
  deadPort: number;
  livePort: number;
}

const test = suite<Ctx>("RFC 3263 resolution against a local DNS server");

function records(deadPort: number, livePort: number): FailoverRecord[] {
  const ttl = 30;
  return [
    {
      name: "trunk.carrier.test",
      type: "NAPTR",
      ttl,
      data: {
        order: 10,
        preference: 50,
        flags: "s",
        services: "SIP+D2U",
        regexp: "",
        replacement: "_sip._udp.trunk.carrier.test",
      },
    },
    {
      name: "trunk.carrier.test",
      type: "NAPTR",
      ttl,
      data: {
        order: 20,
        preference: 50,
        flags: "s",
        services: "SIP+D2T",
        regexp: "",
        replacement: "_sip._tcp.elsewhere.carrier.test",
      },
    },
    {
      name: "_sip._udp.trunk.carrier.test",
      type: "SRV",
      ttl,
      data: { priority: 10, weight: 0, port: deadPort, target: "a.carrier.test" },
    },
    {
      name: "_sip._udp.trunk.carrier.test",
      type: "SRV",
      ttl,
      data: { priority: 20, weight: 0, port: livePort, target: "b.carrier.test" },
    },
    { name: "a.carrier.test", type: "A", ttl, data: "127.0.0.3" },
    { name: "b.carrier.test", type: "A", ttl, data: "127.0.0.2" },
    { name: "plain.carrier.test", type: "A", ttl, data: "127.0.0.4" },
    {
      name: "_sip._udp.srvonly.carrier.test",
      type: "SRV",
      ttl,
      data: { priority: 5, weight: 0, port: 5080, target: "b.carrier.test" },
    },
  ];
}

test.before(async (ctx) => {
  ctx.deadPort = await freePort("127.0.0.3");
  ctx.livePort = await freePort("127.0.0.2");
  ctx.dns = new EmbeddedDnsServer({
    zone: "carrier.test",
    host: "127.0.0.1",
    port: 0,
    records: records(ctx.deadPort, ctx.livePort),
  });
  const a = await ctx.dns.start();
  ctx.server = `127.0.0.1:${a.port}`;
});

test.after(async (ctx) => {
  await ctx.dns.stop();
});

test("NAPTR → SRV → A: every address in priority order, for the configured transport", async (ctx) => {
  const r = new SipResolver({ servers: [ctx.server] });
  assert.equal(await r.resolve("trunk.carrier.test", { transport: "UDP" }), [
    { transport: "UDP", address: "127.0.0.3", port: ctx.deadPort },
    { transport: "UDP", address: "127.0.0.2", port: ctx.livePort },
  ]);
  assert.equal(r.knownAddresses("trunk.carrier.test").sort(), ["127.0.0.2", "127.0.0.3"]);
});

test("no NAPTR: SRV for the transport; explicit port: A only; literal address: no DNS at all", async (ctx) => {
  const r = new SipResolver({ servers: [ctx.server] });
  assert.equal(await r.resolve("srvonly.carrier.test", { transport: "UDP" }), [
    { transport: "UDP", address: "127.0.0.2", port: 5080 },
  ]);
  assert.equal(await r.resolve("plain.carrier.test", { transport: "UDP", port: 5070 }), [
    { transport: "UDP", address: "127.0.0.4", port: 5070 },
  ]);
  assert.equal(await r.resolve("plain.carrier.test", { transport: "TCP" }), [
    { transport: "TCP", address: "127.0.0.4", port: 5060 },
  ]);
  // A resolver pointed at a port nobody serves still handles literals.
  const offline = new SipResolver({ servers: [`127.0.0.1:${ctx.deadPort}`], timeoutMs: 200, tries: 1 });
  assert.equal(await offline.resolve("127.0.0.5", { transport: "UDP", port: 5062 }), [
    { transport: "UDP", address: "127.0.0.5", port: 5062 },
  ]);
  try {
    await r.resolve("missing.carrier.test", { transport: "UDP" });
    assert.unreachable("resolved a missing name");
  } catch (err) {
    assert.instance(err, CarrierResolutionError);
    assert.is((err as CarrierResolutionError).status, 503);
  }
});

test("outbound call to a carrier known by name: first SRV target silent, failover to the next; sources accepted", async (ctx) => {
  const store: Store = openSqliteStore(":memory:");
  const stack: SipStack = await startStack();
  const run = await startCarrier("carrier-answer.xml", { address: "127.0.0.2", port: ctx.livePort });
  try {
    const c = await store.carriers.create({ name: "named", host: "trunk.carrier.test", port: 5060 });
    await store.carriers.addRoute(c.id, "");
    const directory = new CarrierDirectory({ store, resolver: new SipResolver({ servers: [ctx.server] }) });
    await directory.refresh();
    assert.ok(directory.isCarrierSource("127.0.0.2", 40000));
    assert.ok(directory.isCarrierSource("127.0.0.3", ctx.deadPort));
    assert.ok(directory.isCarrierSource("::ffff:127.0.0.2"));
    assert.not.ok(directory.isCarrierSource("127.0.0.1", 5060));
    assert.not.ok(directory.isCarrierSource("127.0.0.9"));
    assert.is(directory.carrierAt("127.0.0.2")?.name, "named");

    const owner = new RecordingOwner(stack);
    const call = new OutboundCall({
      stack,
      carriers: directory,
      plan,
      request: callerInvite(),
      destination: "+33142000000",
      presentation: { number: "+33198765432", withheld: false },
      owner,
      noResponseTimeoutMs: 500,
    });
    call.start();
    assert.is(await owner.outcome, "answered");
    assert.equal(
      call.attempts.map((a) => [a.target.address, a.target.port, a.outcome]),
      [
        ["127.0.0.3", ctx.deadPort, "timeout"],
        ["127.0.0.2", ctx.livePort, 200],
      ],
    );
    // The Request-URI keeps the carrier's name (RFC 3263: resolution does not rewrite it).
    assert.is(owner.answers[0]?.get("x-got-uri"), "sip:+33142000000@trunk.carrier.test");
    const r = await run.finished;
    assert.is(r.code, 0, r.errors);
  } finally {
    await run.stop();
    await stack.close(0);
    await store.close();
  }
});

test.run();
