import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";

// The operator's rules on the call path (issue 5): barring, PIN codes, emergency location,
// support line, suspension — each refusal with its own status and reason phrase.
// No carrier is configured here, so a call the rules let through ends at "no carrier" (503).
let sw: RunningSwitch;
let acme: SippPhones;
let operator: SippPhones;

async function cli(...args: string[]) {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function dial(number: string, expect: number, expectReason?: string) {
  const r = await acme.call(number, { expect, ...(expectReason !== undefined && { expectReason }) });
  assert.is(r.caller.code, 0, `dialling ${number}: ${explain(r.caller)}`);
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-policy-"));
  const config = join(dir, "centrex.yaml");
  writeFileSync(config, "dialplan:\n  support: { domain: operator.test, extension: '2222' }\n");
  sw = await startSwitch({ args: ["--config", config], sippPhones: true });
  acme = new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test");
  operator = new SippPhones(`127.0.0.1:${sw.port}`, "operator.test");
  await cli("customer", "add", "Acme", "--domain", "pbx.test");
  await cli("customer", "add", "Operator", "--domain", "operator.test");
  await cli("extension", "add", "pbx.test", "201", "--password", passwordOf("201"));
  await cli("extension", "add", "pbx.test", "202", "--password", passwordOf("202"));
  await cli("extension", "add", "operator.test", "2222", "--password", passwordOf("2222"));
  await cli("did", "add", "pbx.test", "+33123456780", "--main");
});

test.after(async () => {
  await sw?.stop();
});

test("a surcharged number is barred by default", async () => {
  await dial("0899123456", 403, "Destination barred");
});

test("emergency: refused until the location is declared, then routed", async () => {
  await dial("15", 403, "Emergency location not declared");
  await cli("emergency", "pbx.test", "--department", "75", "--commune", "75056");
  await dial("15", 503, "Service Unavailable - No carrier available");
});

test("international (EU) needs a PIN: none, wrong, right", async () => {
  await cli("pin", "add", "pbx.test", "boss", "--code", "4321");
  await dial("004930123456789", 403, "PIN required");
  await dial("*9999004930123456789", 403, "Wrong PIN");
  await dial("*4321004930123456789", 503);
});

test("an operator's barring change is applied live and audited", async () => {
  await dial("0899123456", 403, "Destination barred");
  await cli("barring", "pbx.test", "fr-premium", "pin", "--by", "alice");
  await dial("0899123456", 403, "PIN required");
});

test("support line 22 22 rings the operator's support phone", async () => {
  // The operator's support desk registers, then Acme's 201 dials 2222.
  const reg = await operator.register("2222");
  assert.is(reg.code, 0, explain(reg));
  const r = await operator.call("2222", {}, {}, "pbx.test");
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `support phone: ${explain(r.callee)}`);
});

test("PSTN suspension: national refused, internal and emergency still work", async () => {
  await cli("suspend", "pbx.test", "--pstn", "total", "--reason", "fraud alert");
  await dial("0123456789", 403, "PSTN access suspended");
  await dial("202", 480); // internal: reaches routing (202 is registered nowhere)
  await dial("15", 503); // emergency: never blocked
  await cli("resume", "pbx.test");
  await dial("0123456789", 503);
});

test("non-payment: all outgoing refused but emergency", async () => {
  await cli("suspend", "pbx.test", "--non-payment");
  await dial("0612345678", 403, "Customer suspended");
  await dial("15", 503);
  await cli("resume", "pbx.test");
});

test.run();
