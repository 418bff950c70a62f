import { test } from "uvu";
import * as assert from "uvu/assert";
import { explain } from "./helpers/phones.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// RFC 4028 session timers: a call whose phones stop refreshing is ended by the switch (BYE both
// ways, record closed), so a lost BYE leaves no ghost call. The interval is lowered from 1800 s
// to 2 s (and Min-SE from 90 s to 2 s) so the test does not wait half an hour; see test/README.md.
let t: TenantSwitch;

test.before(async () => {
  t = await startWithTenant({
    config: "proxy:\n  sessionExpiresSeconds: 2\n  minSessionExpiresSeconds: 2\n",
  });
});

test.after(async () => {
  await t?.sw.stop();
});

test("a caller that supports timer but never refreshes: BYE on both sides after the interval", async () => {
  // The SIPp caller says Supported: timer and asks no interval; the SIPp callee knows nothing of
  // timers. The switch puts 2 s in the INVITE and tells the caller it refreshes (refresher=uac);
  // SIPp never sends the re-INVITE, as a phone that lost the network would not.
  const started = Date.now();
  const r = await t.phones.call(
    "202",
    { hangup: "callee", headers: ["Supported: timer"] },
    { hangup: "caller" },
  );
  assert.is(r.caller.code, 0, `caller got no BYE: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee got no BYE: ${explain(r.callee)}`);
  assert.ok(Date.now() - started >= 2000, "ended before the session interval");
  assert.match(t.sw.logs(), /"event":"session-timer-expired"/);

  const day = new Date().toISOString().slice(0, 10);
  const json = JSON.parse(
    await t.cli("cdr", "export", "--customer", "pbx.test", "--from", day, "--to", day, "--format", "json"),
  ) as Array<Record<string, unknown>>;
  const call = json.find((c) => c.disposition === "answered");
  assert.ok(call, `no answered record: ${JSON.stringify(json)}`);
  assert.is(call.reason, "session-timer-expired");
});

test("an interval below the switch's Min-SE is answered 422 with Min-SE", async () => {
  const r = await t.phones.call("202", {
    challenged: false,
    expect: 422,
    expectReason: "Session Interval Too Small",
    headers: ["Supported: timer", "Session-Expires: 1;refresher=uac"],
  });
  assert.is(r.caller.code, 0, explain(r.caller));
});

test.run();
