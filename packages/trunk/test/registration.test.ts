import * as assert from "uvu/assert";
import { CarrierRegistration, type RegistrationState, refreshDelayMs } from "../src/index.js";
import { carrierSuite, until } from "./helpers/carrier-suite.js";
import { freePort, startCarrier } from "./helpers/sipp-carrier.js";

const test = carrierSuite("outbound REGISTER to carriers");

test("registers with digest, refreshes before the granted 2 s lapse, answering the new challenge", async (ctx) => {
  const run = await startCarrier("carrier-register.xml");
  const carrier = await ctx.store.carriers.create({
    name: "reg",
    host: "127.0.0.1",
    port: run.port,
    username: "trunkuser",
    password: "s3cret-pass",
  });
  const states: RegistrationState[] = [];
  const reg = new CarrierRegistration({
    stack: ctx.stack,
    directory: ctx.directory,
    carrier,
    expires: 600,
    onStateChange: (s) => states.push(s),
  });
  const t0 = Date.now();
  reg.start();
  try {
    await until(() => reg.registrations === 2, 5_000);
    const elapsed = Date.now() - t0;
    // Granted 2 s: the refresh must come before 2 s (halfway, ≈1 s).
    assert.ok(elapsed < 2_000, `refreshed after ${elapsed} ms`);
    assert.is(reg.state, "registered");
    assert.ok(reg.expiresAt > Date.now() + 50_000, "second grant (60 s) in force");
    const r = await run.finished;
    assert.is(r.code, 0, r.errors);
  } finally {
    await reg.stop(false);
    await run.stop();
  }
  assert.equal(states.slice(0, 4), ["registering", "registered", "registering", "registered"]);
});

test("wrong password: registration fails (the carrier's 403), and is retried later", async (ctx) => {
  const run = await startCarrier("carrier-register.xml");
  const carrier = await ctx.store.carriers.create({
    name: "reg-bad",
    host: "127.0.0.1",
    port: run.port,
    username: "trunkuser",
    password: "not-the-password",
  });
  const reg = new CarrierRegistration({
    stack: ctx.stack,
    directory: ctx.directory,
    carrier,
    retryMs: 60_000,
  });
  reg.start();
  try {
    await until(() => reg.state === "failed", 3_000);
    assert.is(reg.registrations, 0);
    assert.is(reg.expiresAt, 0);
  } finally {
    await reg.stop(false);
    await run.stop();
  }
});

test("no answer from the registrar: failed after the REGISTER timeout", async (ctx) => {
  const carrier = await ctx.store.carriers.create({
    name: "reg-dead",
    host: "127.0.0.1",
    port: await freePort(),
    username: "trunkuser",
    password: "s3cret-pass",
  });
  const reg = new CarrierRegistration({
    stack: ctx.stack,
    directory: ctx.directory,
    carrier,
    timeoutMs: 300,
  });
  reg.start();
  try {
    await until(() => reg.state === "failed", 2_000);
  } finally {
    await reg.stop(false);
  }
});

test("refresh delay: 30 s early for long registrations, halfway for short ones", () => {
  assert.is(refreshDelayMs(3600), 3_570_000);
  assert.is(refreshDelayMs(120), 90_000);
  assert.is(refreshDelayMs(60), 30_000);
  assert.is(refreshDelayMs(2), 1_000);
  assert.is(refreshDelayMs(0), 500);
});

test.run();
