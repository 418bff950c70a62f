import { test } from "uvu";
import * as assert from "uvu/assert";
import { whyNotHeard } from "./helpers/audio.js";
import { BaresipPhone, type BaresipSwitch, startSwitchForBaresip } from "./helpers/baresip.js";
import { passwordOf } from "./helpers/passwords.js";

// Real desk phones end to end: two baresip processes register with digest, call each other
// through the switch, and each must hear the other's tone in the audio it decoded.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
const phones = new Set<BaresipPhone>();
let switchUp: Promise<BaresipSwitch> | undefined;

// Started from the first test rather than in test.before: uvu drops errors thrown in hooks.
function pbx(): Promise<BaresipSwitch> {
  switchUp ??= startSwitchForBaresip({
    domain: DOMAIN,
    extensions: [
      ["201", passwordOf("201")],
      ["202", passwordOf("202")],
      ["203", passwordOf("203")],
    ],
  });
  return switchUp;
}

async function phone(name: string, tone: number): Promise<BaresipPhone> {
  const p = await BaresipPhone.start({ name, tone });
  phones.add(p);
  return p;
}

async function stopPhones(): Promise<void> {
  await Promise.all([...phones].map((p) => p.stop()));
  phones.clear();
}

test.after.each(stopPhones);

test.after(async () => {
  await stopPhones();
  await (await switchUp?.catch(() => undefined))?.stop();
});

test("two baresip phones register with digest, call, and each hears the other's tone", async () => {
  const { proxy, registered } = await pbx();
  const a = await phone("A", TONE_A);
  const b = await phone("B", TONE_B);
  const regA = await a.register({
    aor: `sip:201@${DOMAIN}`,
    password: passwordOf("201"),
    outboundProxy: proxy,
  });
  const regB = await b.register({
    aor: `sip:202@${DOMAIN}`,
    password: passwordOf("202"),
    outboundProxy: proxy,
  });
  assert.is(regA.type, "REGISTER_OK", `A: ${regA.param}`);
  assert.is(regB.type, "REGISTER_OK", `B: ${regB.param}`);
  assert.is(await registered("201"), 1);
  assert.is(await registered("202"), 1);

  await a.dial(`sip:202@${DOMAIN}`);
  const [upA, upB] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    b.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(upA.direction, "outgoing");
  assert.is(upA.peeruri, `sip:202@${DOMAIN}`);
  assert.is(upB.direction, "incoming");
  assert.is(upB.peeruri, `sip:201@${DOMAIN}`);
  assert.is(upA.id, upB.id, "both ends of one dialog (same Call-ID)");

  await new Promise((r) => setTimeout(r, 3000)); // talk
  await a.hangup();
  const [downA, downB] = await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
  assert.is(downA.id, upA.id);
  assert.is(downB.id, upB.id);

  // sndfile finalises its WAV when the call's audio stream goes away, i.e. by CALL_CLOSED.
  const heardByA = whyNotHeard(a.recordedWav(), TONE_B, TONE_A);
  const heardByB = whyNotHeard(b.recordedWav(), TONE_A, TONE_B);
  assert.ok(heardByA === undefined, `A (should hear B's ${TONE_B} Hz): ${heardByA}`);
  assert.ok(heardByB === undefined, `B (should hear A's ${TONE_A} Hz): ${heardByB}`);
});

test("a wrong password: REGISTER_FAIL, and no binding", async () => {
  const { proxy, registered } = await pbx();
  const c = await phone("C", TONE_A);
  const reg = await c.register({
    aor: `sip:203@${DOMAIN}`,
    password: "not-the-password",
    outboundProxy: proxy,
  });
  assert.is(reg.type, "REGISTER_FAIL", `got ${reg.type} (${reg.param})`);
  // Refused for its credentials (403, or a 401 again), not for a transport or timeout reason.
  assert.match(String(reg.param), /^40[13] /, `why: ${reg.param}`);
  assert.is(await registered("203"), 0);
});

test.run();
