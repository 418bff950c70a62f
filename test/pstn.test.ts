import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { expectingInvite, runSipp } from "./helpers/sipp.js";

// The PSTN side end to end (issue 5): SIPp plays the carriers, on their own loopback addresses
// (127.0.0.2 and 127.0.0.3) since carriers are recognised by address; phones are on 127.0.0.1.
let sw: RunningSwitch;
let phones: SippPhones;
let alphaPort: number;
let betaPort: number;

async function cli(...args: string[]) {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
}

/** A carrier scenario running in the background on its address and port. */
function carrier(scenario: string, ip: string, port: number, vars: Record<string, string> = {}) {
  const extraArgs = Object.entries(vars).flatMap(([k, v]) => ["-set", k, v]);
  return runSipp({
    scenario,
    server: `127.0.0.1:${sw.port}`,
    localIp: ip,
    localPort: port,
    timeoutMs: 20_000,
    extraArgs,
  });
}

async function settle() {
  await new Promise((r) => setTimeout(r, 1000)); // let SIPp bind before the call comes
}

test.before(async () => {
  alphaPort = await freePort("127.0.0.2");
  betaPort = await freePort("127.0.0.3");
  const dir = mkdtempSync(join(tmpdir(), "centrex-pstn-"));
  const config = join(dir, "centrex.yaml");
  writeFileSync(config, "trunk:\n  probeSeconds: 0\n  reloadSeconds: 1\n");
  sw = await startSwitch({ args: ["--config", config], sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test");
  await cli("customer", "add", "Acme", "--domain", "pbx.test");
  for (const ext of ["201", "202", "203"])
    await cli("extension", "add", "pbx.test", ext, "--password", passwordOf(ext));
  await cli("did", "add", "pbx.test", "+33123456780", "--main", "--extension", "203");
  await cli("did", "add", "pbx.test", "+33123456781", "--extension", "202");
  await cli("fallback", "pbx.test", "+33611223344");
  await cli(
    "carrier",
    "add",
    "alpha",
    "--host",
    "127.0.0.2",
    "--port",
    String(alphaPort),
    "--format",
    "national",
    "--username",
    "trunkuser",
    "--password",
    "trunk-secret",
    "--priority",
    "1",
  );
  await cli(
    "carrier",
    "add",
    "beta",
    "--host",
    "127.0.0.3",
    "--port",
    String(betaPort),
    "--format",
    "e164",
    "--priority",
    "2",
  );
  await cli("carrier", "route", "alpha", "33");
  await cli("carrier", "route", "beta", "33");
  await cli("carrier", "route", "beta", "49");
  await cli("emergency", "pbx.test", "--department", "75", "--commune", "75056");
  await cli("pin", "add", "pbx.test", "boss", "--code", "4321");
  await new Promise((r) => setTimeout(r, 1500)); // the switch reloads carriers every second
});

test.after(async () => {
  await sw?.stop();
  if (process.env.PSTN_DEBUG) console.log(sw.logs());
});

test("outbound call: national format, the customer's number as identity, digest answered, BYE in sequence", async () => {
  const alpha = carrier("carrier-challenge-answer.xml", "127.0.0.2", alphaPort);
  await settle();
  const caller = await phones.call("0612345678", {});
  const c = await alpha;
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}\ncarrier: ${explain(c)}`);
  assert.is(c.code, 0, `carrier: ${explain(c)}`);
});

test("inbound call to a DID reaches its extension (never challenged: the carrier is known by address)", async () => {
  const answering = await phones.answer("202", { hangup: "caller" });
  const inbound = await runSipp({
    scenario: "carrier-inbound-uac.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    extraArgs: ["-s", "+33123456781"],
  });
  const phone = await answering.done;
  assert.is(inbound.code, 0, `carrier: ${explain(inbound)}\nphone: ${explain(phone)}`);
  assert.is(phone.code, 0, `phone 202: ${explain(phone)}`);
});

test("outage: the main number goes to the fallback number when no phone can take it (rule 22)", async () => {
  // The main number rings extension 203, registered nowhere: the call goes out to +33611223344.
  const alpha = carrier("carrier-answer.xml", "127.0.0.2", alphaPort);
  await settle();
  const inbound = await runSipp({
    scenario: "carrier-inbound-uac.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.3",
    extraArgs: ["-s", "0123456780"],
  });
  assert.is(inbound.code, 0, `calling carrier: ${explain(inbound)}`);
  assert.is((await alpha).code, 0, `fallback carrier: ${explain(await alpha)}`);
  assert.ok(await sw.waitForLog(/"event":"main-number-fallback"/), sw.logs().slice(-2000));
});

test("emergency without a table (the default): 15 goes to the carrier as dialled, with the declared commune", async () => {
  const alpha = carrier(
    expectingInvite({
      uri: ["request-line", "^INVITE sip:15@"],
      commune: ["X-Emergency-Commune", "^ *75056$"],
      pai: ["P-Asserted-Identity", "sip:0123456780@"],
    }),
    "127.0.0.2",
    alphaPort,
  );
  await settle();
  const caller = await phones.call("15", {});
  const c = await alpha;
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}\ncarrier: ${explain(c)}`);
  assert.is(c.code, 0, `carrier: ${explain(c)}`);
  assert.ok(await sw.waitForLog(/"routing":"carrier"/), sw.logs().slice(-2000));
  assert.not.match(sw.logs(), /emergency-table-sample/);
});

test("a PIN-protected international call with the right PIN reaches a carrier (E.164 format)", async () => {
  const beta = carrier(
    expectingInvite({ uri: ["request-line", "^INVITE sip:\\+4930123456789@"] }),
    "127.0.0.3",
    betaPort,
  );
  await settle();
  const caller = await phones.call("*4321004930123456789", {});
  const c = await beta;
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}\ncarrier: ${explain(c)}`);
  assert.is(c.code, 0, `carrier: ${explain(c)}`);
  const wrong = await phones.call("*9999004930123456789", { expect: 403, expectReason: "Wrong PIN" });
  assert.is(wrong.caller.code, 0, explain(wrong.caller));
});

test("inbound: an unknown DID gets 404, the support line from a carrier is refused", async () => {
  const unknown = await runSipp({
    scenario: "carrier-inbound-refused.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    extraArgs: ["-s", "+33199999999"],
  });
  assert.is(unknown.code, 0, `unknown DID: ${explain(unknown)}`);
  const support = await runSipp({
    scenario: "carrier-inbound-refused.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    extraArgs: ["-s", "2222"],
  });
  assert.is(support.code, 0, `22 22 from a carrier: ${explain(support)}`);
});

// A 503 demotes alpha for trunk.demoteSeconds (passive health): the tests after it see beta first.
test("carrier failover on 503: the next carrier takes the call", async () => {
  const alpha = carrier("carrier-503.xml", "127.0.0.2", alphaPort);
  const beta = carrier("carrier-answer.xml", "127.0.0.3", betaPort);
  await settle();
  const caller = await phones.call("0612345678", {});
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}`);
  assert.is((await alpha).code, 0, "alpha never saw the INVITE");
  assert.is((await beta).code, 0, `beta: ${explain(await beta)}`);
});

// Last: the silent carrier's INVITE keeps being retransmitted to its address until Timer B.
test("carrier failover on timeout: a silent carrier is abandoned, the demoted one still tried (last resort)", async () => {
  // alpha was demoted by its 503 just before: beta comes first now, and nothing listens on its port.
  const alpha = carrier("carrier-answer.xml", "127.0.0.2", alphaPort);
  await settle();
  const started = Date.now();
  const caller = await phones.call("0612345678", {});
  assert.is(caller.caller.code, 0, `caller: ${explain(caller.caller)}`);
  assert.is((await alpha).code, 0, `alpha: ${explain(await alpha)}`);
  assert.ok(Date.now() - started < 15_000, "failover waited for Timer B instead of the carrier timeout");
  const list = await centrex(["carrier", "list", "--db", sw.db]);
  assert.match(list.stdout, /^beta\t.*demoted since \S+ \(no answer to a call in 3000 ms\)/m);
  assert.match(list.stdout, /^alpha\t.*\tup since /m);
});

test.run();
