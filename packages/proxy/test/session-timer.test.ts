import { createResponse, parseMessage, type SipRequest } from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ProxyRefusal } from "../src/errors.js";
import { SessionTimers } from "../src/session-timer.js";

function invite(headers: string[], callId = "st-1@test"): SipRequest {
  const text = [
    "INVITE sip:202@pbx.test SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-st;rport",
    "From: <sip:201@pbx.test>;tag=a",
    "To: <sip:202@pbx.test>",
    `Call-ID: ${callId}`,
    "CSeq: 1 INVITE",
    "Contact: <sip:201@192.0.2.10:5060>",
    "Max-Forwards: 70",
    ...headers,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const settings = { intervalSeconds: 1800, minSeconds: 90 };
const never = () => assert.unreachable("no call should expire");

test("an INVITE asking for no interval gets the configured one and our Min-SE", () => {
  const t = new SessionTimers(settings, never);
  const req = invite([]);
  t.onRequest(req);
  assert.is(req.get("session-expires"), "1800");
  assert.is(req.get("min-se"), "90");
});

test("too small an interval: 422 with Min-SE when the caller supports timer, raised when it does not", () => {
  const t = new SessionTimers(settings, never);
  try {
    t.onRequest(invite(["Supported: timer", "Session-Expires: 60;refresher=uac"]));
    assert.unreachable("a 60 s interval passed");
  } catch (err) {
    assert.instance(err, ProxyRefusal);
    const r = err as ProxyRefusal;
    assert.is(r.status, 422);
    assert.equal(r.headers, [["Min-SE", "90"]]);
  }
  // The compact form (x) is read the same.
  const old = invite(["x: 60;refresher=uac"]);
  t.onRequest(old);
  assert.is(old.get("session-expires"), "90;refresher=uac");
});

test("a malformed Session-Expires or Min-SE is a 400 naming the header", () => {
  const t = new SessionTimers(settings, never);
  for (const [h, name] of [
    ["Session-Expires: soon", "Session-Expires"],
    ["Min-SE: -5", "Min-SE"],
  ] as const) {
    try {
      t.onRequest(invite([h]));
      assert.unreachable(`${h} passed`);
    } catch (err) {
      assert.instance(err, ProxyRefusal);
      assert.is((err as ProxyRefusal).status, 400);
      assert.match((err as ProxyRefusal).reason, name);
    }
  }
});

test("refuses() says, without changing the request, exactly whether onRequest throws", () => {
  const t = new SessionTimers(settings, never);
  for (const headers of [
    [],
    ["Supported: timer", "Session-Expires: 60;refresher=uac"],
    ["Require: timer", "Session-Expires: 60"],
    ["Session-Expires: 60"],
    ["Supported: timer", "Session-Expires: 90"],
    ["Session-Expires: soon"],
    ["Min-SE: -5"],
    ["Min-SE: 120", "Supported: timer"],
  ]) {
    const asked = invite(headers);
    const before = asked.toBuffer();
    const refused = t.refuses(asked);
    assert.ok(asked.toBuffer().equals(before), `refuses() changed ${headers.join(", ")}`);
    let threw = false;
    try {
      t.onRequest(invite(headers));
    } catch {
      threw = true;
    }
    assert.is(refused, threw, headers.join(", "));
  }
});

test("a larger Min-SE in the request is respected when inserting the interval", () => {
  const t = new SessionTimers({ intervalSeconds: 120, minSeconds: 90 }, never);
  const req = invite(["Min-SE: 600"]);
  t.onRequest(req);
  assert.is(req.get("session-expires"), "600");
  assert.is(req.get("min-se"), "600");
});

test("a callee without timer: the 2xx says the caller refreshes (refresher=uac, Require: timer)", () => {
  const t = new SessionTimers(settings, never);
  const req = invite(["Supported: timer"]);
  t.onRequest(req);
  const ok = createResponse(req, 200, "OK");
  t.onAnswer(req, ok);
  assert.is(ok.get("session-expires"), "1800;refresher=uac");
  assert.match(ok.getAll("require").join(","), "timer");
  assert.is(t.active, 1);
  t.stopAll();
});

test("neither phone supports timer: no timer runs (nothing would refresh the call)", () => {
  const t = new SessionTimers(settings, never);
  const req = invite([]);
  t.onRequest(req);
  const ok = createResponse(req, 200, "OK");
  t.onAnswer(req, ok);
  assert.is(ok.get("session-expires"), undefined);
  assert.is(t.active, 0);
});

test("no refresh within the interval: the call expires once; a refresh re-arms the timer", async () => {
  const expired: string[] = [];
  const t = new SessionTimers({ intervalSeconds: 1, minSeconds: 1 }, (id) => expired.push(id));
  // Call A is refreshed before its deadline, call B is not.
  const a = invite(["Supported: timer", "Session-Expires: 1"], "a@test");
  const b = invite(["Supported: timer", "Session-Expires: 1"], "b@test");
  for (const r of [a, b]) {
    t.onRequest(r);
    t.onAnswer(r, createResponse(r, 200, "OK", { headers: [["Session-Expires", "1;refresher=uac"]] }));
  }
  await new Promise((r) => setTimeout(r, 600));
  t.onAnswer(a, createResponse(a, 200, "OK", { headers: [["Session-Expires", "1;refresher=uac"]] }));
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(expired, ["b@test"]);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(expired, ["b@test", "a@test"]);
  assert.is(t.active, 0);
});

test("a call ended by BYE stops its timer", async () => {
  const t = new SessionTimers({ intervalSeconds: 1, minSeconds: 1 }, never);
  const r = invite(["Supported: timer"]);
  t.onRequest(r);
  t.onAnswer(r, createResponse(r, 200, "OK"));
  t.stop(r.callId);
  await new Promise((res) => setTimeout(res, 1200));
  assert.is(t.active, 0);
});

test.run();
