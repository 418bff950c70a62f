import { test } from "uvu";
import * as assert from "uvu/assert";
import { passwordOf } from "./helpers/passwords.js";
import { explain } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { calleeScenario, callerScenario, SDP } from "./helpers/scenarios.js";
import { runSipp } from "./helpers/sipp.js";
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
  // The switch's log reaches us through a pipe, possibly just after SIPp saw the BYEs.
  assert.ok(await t.sw.waitForLog(/"event":"session-timer-expired"/), t.sw.logs().slice(-2000));

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

/** The caller refreshes once (a re-INVITE asking 3 s) 1 s after the answer, then hangs up at ~2.8 s. */
function refreshingCaller(): string {
  const base = callerScenario({ hangup: "caller", talkMs: 1800, headers: ["Supported: timer"] });
  const refresh = `  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 3 INVITE
Contact: <sip:[$caller]@[local_ip]:[local_port]>
[routes]
Max-Forwards: 70
Supported: timer
Session-Expires: 3;refresher=uac
Content-Type: application/sdp
Content-Length: [len]

${SDP}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 3 ACK
[routes]
Max-Forwards: 70
Content-Length: 0

]]></send>
`;
  const i = base.indexOf('  <pause milliseconds="1800"/>');
  assert.ok(i > 0 && base.includes("CSeq: 3 BYE"), "the caller scenario changed shape");
  return (base.slice(0, i) + refresh + base.slice(i)).replace("CSeq: 3 BYE", "CSeq: 4 BYE");
}

/** The callee answers the refresh (it knows nothing of timers), then waits for the caller's BYE. */
function refreshedCallee(): string {
  const base = calleeScenario({ hangup: "caller" });
  const answerRefresh = `  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:callee@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

${SDP}
]]></send>
  <recv request="ACK"/>
`;
  const i = base.indexOf('  <recv request="BYE"/>');
  assert.ok(i > 0, "the callee scenario changed shape");
  return base.slice(0, i) + answerRefresh + base.slice(i);
}

test("a refresh moves the deadline: a call refreshed within its interval outlives the first one", async () => {
  // Interval 2 s from the answer; the refresh at 1 s asks 3 s (deadline 4 s); the caller hangs up
  // at ~2.8 s with its own BYE, which the callee gets — not one from the switch at 2 s.
  const port = await freePort();
  const server = `127.0.0.1:${t.sw.port}`;
  const reg = await runSipp({
    scenario: "register-uac.xml",
    server,
    localPort: port,
    extraArgs: [
      "-s",
      "202",
      "-au",
      "202",
      "-ap",
      passwordOf("202"),
      "-set",
      "domain",
      "pbx.test",
      "-set",
      "expires",
      "300",
    ],
  });
  assert.is(reg.code, 0, explain(reg));
  const callee = runSipp({ scenario: refreshedCallee(), server, localPort: port, timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 600)); // let the callee's SIPp bind before the INVITE comes
  const expiredBefore = t.sw.logs().split('"event":"session-timer-expired"').length;
  const caller = await runSipp({
    scenario: refreshingCaller(),
    server,
    timeoutMs: 20_000,
    extraArgs: [
      "-s",
      "202",
      "-au",
      "201",
      "-ap",
      passwordOf("201"),
      "-set",
      "domain",
      "pbx.test",
      "-set",
      "caller",
      "201",
    ],
  });
  assert.is(caller.code, 0, `caller: ${explain(caller)}`);
  assert.is((await callee).code, 0, `callee: ${explain(await callee)}`);
  assert.is(
    t.sw.logs().split('"event":"session-timer-expired"').length,
    expiredBefore,
    "the switch ended a refreshed call",
  );
});

test.run();
