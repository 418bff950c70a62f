import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers/centrex.js";
import { explain } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { expectingInvite, runSipp } from "./helpers/sipp.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// Emergency routing with the operator's table (dialplan.emergencyTable): the centre the table
// names for the declared commune, in the carrier's number format, with the commune header too.
// The test is about that setting, so it configures it — with the shipped SAMPLE table, whose
// fictional centre numbers are for tests only (without the setting, test/pstn.test.ts shows the
// carrier routing the short number). The carrier is a SIPp on 127.0.0.2.
const SAMPLE = join(ROOT, "packages", "dialplan", "data", "emergency-sample.json");
let t: TenantSwitch;
let carrierPort: number;

test.before(async () => {
  t = await startWithTenant({ config: `dialplan:\n  emergencyTable: ${JSON.stringify(SAMPLE)}\n` });
  carrierPort = await freePort("127.0.0.2");
  await t.cli("did", "add", "pbx.test", "+33123456780", "--main", "--extension", "201");
  await t.cli("carrier", "add", "alpha", "--host", "127.0.0.2", "--port", String(carrierPort));
  await t.cli("carrier", "route", "alpha", "33");
});

test.after(async () => {
  await t?.sw.stop();
});

test("refused until the location is declared; then 15 goes to the table's centre with the commune", async () => {
  const refused = await t.phones.call("15", { expect: 403, expectReason: "Emergency location not declared" });
  assert.is(refused.caller.code, 0, explain(refused.caller));
  await t.cli("emergency", "pbx.test", "--department", "75", "--commune", "75056");
  assert.match(t.sw.logs(), /emergency-table-sample/, "the SAMPLE table is named as such in the log");
  // The switch reloads carriers every trunk.reloadSeconds (5 s by default).
  await new Promise((r) => setTimeout(r, 5_500));
  const carrier = runSipp({
    scenario: expectingInvite({
      uri: ["request-line", "^INVITE sip:\\+33199007515@"],
      commune: ["X-Emergency-Commune", "^ *75056$"],
    }),
    server: `127.0.0.1:${t.sw.port}`,
    localIp: "127.0.0.2",
    localPort: carrierPort,
    timeoutMs: 20_000,
  });
  await new Promise((r) => setTimeout(r, 1000)); // let SIPp bind
  const caller = await t.phones.call("15", {});
  const c = await carrier;
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}\ncarrier: ${explain(c)}`);
  assert.is(c.code, 0, `carrier: ${explain(c)}`);
});

test.run();
