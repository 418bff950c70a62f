import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertHeardBothWays, connect, hangUp, LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { exportedRecords } from "./helpers/call-records.js";
import { centrex, provision } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";

// Call transfer with real desk phones (issue 18): baresip's `transfer` (a blind transfer, REFER
// in the call) through the switch. The switch checks the target before the REFER reaches the
// transferee, and links the records of the original and the transferred call.
const DOMAIN = "pbx.test";
const phones = new Phones();
const pbx = new LazySwitch({
  domain: DOMAIN,
  extensions: [
    ["201", passwordOf("201")],
    ["202", passwordOf("202")],
    ["203", passwordOf("203")],
  ],
  // The support line (22 22) rings the operator's extension 2222 (test/README.md): the last test.
  yaml: ["dialplan:", "  support: { domain: operator.test, extension: '2222' }"],
});

test.after.each(() => phones.stopAll());

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

const records = (db: string) => exportedRecords(db, DOMAIN);

/** A registered baresip phone (VERBOSE=1 prints its SIP trace). */
function phone(proxy: string, name: string, tone: number, ext: string) {
  return phones.registered({ name, tone, ext, domain: DOMAIN, proxy, verbose: !!process.env.VERBOSE });
}

test("blind transfer: 202 hands 201's call to 203; the new call is 202's and its record links to the first", async () => {
  const { proxy, sw } = await pbx.get();
  const a = await phone(proxy, "A", 1000, "201");
  const b = await phone(proxy, "B", 2000, "202");
  const c = await phone(proxy, "C", 3000, "203");
  const first = await connect(a, b, `sip:202@${DOMAIN}`);
  const r = await b.command("transfer", `sip:203@${DOMAIN}`);
  assert.ok(r.ok, `transfer refused by baresip: ${r.data}`);
  const [up, rung] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    c.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(up.id, rung.id, "the transferee and the target share one dialog");
  assert.is.not(up.id, first.caller.id);
  await b.waitFor("CALL_CLOSED", 10_000);
  await sleep(500);
  await hangUp(a, c);
  await sleep(300);
  // The switch challenged the REFER (it makes 202 pay) and baresip answered with 202's digest.
  assert.match(sw.logs(), /"event":"transfer-challenged".*"transferor":"202"/);
  assert.match(sw.logs(), /"event":"transfer-authorised"/);
  assert.match(sw.logs(), /"event":"transfer-call"/);
  const all = await records(sw.db);
  const original = all.find((x) => x.call_id === first.caller.id);
  const transferred = all.find((x) => x.call_id === up.id);
  assert.ok(original && transferred, JSON.stringify(all));
  assert.is(transferred.transferred_from, first.caller.id);
  assert.is(transferred.extension, "202", "the transferred call is the transferor's");
  assert.is(transferred.called, "203");
  assert.is(original.transferred_from, "");
  const verify = await centrex(["cdr", "verify", "--db", sw.db]);
  assert.is(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /ok/);
});

for (const [target, status] of [
  ["0899123456", 403],
  ["299", 404],
] as const) {
  test(`a transfer to ${target} is refused (${status}) before it reaches the transferee`, async () => {
    const { proxy, sw } = await pbx.get();
    const a = await phone(proxy, "A", 1000, "201");
    const b = await phone(proxy, "B", 2000, "202");
    const first = await connect(a, b, `sip:202@${DOMAIN}`);
    await b.command("transfer", `sip:${target}@${DOMAIN}`);
    const failed = await b.waitFor("TRANSFER_FAILED", 10_000);
    assert.match(String(failed.param), String(status));
    const line = await sw.logLine(
      new RegExp(
        `"event":"transfer-refused".*"callId":"${first.caller.id}"|"callId":"${first.caller.id}".*"event":"transfer-refused"`,
      ),
    );
    assert.ok(line, "no transfer-refused log line");
    assert.match(line, `"status":${status}`);
    // baresip 1.0 ends the call itself when its transfer fails (a BYE, with no CALL_CLOSED event
    // of its own): the transferee's end closes, and it never saw the REFER nor placed a call.
    const downA = await a.waitFor("CALL_CLOSED", 10_000);
    assert.is(downA.id, first.caller.id);
    assert.not.ok(
      a.events.some((e) => e.type === "TRANSFER" || e.type === "CALL_OUTGOING"),
      "the REFER reached the transferee",
    );
  });
}

test("the operator's support extension hands a customer's caller on to another operator extension: the caller's phone reaches it in the operator's domain", async () => {
  const { proxy, sw } = await pbx.get();
  await provision(sw.db, [
    ["customer", "add", "Operator", "--domain", "operator.test"],
    ["extension", "add", "operator.test", "2222", "--password", passwordOf("2222")],
    ["extension", "add", "operator.test", "2223", "--password", passwordOf("2223")],
  ]);
  const a = await phone(proxy, "A", 1000, "201");
  const manual = { domain: "operator.test", proxy, answermode: "manual" as const };
  const desk = await phones.registered({ name: "support", tone: 2000, ext: "2222", ...manual });
  const colleague = await phones.registered({
    name: "colleague",
    tone: 3000,
    ext: "2223",
    domain: "operator.test",
    proxy,
  });
  await a.dial(`sip:2222@${DOMAIN}`);
  await desk.waitFor("CALL_INCOMING", 10_000);
  assert.ok((await desk.command("accept")).ok);
  const [first] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    desk.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  await sleep(1500);
  const r = await desk.command("transfer", "sip:2223@operator.test");
  assert.ok(r.ok, `transfer refused by baresip: ${r.data}`);
  // 201's phone dials sip:2223@operator.test: another customer's domain, allowed for this REFER.
  const [up, rung] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    colleague.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(up.id, rung.id, "the caller and the colleague share one dialog");
  await sleep(3000);
  await hangUp(a, colleague);
  await sleep(300);
  assertHeardBothWays(a, 1000, colleague, 3000);
  const rec = (await exportedRecords(sw.db, "operator.test")).find((x) => x.call_id === up.id);
  assert.ok(rec, "no record of the transferred call in the operator's records");
  assert.equal([rec.transferred_from, rec.extension, rec.called], [first.id, "2222", "2223"]);
});

test.run();
