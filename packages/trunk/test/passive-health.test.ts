import type { SipStack } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CarrierDirectory, OutboundCall, SipResolver } from "../src/index.js";
import { until } from "./helpers/carrier-suite.js";
import { type CarrierRun, startCarrier } from "./helpers/sipp-carrier.js";
import { callerInvite, plan, RecordingOwner, startStack } from "./helpers/stack.js";

// Passive health: what real calls see (5xx, silence) demotes a carrier for a while; a demoted
// carrier is still tried after the others, so when all are demoted calls go on in order.
interface Ctx {
  store: Store;
  stack: SipStack;
  directory: CarrierDirectory;
  carriers: CarrierRun[];
}

const test = suite<Ctx>("passive carrier health");

test.before.each(async (ctx) => {
  ctx.store = openSqliteStore(":memory:");
  ctx.stack = await startStack();
  ctx.directory = new CarrierDirectory({
    store: ctx.store,
    resolver: new SipResolver(),
    random: () => 0,
    health: { demoteMs: 60_000 },
  });
  ctx.carriers = [];
});

test.after.each(async (ctx) => {
  ctx.directory.health.close();
  for (const c of ctx.carriers) await c.stop();
  await ctx.stack.close(0);
  await ctx.store.close();
});

async function addCarrier(ctx: Ctx, name: string, port: number, priority: number) {
  const c = await ctx.store.carriers.create({ name, host: "127.0.0.1", port, priority });
  await ctx.store.carriers.addRoute(c.id, "33");
  return c;
}

async function call(ctx: Ctx, timeoutMs = 3_000) {
  const owner = new RecordingOwner(ctx.stack);
  const c = new OutboundCall({
    stack: ctx.stack,
    carriers: ctx.directory,
    plan,
    request: callerInvite(),
    destination: "+33142000000",
    presentation: { number: "+33198765432", withheld: false },
    owner,
    noResponseTimeoutMs: timeoutMs,
  });
  c.start();
  return { owner, call: c };
}

const order = async (ctx: Ctx) => (await ctx.directory.candidates("+33142000000")).map((c) => c.name);

test("a 503 on a real call demotes the carrier: the next calls try it last, with the reason kept", async (ctx) => {
  const bad = await startCarrier("carrier-503.xml");
  const good = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(bad, good);
  const first = await addCarrier(ctx, "first", bad.port, 1);
  await addCarrier(ctx, "second", good.port, 2);
  const before = Date.now();
  const { owner } = await call(ctx);
  assert.is(await owner.outcome, "answered");
  const s = ctx.directory.health.status(first.id);
  assert.is(s.state, "demoted");
  assert.is(s.source, "calls");
  assert.match(s.reason ?? "", /^503 /);
  assert.ok(s.since >= before);
  assert.equal(await order(ctx), ["second", "first"]);
});

test("silence on a real call demotes; demotion by calls ends by itself after demoteMs", async (ctx) => {
  ctx.directory = new CarrierDirectory({
    store: ctx.store,
    resolver: new SipResolver(),
    random: () => 0,
    health: { demoteMs: 400 },
  });
  const silent = await startCarrier("carrier-silent.xml");
  const good = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(silent, good);
  const quiet = await addCarrier(ctx, "quiet", silent.port, 1);
  await addCarrier(ctx, "good", good.port, 2);
  const { owner } = await call(ctx, 300);
  assert.is(await owner.outcome, "answered");
  assert.is(ctx.directory.health.status(quiet.id).state, "demoted");
  assert.match(ctx.directory.health.status(quiet.id).reason ?? "", /no answer to a call in 300 ms/);
  assert.equal(await order(ctx), ["good", "quiet"]);
  await until(() => ctx.directory.isUp(quiet.id), 2_000);
  assert.equal(await order(ctx), ["quiet", "good"]);
});

test("every carrier demoted: the call still tries them in order, and the one that answers is back up", async (ctx) => {
  const answering = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(answering);
  const a = await addCarrier(ctx, "a", answering.port, 1);
  const b = await addCarrier(ctx, "b", answering.port + 1, 2);
  ctx.directory.report(a, "503 Service Unavailable to a call");
  ctx.directory.report(b, "INVITE timed out");
  assert.not.ok(ctx.directory.isUp(a.id));
  assert.not.ok(ctx.directory.isUp(b.id));
  assert.equal(await order(ctx), ["a", "b"]);
  const { owner, call: c } = await call(ctx);
  assert.is(await owner.outcome, "answered", "all demoted must not mean 503 at once");
  assert.is(c.carrier?.name, "a");
  assert.ok(ctx.directory.isUp(a.id), "a carrier that carried a call is back in rotation");
  assert.not.ok(ctx.directory.isUp(b.id));
});

test.run();
