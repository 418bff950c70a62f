import { computeHA1, parseAuthHeader, type SipStack, verifyAuthorization } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CarrierDirectory, OutboundCall, type Presentation, SipResolver } from "../src/index.js";
import { type CarrierRun, freePort, startCarrier } from "./helpers/sipp-carrier.js";
import { callerInvite, plan, RecordingOwner, startStack } from "./helpers/stack.js";

interface Ctx {
  store: Store;
  stack: SipStack;
  directory: CarrierDirectory;
  carriers: CarrierRun[];
}

const test = suite<Ctx>("OutboundCall against SIPp carriers");

test.before.each(async (ctx) => {
  ctx.store = openSqliteStore(":memory:");
  ctx.stack = await startStack();
  ctx.directory = new CarrierDirectory({ store: ctx.store, resolver: new SipResolver(), random: () => 0 });
  ctx.carriers = [];
});

test.after.each(async (ctx) => {
  for (const c of ctx.carriers) await c.stop();
  await ctx.stack.close(0);
  await ctx.store.close();
});

const PRESENTED: Presentation = { number: "+33198765432", withheld: false };

async function addCarrier(
  ctx: Ctx,
  name: string,
  port: number,
  extra: { numberFormat?: "e164" | "national"; priority?: number; username?: string; password?: string } = {},
): Promise<void> {
  const c = await ctx.store.carriers.create({ name, host: "127.0.0.1", port, ...extra });
  await ctx.store.carriers.addRoute(c.id, "33");
}

async function call(
  ctx: Ctx,
  opts: { presentation?: Presentation; timeoutMs?: number; cseq?: number } = {},
): Promise<{ owner: RecordingOwner; call: OutboundCall }> {
  const owner = new RecordingOwner(ctx.stack);
  const c = new OutboundCall({
    stack: ctx.stack,
    carriers: ctx.directory,
    plan,
    request: callerInvite({ cseq: opts.cseq ?? 1, privacy: opts.presentation?.withheld ?? false }),
    destination: "+33142000000",
    presentation: opts.presentation ?? PRESENTED,
    owner,
    noResponseTimeoutMs: opts.timeoutMs ?? 3_000,
  });
  c.start();
  return { owner, call: c };
}

async function carrierDone(run: CarrierRun): Promise<void> {
  const r = await run.finished;
  assert.is(r.code, 0, `SIPp carrier failed: ${r.errors || r.stdout.slice(-800)}`);
}

test("carrier in national format: Request-URI, To, PAI, From built for it; 180 and 200 relayed with the caller's headers", async (ctx) => {
  const run = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(run);
  await addCarrier(ctx, "nat", run.port, { numberFormat: "national" });
  const { owner, call: c } = await call(ctx);
  assert.is(await owner.outcome, "answered");
  await carrierDone(run);
  const ok = owner.answers[0];
  assert.ok(ok);
  assert.is(ok.get("x-got-uri"), `sip:0142000000@127.0.0.1:${run.port}`);
  assert.match(ok.get("x-got-to") ?? "", `<sip:0142000000@127.0.0.1:${run.port}>`);
  assert.match(ok.get("x-got-pai") ?? "", /^<sip:0198765432@127\.0\.0\.1;user=phone>$/);
  assert.match(ok.get("x-got-from") ?? "", /<sip:0198765432@127\.0\.0\.1;user=phone>;tag=caller-tag-1/);
  assert.is(ok.get("x-got-privacy") ?? "", "");
  // What the caller gets back: its own From/To (with the carrier's tag), its CSeq, our Via gone.
  assert.is(ok.get("from"), '"Alice" <sip:201@acme.pbx.test>;tag=caller-tag-1');
  assert.match(ok.get("to") ?? "", /^<sip:0142000000@acme\.pbx\.test>;tag=.+SIPpTag01/);
  assert.is(ok.cseq.seq, 1);
  assert.is(ok.via.length, 1);
  assert.is(ok.via[0]?.branch, "z9hG4bK-phone-1");
  assert.is(owner.provisionals.length, 1);
  assert.is(owner.provisionals[0]?.status, 180);
  assert.is(c.attempts.length, 1);
  assert.is(c.attempts[0]?.outcome, 200);
  assert.is(c.carrier?.name, "nat");
});

test("E.164 carrier and withheld identity: anonymous From, Privacy: id, real number in PAI", async (ctx) => {
  const run = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(run);
  await addCarrier(ctx, "intl", run.port, { numberFormat: "e164" });
  const { owner } = await call(ctx, { presentation: { number: "+33198765432", withheld: true } });
  assert.is(await owner.outcome, "answered");
  await carrierDone(run);
  const ok = owner.answers[0];
  assert.is(ok?.get("x-got-uri"), `sip:+33142000000@127.0.0.1:${run.port}`);
  assert.match(ok?.get("x-got-pai") ?? "", "<sip:+33198765432@");
  assert.match(
    ok?.get("x-got-from") ?? "",
    /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=caller-tag-1$/,
  );
  assert.is(ok?.get("x-got-privacy"), "id");
});

for (const kind of ["401", "407"]) {
  test(`digest challenge ${kind} answered: new branch, CSeq + 1, same Call-ID and tag; caller sees its CSeq`, async (ctx) => {
    const run = await startCarrier(`carrier-challenge-${kind}.xml`);
    ctx.carriers.push(run);
    await addCarrier(ctx, "auth", run.port, { username: "trunkuser", password: "s3cret-pass" });
    const { owner, call: c } = await call(ctx, { cseq: 7 });
    assert.is(await owner.outcome, "answered", `failed with ${owner.failed?.status}`);
    await carrierDone(run);
    const ok = owner.answers[0];
    assert.is(ok?.get("x-got-cseq"), "7 8");
    assert.is(ok?.cseq.seq, 7);
    assert.is(c.cseqOffset, 1);
    assert.equal(
      c.attempts.map((a) => a.outcome),
      [Number(kind), 200],
    );
    if (kind === "407") {
      // SIPp verifies 401 answers itself; the 407 answer comes back to be checked here.
      const creds = parseAuthHeader(ok?.get("x-got-proxy-auth") ?? "");
      assert.is(creds.params.get("username"), "trunkuser");
      assert.is(creds.params.get("realm"), "carrier.test");
      assert.ok(verifyAuthorization(creds, "INVITE", computeHA1("trunkuser", "carrier.test", "s3cret-pass")));
      assert.not.ok(verifyAuthorization(creds, "INVITE", computeHA1("trunkuser", "carrier.test", "other")));
    }
  });
}

test("wrong credentials: the carrier's 403 moves on, and with no other carrier the caller gets 503", async (ctx) => {
  const run = await startCarrier("carrier-challenge-401.xml");
  ctx.carriers.push(run);
  await addCarrier(ctx, "auth", run.port, { username: "trunkuser", password: "wrong-password" });
  const { owner, call: c } = await call(ctx);
  assert.is(await owner.outcome, "failed");
  assert.is(owner.failed?.status, 503);
  assert.is(owner.failed?.res, undefined);
  assert.equal(
    c.attempts.map((a) => a.outcome),
    [401, 403],
  );
  await run.finished;
});

test("503 from the best carrier: the next one by priority takes the call", async (ctx) => {
  const bad = await startCarrier("carrier-503.xml");
  const good = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(bad, good);
  await addCarrier(ctx, "first", bad.port, { priority: 1 });
  await addCarrier(ctx, "second", good.port, { priority: 2 });
  const { owner, call: c } = await call(ctx);
  assert.is(await owner.outcome, "answered");
  await carrierDone(bad);
  await carrierDone(good);
  assert.equal(
    c.attempts.map((a) => [a.carrier.name, a.outcome]),
    [
      ["first", 503],
      ["second", 200],
    ],
  );
  assert.is(c.carrier?.name, "second");
});

test("a carrier that never responds is abandoned after the no-response timeout, not Timer B", async (ctx) => {
  const silent = await startCarrier("carrier-silent.xml");
  const good = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(silent, good);
  await addCarrier(ctx, "silent", silent.port, { priority: 1 });
  await addCarrier(ctx, "good", good.port, { priority: 2 });
  const t0 = Date.now();
  const { owner, call: c } = await call(ctx, { timeoutMs: 500 });
  assert.is(await owner.outcome, "answered");
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 450 && elapsed < 2_500, `answered after ${elapsed} ms`);
  assert.equal(
    c.attempts.map((a) => [a.carrier.name, a.outcome]),
    [
      ["silent", "timeout"],
      ["good", 200],
    ],
  );
  await carrierDone(good);
  await carrierDone(silent);
});

test("a carrier answering after we moved on gets ACK and BYE; the caller only sees the next carrier", async (ctx) => {
  const late = await startCarrier("carrier-late-answer.xml");
  const good = await startCarrier("carrier-answer.xml");
  ctx.carriers.push(late, good);
  await addCarrier(ctx, "late", late.port, { priority: 1 });
  await addCarrier(ctx, "good", good.port, { priority: 2 });
  const { owner, call: c } = await call(ctx, { timeoutMs: 400 });
  assert.is(await owner.outcome, "answered");
  await carrierDone(good);
  await carrierDone(late); // SIPp saw the ACK and the BYE
  assert.is(owner.answers.length, 1);
  assert.is(owner.answers[0]?.get("x-got-cseq"), "1");
  assert.is(c.carrier?.name, "good");
});

test("486 is about the callee: relayed, no failover", async (ctx) => {
  const busy = await startCarrier("carrier-486.xml");
  ctx.carriers.push(busy);
  await addCarrier(ctx, "busy", busy.port, { priority: 1 });
  await addCarrier(ctx, "never-tried", await freePort(), { priority: 2 });
  const { owner, call: c } = await call(ctx);
  assert.is(await owner.outcome, "failed");
  assert.is(owner.failed?.status, 486);
  assert.is(owner.failed?.res?.get("from"), '"Alice" <sip:201@acme.pbx.test>;tag=caller-tag-1');
  assert.is(c.attempts.length, 1);
  await carrierDone(busy);
});

test("no carrier routes the destination: 503 at once", async (ctx) => {
  const c = await ctx.store.carriers.create({ name: "uk-only", host: "127.0.0.1", port: 5999 });
  await ctx.store.carriers.addRoute(c.id, "44");
  const { owner, call: oc } = await call(ctx);
  assert.is(await owner.outcome, "failed");
  assert.is(owner.failed?.status, 503);
  assert.is(oc.attempts.length, 0);
});

test("cancel() while the carrier rings: CANCEL sent, owner told 487, carrier's 487 ACKed", async (ctx) => {
  const run = await startCarrier("carrier-ring-cancel.xml");
  ctx.carriers.push(run);
  await addCarrier(ctx, "ringing", run.port);
  const { owner, call: c } = await call(ctx);
  for (let i = 0; i < 100 && owner.provisionals.length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.is(owner.provisionals[0]?.status, 180);
  c.cancel();
  assert.is(await owner.outcome, "failed");
  assert.is(owner.failed?.status, 487);
  await carrierDone(run);
});

test.run();
