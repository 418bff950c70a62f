import { randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exportedRecords } from "./helpers/call-records.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { header, RawPhone } from "./helpers/raw-phone.js";
import { digestAnswer, newRawBranch, rawOffer, rawRequest } from "./helpers/raw-sip.js";
import { runSipp } from "./helpers/sipp.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// Attended transfer (RFC 3515 REFER with an embedded Replaces, RFC 3891) and a blind transfer
// to the PSTN (billed to the transferor) end to end. baresip 1.0
// has no attended transfer, so the phones here are hand-written UAs on UDP that send what a desk
// phone sends (REGISTER and INVITE with digest, in-dialog requests along the Record-Route).
//   201 (B) calls 202 (A); A consults 203, which has two phones (C1, C2) and answers on C1;
//   A sends B a REFER with Refer-To: <sip:203@…?Replaces=consultation>; B's INVITE with Replaces
//   must reach C1 only (the phone of the replaced call), and its record links to B–A's call.
//   A carrier's caller (SIPp on 127.0.0.2) is transferred the same way by the switch itself (a
//   carrier does not act on REFER): the switch sends C1 the INVITE with Replaces.
const DOMAIN = "pbx.test";
let t: TenantSwitch;
const phones: RawPhone[] = [];

/** A phone of the test's customer, closed after the suite. */
async function phone(ext: string): Promise<RawPhone> {
  const p = await RawPhone.open(ext, { switchPort: t.sw.port, domain: DOMAIN });
  phones.push(p);
  return p;
}

let carrierPort: number;

const records = () => exportedRecords(t.sw.db, DOMAIN);

test.before(async () => {
  // Carriers reloaded every second and not probed: the SIPp carrier runs one script (test/README.md).
  t = await startWithTenant({
    extensions: ["201", "202", "203"],
    config: "trunk:\n  probeSeconds: 0\n  reloadSeconds: 1\n",
  });
  carrierPort = await freePort("127.0.0.2");
  await t.cli("did", "add", DOMAIN, "+33123456780", "--main", "--extension", "201");
  await t.cli(
    "carrier",
    "add",
    "alpha",
    "--host",
    "127.0.0.2",
    "--port",
    String(carrierPort),
    "--format",
    "national",
  );
  await t.cli("carrier", "route", "alpha", "33");
  await new Promise((r) => setTimeout(r, 1500)); // the switch reloads carriers every second
});

test.after(async () => {
  for (const p of phones) p.close();
  await t?.sw.stop();
});

test("attended transfer: the INVITE with Replaces reaches the consulted phone only, and is the transferor's call", async () => {
  const b = await phone("201");
  const a = await phone("202");
  const c1 = await phone("203");
  const c2 = await phone("203");
  for (const p of [b, a, c1, c2]) await p.register();

  // B calls A; A answers.
  const calling = b.call("202");
  const aSide = a.answer(await a.received("INVITE"), 200, "OK");
  const bSide = await calling;
  await a.received("ACK");

  // A consults 203: both phones ring, C1 answers, C2 is cancelled.
  const consulting = a.call("203");
  const c1Side = c1.answer(await c1.received("INVITE"), 200, "OK");
  const ringing = await c2.received("INVITE");
  c2.answer(ringing, 180, "Ringing");
  const consult = await consulting;
  c2.answer(await c2.received("CANCEL"), 200, "OK");
  c2.answer(ringing, 487, "Request Terminated");

  // A refers B to 203, replacing the consultation (tags as C1 sees that dialog).
  const replaces = `${consult.callId};to-tag=${c1Side.localTag};from-tag=${consult.localTag}`;
  const referring = a.request(aSide, "REFER", [
    `Refer-To: <sip:203@${DOMAIN}?Replaces=${encodeURIComponent(replaces)}>`,
    `Referred-By: ${a.aor}`,
  ]);
  const refer = await b.received("REFER");
  b.answer(refer, 202, "Accepted");
  assert.is((await referring).status, 202);
  assert.match(header(refer, "refer-to")[0] ?? "", "Replaces=");

  // B places the new call with Replaces; only C1 gets it.
  const c2Before = c2.c.requests.length;
  const transferring = b.call("203", [`Replaces: ${replaces}`, `Referred-By: ${a.aor}`]);
  const replacing = await c1.received("INVITE");
  assert.match(header(replacing, "replaces")[0] ?? "", consult.callId);
  c1.answer(replacing, 200, "OK");
  const newCall = await transferring;
  await c1.received("ACK");
  assert.is(
    c2.c.requests.slice(c2Before).filter((r) => r.startsWith("INVITE ")).length,
    0,
    "the INVITE with Replaces forked to the other phone of 203",
  );

  // Everyone hangs up: C1 ends the replaced consultation, A the first call, B the new one.
  const c1Bye = c1.request(c1Side, "BYE");
  a.answer(await a.received("BYE"), 200, "OK");
  assert.is((await c1Bye).status, 200);
  const aBye = a.request(aSide, "BYE");
  b.answer(await b.received("BYE"), 200, "OK");
  assert.is((await aBye).status, 200);
  const bBye = b.request(newCall, "BYE");
  c1.answer(await c1.received("BYE"), 200, "OK");
  assert.is((await bBye).status, 200);

  const all = await records();
  const rec = all.find((r) => r.call_id === newCall.callId);
  assert.ok(rec, JSON.stringify(all));
  assert.is(rec.transferred_from, bSide.callId);
  assert.is(rec.extension, "202", "the transferred call is the transferor's");
  assert.is(rec.disposition, "answered");
  assert.match(await t.cli("cdr", "verify"), /ok/);
  assert.ok(await t.sw.waitForLog(/"event":"replaces-routed"/));
});

test("attended transfer of a carrier's caller: the switch's own INVITE with Replaces reaches the consulted phone; the carrier sees no REFER, and its BYE comes from the switch at the end", async () => {
  const a = await phone("201");
  const c1 = await phone("203");
  for (const p of [a, c1]) await p.register();
  // The carrier calls the main number (201); SIPp fails on anything but the one BYE at the end.
  const carrier = runSipp({
    scenario: "carrier-inbound-transfer.xml",
    server: `127.0.0.1:${t.sw.port}`,
    localIp: "127.0.0.2",
    localPort: carrierPort,
    timeoutMs: 25_000,
    extraArgs: ["-s", "0123456780"],
  });
  const incoming = await a.received("INVITE", 10_000);
  const outsideCall = header(incoming, "call-id")[0] ?? "";
  const aSide = a.answer(incoming, 200, "OK");
  await a.received("ACK");

  // A consults 203 and refers the carrier's caller to it, replacing the consultation.
  const consulting = a.call("203");
  const c1Side = c1.answer(await c1.received("INVITE"), 200, "OK");
  const consult = await consulting;
  await c1.received("ACK");
  const replaces = `${consult.callId};to-tag=${c1Side.localTag};from-tag=${consult.localTag}`;
  const referred = await a.request(aSide, "REFER", [
    `Refer-To: <sip:203@${DOMAIN}?Replaces=${encodeURIComponent(replaces)}>`,
  ]);
  assert.is(referred.status, 202, referred.text);
  const trying = await a.received("NOTIFY");
  assert.is(trying.slice(trying.indexOf("\r\n\r\n") + 4), "SIP/2.0 100 Trying\r\n");
  a.answer(trying, 200, "OK");

  // The switch's INVITE: Replaces as the REFER named it, the carrier's caller as From.
  const replacing = await c1.received("INVITE");
  assert.is(header(replacing, "replaces")[0], replaces);
  assert.match(header(replacing, "from")[0] ?? "", "+33987654321");
  const newSide = c1.answer(replacing, 200, "OK");
  await c1.received("ACK");
  const done = await a.received("NOTIFY");
  assert.is(done.slice(done.indexOf("\r\n\r\n") + 4), "SIP/2.0 200 OK\r\n");
  a.answer(done, 200, "OK");
  // A leaves the carrier's call (answered by the switch) and C1 ends the replaced consultation.
  assert.is((await a.request(aSide, "BYE")).status, 200);
  const c1Bye = c1.request(c1Side, "BYE");
  a.answer(await a.received("BYE"), 200, "OK");
  assert.is((await c1Bye).status, 200);

  // C1 hangs up the transferred call: the switch ends the carrier's.
  assert.is((await c1.request(newSide, "BYE")).status, 200);
  const r = await carrier;
  assert.is(r.code, 0, `carrier: ${explain(r)}`);
  const all = await records();
  const rec = all.find((x) => x.call_id === newSide.callId);
  assert.ok(rec, JSON.stringify(all));
  assert.equal([rec.transferred_from, rec.extension, rec.disposition], [outsideCall, "201", "answered"]);
  assert.ok(await t.sw.waitForLog(/"event":"outside-transfer-ended".*"by":"target"/));
});

test("a REFER replacing a call the transferor is not in is refused 403 before it reaches the transferee", async () => {
  const b = await phone("201");
  const a = await phone("202");
  const c = await phone("203");
  for (const p of [b, a, c]) await p.register();
  const calling = b.call("202");
  const aSide = a.answer(await a.received("INVITE"), 200, "OK");
  await calling;
  // A call between 201 and 203 that 202 is not a party of.
  const other = b.call("203");
  const cSide = c.answer(await c.received("INVITE"), 200, "OK");
  const otherCall = await other;
  const replaces = `${otherCall.callId};to-tag=${cSide.localTag};from-tag=${otherCall.localTag}`;
  const before = b.c.requests.length;
  const res = await a.request(aSide, "REFER", [
    `Refer-To: <sip:203@${DOMAIN}?Replaces=${encodeURIComponent(replaces)}>`,
  ]);
  assert.is(res.status, 403, res.text);
  assert.match(res.header("warning") ?? "", "Transfer refused");
  assert.is(b.c.requests.slice(before).filter((r) => r.startsWith("REFER ")).length, 0);
});

test("blind transfer to the PSTN: the transferee's carrier call is the transferor's (billed to 202), linked", async () => {
  const b = await phone("201");
  const a = await phone("202");
  for (const p of [b, a]) await p.register();
  const calling = b.call("202");
  const aSide = a.answer(await a.received("INVITE"), 200, "OK");
  const first = await calling;
  await a.received("ACK");
  const carrier = runSipp({
    scenario: "carrier-answer.xml",
    server: `127.0.0.1:${t.sw.port}`,
    localIp: "127.0.0.2",
    localPort: carrierPort,
    timeoutMs: 20_000,
  });
  await new Promise((r) => setTimeout(r, 1000)); // let SIPp bind before the call comes
  const referring = a.request(aSide, "REFER", [`Refer-To: <sip:0612345678@${DOMAIN}>`]);
  b.answer(await b.received("REFER"), 202, "Accepted");
  assert.is((await referring).status, 202);
  const out = await b.call("0612345678", [`Referred-By: ${a.aor}`]);
  // B reports the new call's progress to A (RFC 3515 §2.4.5): the switch relays the NOTIFY and
  // its sipfrag as they are.
  const sipfrag = "SIP/2.0 200 OK\r\n";
  const notifying = b.requestWithBody(
    first,
    "NOTIFY",
    ["Event: refer", "Subscription-State: terminated;reason=noresource"],
    "message/sipfrag;version=2.0",
    sipfrag,
  );
  const notify = await a.received("NOTIFY");
  assert.match(header(notify, "content-type")[0] ?? "", "message/sipfrag;version=2.0");
  assert.match(header(notify, "event")[0] ?? "", "refer");
  assert.is(notify.slice(notify.indexOf("\r\n\r\n") + 4), sipfrag, "the sipfrag body changed on the way");
  a.answer(notify, 200, "OK");
  assert.is((await notifying).status, 200);
  const bye = b.request(out, "BYE");
  assert.is((await bye).status, 200);
  assert.is((await carrier).code, 0, `carrier: ${explain(await carrier)}`);
  const aBye = a.request(aSide, "BYE");
  b.answer(await b.received("BYE"), 200, "OK");
  assert.is((await aBye).status, 200);

  const all = await records();
  const rec = all.find((r) => r.call_id === out.callId);
  assert.ok(rec, JSON.stringify(all));
  assert.is(rec.extension, "202", "billed to the transferor, not the transferee 201");
  assert.is(rec.direction, "outbound");
  assert.is(rec.called, "+33612345678");
  assert.is(rec.transferred_from, first.callId);
  assert.is(rec.disposition, "answered");
});

test("a REFER to the PSTN without the transferor's credentials is refused: the transferee never sees it, nothing is billed", async () => {
  const b = await phone("201");
  const a = await phone("202");
  for (const p of [b, a]) await p.register();
  const known = new Set((await records()).map((r) => r.call_id));
  const calling = b.call("202");
  const aSide = a.answer(await a.received("INVITE"), 200, "OK");
  const first = await calling;
  await a.received("ACK");
  const before = b.c.requests.length;
  const referTo = `Refer-To: <sip:0612345678@${DOMAIN}>`;
  // Whoever forges a REFER in the call (the tags travel in clear) cannot answer the challenge…
  const unauthenticated = await a.request(aSide, "REFER", [referTo], null);
  assert.is(unauthenticated.status, 407, unauthenticated.text);
  assert.match(unauthenticated.header("proxy-authenticate") ?? "", `realm="${DOMAIN}"`);
  // …and the transferee's own credentials (201 knows the dialog) do not make 202 pay.
  const forged = await a.request(aSide, "REFER", [referTo], {
    username: "201",
    password: passwordOf("201"),
  });
  assert.is(forged.status, 403, forged.text);
  assert.match(forged.header("warning") ?? "", "Transfer refused");
  const wrong = await a.request(aSide, "REFER", [referTo], { username: "202", password: "wrong" });
  assert.is(wrong.status, 403, wrong.text);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(b.c.requests.slice(before).filter((r) => r.startsWith("REFER ")).length, 0);
  const aBye = a.request(aSide, "BYE");
  b.answer(await b.received("BYE"), 200, "OK");
  assert.is((await aBye).status, 200);
  assert.ok(await t.sw.waitForLog(/"event":"transfer-challenged"/));
  // The only record since: the call itself (201 → 202, internal). No call on 202's account.
  const since = (await records()).filter((r) => !known.has(r.call_id));
  assert.equal(
    since.map((r) => [r.call_id, r.direction]),
    [[first.callId, "internal"]],
    JSON.stringify(since),
  );
});

test("without a REFER, an INVITE claiming Referred-By the transferor is the caller's own call", async () => {
  // 201 dials a barred number naming 202 as referrer: no REFER authorised it, so 201's own rules
  // apply (refused as 201's dialled call would be) and the attempt's record is 201's.
  const b = await phone("201");
  await b.register();
  const callId = `forged-${randomBytes(4).toString("hex")}`;
  const uri = `sip:0899123456@${DOMAIN}`;
  b.c.send(
    rawRequest(b.c, {
      method: "INVITE",
      uri,
      from: `${b.aor};tag=f1`,
      to: `<${uri}>`,
      callId,
      cseq: 1,
      headers: [`Contact: ${b.contact}`, `Referred-By: <sip:202@${DOMAIN}>`],
      body: rawOffer("127.0.0.1", 40_004),
    }),
  );
  const challenge = await b.c.next(callId, "1 INVITE");
  assert.is(challenge.status, 407);
  const branch = newRawBranch();
  const auth = digestAnswer(challenge.header("proxy-authenticate") ?? "", {
    method: "INVITE",
    uri,
    username: "201",
    password: passwordOf("201"),
  });
  b.c.send(
    rawRequest(b.c, {
      method: "INVITE",
      uri,
      from: `${b.aor};tag=f1`,
      to: `<${uri}>`,
      callId,
      cseq: 2,
      branch,
      headers: [`Contact: ${b.contact}`, `Referred-By: <sip:202@${DOMAIN}>`, `Proxy-Authorization: ${auth}`],
      body: rawOffer("127.0.0.1", 40_004),
    }),
  );
  const res = await b.c.next(callId, "2 INVITE", 200);
  assert.is(res.status, 403, res.text);
  b.c.send(
    rawRequest(b.c, {
      method: "ACK",
      uri,
      from: `${b.aor};tag=f1`,
      to: res.header("to") ?? "",
      callId,
      cseq: 2,
      branch,
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  const all = await records();
  const rec = all.find((r) => r.call_id === callId);
  assert.is(rec?.extension, "201");
  assert.is(rec?.transferred_from, "");
});

test.run();
