import { test } from "uvu";
import * as assert from "uvu/assert";
import { explain } from "./helpers/phones.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// A call whose media stopped is ended by the switch (BYE both ways), so no ghost call is billed.
let t: TenantSwitch;

test.before(async () => {
  t = await startWithTenant({ config: "media:\n  timeoutSeconds: 2\n" });
});

test.after(async () => {
  await t?.sw.stop();
});

test("an answered call without media gets a BYE on both sides after the media timeout", async () => {
  // SIPp sends no RTP: both phones sit in the call until the switch hangs it up.
  const started = Date.now();
  const r = await t.phones.call("202", { hangup: "callee" }, { hangup: "caller" });
  assert.is(r.caller.code, 0, `caller got no BYE: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee got no BYE: ${explain(r.callee)}`);
  assert.ok(Date.now() - started >= 2000, "ended before the media timeout");
  // The switch's log reaches us through a pipe, possibly just after SIPp saw the BYEs.
  assert.ok(await t.sw.waitForLog(/"event":"media-timeout"/), t.sw.logs().slice(-2000));
});

test.run();
