import { test } from "uvu";
import * as assert from "uvu/assert";
import { explain } from "./helpers/phones.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// A simulated toll-fraud burst (rules 16, 20): a hijacked phone dialling far-away numbers in a
// loop is cut off after a bounded number of calls; internal and emergency calls keep working.
let t: TenantSwitch;

test.before(async () => {
  t = await startWithTenant();
  await t.cli("did", "add", "pbx.test", "+33123456780", "--main");
  await t.cli("emergency", "pbx.test", "--department", "75", "--commune", "75056");
  // The customer's administrator opened far destinations (with a PIN, the only way rule 19
  // allows) and the PIN leaked: the door a fraudster walks through.
  await t.cli("pin", "add", "pbx.test", "admin", "--code", "4321");
  await t.cli("barring", "pbx.test", "intl-world", "pin", "--by", "admin");
});

test.after(async () => {
  await t?.sw.stop();
});

test("a burst of calls to new expensive destinations is stopped within a few calls", async () => {
  // No carrier here: calls the monitors admit end at 503; the first one refused gets 403.
  const targets = [
    "0093201234567",
    "00252612345678",
    "00992371234567",
    "00675712345678",
    "00960712345678",
  ].map((n) => `*4321${n}`);
  let admitted = 0;
  let refusedAt = -1;
  for (let i = 0; i < targets.length && refusedAt < 0; i++) {
    const refused = await t.phones.call(targets[i]!, { expect: 403, expectReason: "PSTN access suspended" });
    if (refused.caller.code === 0) refusedAt = i;
    else admitted++;
  }
  assert.ok(
    refusedAt >= 0,
    `the burst was never stopped:\n${t.sw
      .logs()
      .split("\n")
      .filter((l) => /fraud|refused|carrier/.test(l))
      .join("\n")}`,
  );
  assert.ok(admitted <= 3, `${admitted} fraudulent calls got through before the suspension`);
  assert.ok(await t.sw.waitForLog(/"event":"fraud-suspension"/), "no fraud-suspension log line");
  console.log(`fraud burst stopped after ${admitted} admitted calls (refused at call ${refusedAt + 1})`);

  // Suspended for the PSTN only: national refused, internal and emergency still reach routing.
  const national = await t.phones.call("0123456789", { expect: 403, expectReason: "PSTN access suspended" });
  assert.is(national.caller.code, 0, explain(national.caller));
  const internal = await t.phones.call("202", { expect: 480 });
  assert.is(internal.caller.code, 0, `internal call: ${explain(internal.caller)}`);
  const emergency = await t.phones.call("15", { expect: 503 });
  assert.is(emergency.caller.code, 0, `emergency call: ${explain(emergency.caller)}`);

  // The operator lifts the suspension: calls go out again.
  await t.cli("resume", "pbx.test");
  const after = await t.phones.call("0123456789", { expect: 503 });
  assert.is(after.caller.code, 0, `after resume: ${explain(after.caller)}`);
});

test.run();
