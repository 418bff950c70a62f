import type { Carrier } from "@centrex/store";
import * as assert from "uvu/assert";
import { HealthProbe, probeAnswered } from "../src/index.js";
import { carrierSuite, until } from "./helpers/carrier-suite.js";
import { freePort, startCarrier } from "./helpers/sipp-carrier.js";

const test = carrierSuite("OPTIONS health probe");

test("a carrier that answered OPTIONS and stops is demoted (tried last), and comes back when it answers again", async (ctx) => {
  const port = await freePort();
  const probed = await ctx.store.carriers.create({ name: "probed", host: "127.0.0.1", port, priority: 1 });
  // "other" stays alive all along: a SIPp that answers every OPTIONS.
  const alive = await startCarrier("carrier-options.xml", { calls: 1000 });
  const other = await ctx.store.carriers.create({
    name: "other",
    host: "127.0.0.1",
    port: alive.port,
    priority: 2,
  });
  await ctx.store.carriers.addRoute(probed.id, "33");
  await ctx.store.carriers.addRoute(other.id, "33");
  await ctx.directory.refresh();
  const events: string[] = [];
  ctx.directory.addListener({
    onCarrierDown: (c: Carrier) => events.push(`down:${c.name}`),
    onCarrierUp: (c: Carrier) => events.push(`up:${c.name}`),
  });
  assert.equal(
    (await ctx.directory.candidates("+33142000000")).map((c) => c.name),
    ["probed", "other"],
  );
  // The carrier answers one probe (SIPp then exits): from then on its silence means something.
  const once = await startCarrier("carrier-options.xml", { port, calls: 1 });
  const shared = new HealthProbe({
    stack: ctx.stack,
    directory: ctx.directory,
    intervalMs: 150,
    timeoutMs: 300,
    downAfter: 2,
  });
  shared.start();
  try {
    assert.is((await once.finished).code, 0);
    await until(() => events.includes("down:probed"), 8_000);
    assert.not.ok(ctx.directory.isUp(probed.id));
    assert.match(ctx.directory.health.status(probed.id).reason ?? "", /stopped answering OPTIONS/);
    assert.equal(
      (await ctx.directory.candidates("+33142000000")).map((c) => c.name),
      ["other", "probed"],
    );
    // The carrier comes back: SIPp answers the next OPTIONS.
    const run = await startCarrier("carrier-options.xml", { port });
    try {
      await until(() => events.includes("up:probed"), 8_000);
      assert.ok(ctx.directory.isUp(probed.id));
      assert.equal(
        (await ctx.directory.candidates("+33142000000")).map((c) => c.name),
        ["probed", "other"],
      );
      const r = await run.finished;
      assert.is(r.code, 0, r.errors);
    } finally {
      await run.stop();
    }
  } finally {
    await shared.stop();
    await alive.stop();
  }
  assert.is(events[0], "down:probed");
  assert.not.ok(events.includes("down:other"));
  assert.ok(events.indexOf("up:probed") > 0);
});

test("a carrier that never answered a probe is not demoted for its silence (it ignores OPTIONS)", async (ctx) => {
  const c = await ctx.store.carriers.create({ name: "sbc", host: "127.0.0.1", port: await freePort() });
  await ctx.directory.refresh();
  const probe = new HealthProbe({ stack: ctx.stack, directory: ctx.directory, timeoutMs: 150, downAfter: 2 });
  for (let i = 0; i < 4; i++) assert.is(await probe.probe(c), false);
  assert.ok(ctx.directory.isUp(c.id));
  assert.not.ok(probe.answersProbes(c.id));
});

test("one missed probe is not enough with downAfter 2 (a carrier that answered before)", async (ctx) => {
  const port = await freePort();
  const c = await ctx.store.carriers.create({ name: "flaky", host: "127.0.0.1", port });
  await ctx.directory.refresh();
  const probe = new HealthProbe({ stack: ctx.stack, directory: ctx.directory, timeoutMs: 200, downAfter: 2 });
  const once = await startCarrier("carrier-options.xml", { port, calls: 1 });
  assert.is(await probe.probe(c), true);
  await once.finished;
  assert.ok(probe.answersProbes(c.id));
  assert.is(await probe.probe(c), false);
  assert.ok(ctx.directory.isUp(c.id));
  assert.is(await probe.probe(c), false);
  assert.not.ok(ctx.directory.isUp(c.id));
});

test("which answers prove a carrier alive", () => {
  assert.ok(probeAnswered(200));
  assert.ok(probeAnswered(404));
  assert.ok(probeAnswered(405));
  assert.not.ok(probeAnswered(503));
  assert.not.ok(probeAnswered(408));
});

test.run();
