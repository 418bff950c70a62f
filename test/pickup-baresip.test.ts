import { test } from "uvu";
import * as assert from "uvu/assert";
import { type BaresipPhone, startSwitchForBaresip } from "./helpers/baresip.js";
import { assertHeardBothWays, hangUp, LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { lastRecord } from "./helpers/call-records.js";
import { passwordOf } from "./helpers/passwords.js";

// Call pickup with real phones (baresip 1.0) on the embedded defaults. baresip 1.0 knows
// neither Replaces (it answers `420` to `Require: replaces` and ignores the header otherwise)
// nor `Call-Info: answer-after` (probed with a hand-written server sending it an INVITE with
// Replaces of its own early `*8` dialog: `answermode=manual` rings it as a second call, `auto`
// answers it on line 2 while the `*8` still rings; no string of either in its binary): the picked call
// reaches it as a second call while its `*8` still rings. A phone set to answer by itself
// (`answermode=auto`, a desk phone's auto-answer) takes it at once; one that is not rings at once
// and takes one press. Either way the caller talks to the picker, audio both ways through the
// relay, the phone that rang stops, and the *8 ends with 487 (baresip plays no error tone for it).
const DOMAIN = "pbx.test";
const phones = new Phones();
const pbx = new LazySwitch(() =>
  startSwitchForBaresip({
    domain: DOMAIN,
    extensions: ["201", "202", "203", "204"].map((e) => [e, passwordOf(e)] as [string, string]),
    provision: [["group", "add", DOMAIN, "600", "--name", "Accueil", "--members", "202,203"]],
  }),
);

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

/** `picker` dialled a code while `ringing` rang 201's call: checks the outcome, talks, hangs up. */
async function pickedUp(
  a: BaresipPhone,
  _ringing: BaresipPhone,
  picker: BaresipPhone,
  code: string,
  press: boolean,
): Promise<void> {
  await picker.dial(`sip:${code}@${DOMAIN}`);
  const dialling = await picker.waitFor("CALL_RINGING", 10_000); // its *8: 180 from the switch
  if (press) {
    const offered = await picker.waitFor("CALL_INCOMING", 10_000);
    assert.match(String(offered.peeruri), /sip:201@/);
    const accepted = await picker.command("accept");
    assert.ok(accepted.ok, accepted.data);
  }
  const [up, took] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    picker.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(took.id, up.id, "the picker is in 201's call (same Call-ID)");
  const star = await picker.waitFor("CALL_CLOSED", 5000, { where: (e) => e.id === dialling.id, since: 0 });
  assert.match(String(star.param), /^487 /, `the ${code} call ends 487: ${star.param}`);
  await sleep(2500); // talk (a recording of 2 s at least is analysed)
  await hangUp(a, picker);
}

test("*8: 202 rings with 201's call, 203 (auto-answer) dials *8 and talks with 201 — audio both ways", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B",
    tone: 2000,
    ext: "202",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  const c = await phones.registered({ name: "C", tone: 3000, ext: "203", domain: DOMAIN, proxy });
  await a.dial(`sip:202@${DOMAIN}`);
  await b.waitFor("CALL_INCOMING", 10_000);
  await sleep(500); // rings a while
  const closed = b.waitFor("CALL_CLOSED", 10_000);
  await pickedUp(a, b, c, "*8", false).catch(async (err: unknown) => {
    await closed.catch(() => undefined);
    throw err;
  });
  await closed;
  assertHeardBothWays(a, 1000, c, 3000);
  assert.equal(await lastRecord(sw.db, "extension, dialled, called, disposition"), {
    extension: "201",
    dialled: "202",
    called: "203",
    disposition: "answered",
  });
  assert.ok(await sw.waitForLog(/"event":"call-picked-up".*"picker":"203"/), sw.logs().slice(-3000));
  await phones.stopAll();
});

test("**202: a phone that does not answer by itself rings with the picked call at once; one press connects it", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A2", tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B2",
    tone: 2000,
    ext: "202",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  const d = await phones.registered({
    name: "D",
    tone: 3000,
    ext: "204",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  await a.dial(`sip:202@${DOMAIN}`);
  await b.waitFor("CALL_INCOMING", 10_000);
  const closed = b.waitFor("CALL_CLOSED", 15_000);
  await pickedUp(a, b, d, "**202", true);
  await closed;
  assertHeardBothWays(a, 1000, d, 3000);
  assert.equal((await lastRecord(sw.db, "extension, dialled, called, disposition")).called, "204");
});

test.run();
