import { test } from "uvu";
import * as assert from "uvu/assert";
import { explain } from "./helpers/phones.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// Every call attempt that reaches routing leaves a record in the hash-chained ledger (issue 6),
// written before the BYE's 200 goes out; `centrex cdr verify` and `cdr export` read it back.
let t: TenantSwitch;

test.before(async () => {
  t = await startWithTenant();
});

test.after(async () => {
  await t?.sw.stop();
});

test("an answered call, a busy one and a barred one each leave a verifiable record", async () => {
  const answered = await t.phones.call("202", { talkMs: 1200 }, {});
  assert.is(answered.caller.code, 0, explain(answered.caller));
  const busy = await t.phones.call("202", { expect: 486 }, { answer: 486 });
  assert.is(busy.caller.code, 0, explain(busy.caller));
  const barred = await t.phones.call("0899123456", { expect: 403 });
  assert.is(barred.caller.code, 0, explain(barred.caller));

  const day = new Date().toISOString().slice(0, 10);
  const json = JSON.parse(
    await t.cli("cdr", "export", "--customer", "pbx.test", "--from", day, "--to", day, "--format", "json"),
  ) as Array<Record<string, unknown>>;
  const dispositions = json.map((r) => r.disposition).sort();
  assert.equal(dispositions, ["answered", "busy", "refused"]);
  const call = json.find((r) => r.disposition === "answered")!;
  assert.is(call.called, "202");
  assert.ok(Number(call.billable_seconds) >= 1, `billable ${call.billable_seconds} s`);
  const refused = json.find((r) => r.disposition === "refused")!;
  assert.is(refused.reason, "destination-barred");

  const verify = await t.cli("cdr", "verify");
  assert.match(verify, /3 records.*ok/);
});

test.run();
