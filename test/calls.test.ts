import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, provision, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { callerScenario } from "./helpers/scenarios.js";
import { phoneArgs, runSipp, type SippResult } from "./helpers/sipp.js";

// Registrar and proxy end to end, with SIPp as the phones (RFC 3261 §10, §16).
const DOMAIN = "pbx.test";
let sw: RunningSwitch;
let server: string;
let phones: SippPhones;
const call = (...args: Parameters<SippPhones["call"]>) => phones.call(...args);
const register = (ext: string, password: string) => phones.register(ext, password);

test.before(async () => {
  sw = await startSwitch({ args: ["--log-level", "info"], sippPhones: true });
  server = `${sw.address}:${sw.port}`;
  phones = new SippPhones(server, DOMAIN);
  await provision(sw.db, [
    ["customer", "add", "Acme", "--domain", DOMAIN],
    ["customer", "add", "Other", "--domain", "other.test"],
    ["extension", "add", DOMAIN, "201", "--password", passwordOf("201"), "--name", "Alice"],
    ["extension", "add", DOMAIN, "202", "--password", passwordOf("202"), "--name", "Bob"],
    ["extension", "add", DOMAIN, "203", "--password", passwordOf("203")],
    ["extension", "add", "other.test", "202", "--password", passwordOf("o202")],
  ]);
});

test.after(async () => {
  await sw?.stop();
});

test("REGISTER with digest: challenged, then 200 with the binding", async () => {
  const r = await register("201", passwordOf("201"));
  assert.is(r.code, 0, explain(r));
  const list = await centrex(["extension", "list", DOMAIN, "--db", sw.db]);
  assert.match(list.stdout, /^201\tenabled\t1 registered/m);
});

test("REGISTER with a wrong password, or as an unknown user, is refused the same way", async () => {
  for (const [user, pw] of [
    ["202", "not-the-password"],
    ["299", "whatever-pass"],
  ] as const) {
    const r = await runSipp({
      scenario: "register-wrong-password.xml",
      server,
      extraArgs: ["-s", user, "-au", user, "-ap", pw, "-set", "domain", DOMAIN],
    });
    assert.is(r.code, 0, `${user}: ${explain(r)}`);
  }
});

test("A calls B through the proxy: INVITE/100/180/200/ACK/BYE, record-routed, media anchored", async () => {
  // The callee sees the relay's port (default range 30000-39999) in the offer, not the caller's.
  const r = await call("202", {}, { offerPort: "3[0-9]{4}" });
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee as SippResult)}`);
});

test("caller behind NAT (Contact it cannot be reached at): the callee's BYE still reaches it", async () => {
  // A loopback address nobody listens on plays the private address; packets come from 127.0.0.1.
  const r = await call("202", { contact: "127.0.0.99:5999", hangup: "callee" }, { hangup: "callee" });
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee as SippResult)}`);
});

test("CANCEL while ringing: forwarded to the callee, the caller gets 487", async () => {
  const r = await call("202", { cancelOnRinging: true }, { expectCancel: true });
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee as SippResult)}`);
});

test("busy callee: 486 reaches the caller", async () => {
  const r = await call("202", { expect: 486 }, { answer: 486 });
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee as SippResult)}`);
});

test("an extension registered nowhere: 480", async () => {
  const r = await call("203", { expect: 480 });
  assert.is(r.caller.code, 0, explain(r.caller));
});

test("an unknown extension: 404", async () => {
  const r = await call("299", { expect: 404 });
  assert.is(r.caller.code, 0, explain(r.caller));
});

test("Max-Forwards 0: 483 Too Many Hops", async () => {
  const r = await call("202", { expect: 483, maxForwards: 0, challenged: false });
  assert.is(r.caller.code, 0, explain(r.caller));
});

test("tenants are isolated: 202 of another customer is not reachable (404)", async () => {
  // The caller authenticates in its own domain but asks for other.test's 202.
  const r = await runSipp({
    scenario: callerScenario({ expect: 404 }).replace(
      "INVITE sip:[service]@[$domain] SIP/2.0\n      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport\n      From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]\n      To: <sip:[service]@[$domain]>\n      Call-ID: [call_id]\n      CSeq: 2",
      "INVITE sip:[service]@other.test SIP/2.0\n      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport\n      From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]\n      To: <sip:[service]@other.test>\n      Call-ID: [call_id]\n      CSeq: 2",
    ),
    server,
    extraArgs: phoneArgs({ service: "202", user: "201", domain: DOMAIN, vars: { caller: "201" } }),
  });
  assert.is(r.code, 0, explain(r));
});

test.run();
