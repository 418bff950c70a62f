import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertHeardBothWays, connect, hangUp, LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { passwordOf } from "./helpers/passwords.js";

// Real desk phones end to end: two baresip processes register with digest, call each other
// through the switch, and each must hear the other's tone in the audio it decoded.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
const phones = new Phones();
const pbx = new LazySwitch({
  domain: DOMAIN,
  extensions: [
    ["201", passwordOf("201")],
    ["202", passwordOf("202")],
    ["203", passwordOf("203")],
  ],
});

test.after.each(() => phones.stopAll());

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

test("two baresip phones register with digest, call, and each hears the other's tone", async () => {
  const { proxy, registered } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: TONE_A, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({ name: "B", tone: TONE_B, ext: "202", domain: DOMAIN, proxy });
  assert.is(await registered("201"), 1);
  assert.is(await registered("202"), 1);

  const up = await connect(a, b, `sip:202@${DOMAIN}`);
  assert.is(up.caller.direction, "outgoing");
  assert.is(up.caller.peeruri, `sip:202@${DOMAIN}`);
  assert.is(up.callee.direction, "incoming");
  assert.is(up.callee.peeruri, `sip:201@${DOMAIN}`);

  await sleep(3000); // talk
  const [downA, downB] = await hangUp(a, b);
  assert.is(downA.id, up.caller.id);
  assert.is(downB.id, up.callee.id);
  assertHeardBothWays(a, TONE_A, b, TONE_B);
});

test("a wrong password: REGISTER_FAIL, and no binding", async () => {
  const { proxy, registered } = await pbx.get();
  const c = await phones.start({ name: "C", tone: TONE_A });
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
