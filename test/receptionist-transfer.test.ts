import { test } from "uvu";
import * as assert from "uvu/assert";
import { startSwitchForBaresip } from "./helpers/baresip.js";
import { assertHeardBothWays, hangUp, LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { exportedRecords } from "./helpers/call-records.js";
import { provision } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { runSipp } from "./helpers/sipp.js";

// The receptionist (issue 18): the reception group 600 (202, 203; baresip phones that ring
// until answered) takes calls — from an extension, and from the PSTN on the main number (a SIPp
// carrier on 127.0.0.2) — and the member who answers hands the caller on with baresip's
// `transfer` (a blind REFER). Inside the customer the transfer goes through: the caller talks
// to the target (both tones heard), the new call is the receptionist's and its record links to
// the group call. An outside caller cannot be handed on by REFER (a carrier does not act on it):
// the switch authenticates and checks the REFER as the receptionist's, then carries the transfer
// out itself (it calls the target and points the caller's media at it); the carrier never sees a
// REFER, and gets a BYE from the switch when the target hangs up.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_D = 1500; // below 4 kHz, the Nyquist frequency of G.711
const phones = new Phones();
let carrierPort = 0;
const pbx = new LazySwitch(async () => {
  // Carriers reloaded every second and not probed: the SIPp carrier runs one script (test/README.md).
  const s = await startSwitchForBaresip({
    domain: DOMAIN,
    extensions: ["201", "202", "203", "204"].map((e) => [e, passwordOf(e)] as [string, string]),
    yaml: ["trunk:", "  probeSeconds: 0", "  reloadSeconds: 1"],
  });
  carrierPort = await freePort("127.0.0.2");
  await provision(s.sw.db, [
    ["group", "add", DOMAIN, "600", "--name", "Accueil", "--members", "202,203"],
    ["carrier", "add", "alpha", "--host", "127.0.0.2", "--port", String(carrierPort)],
    ["carrier", "route", "alpha", "33"],
    ["did", "add", DOMAIN, "+33123456781", "--group", "600", "--main"],
    ["did", "add", DOMAIN, "+33123456782", "--extension", "202"],
  ]).catch(async (err: unknown) => {
    await s.stop();
    throw err;
  });
  await sleep(1500); // the switch reloads carriers every second
  return s;
});

test.after.each(() => phones.stopAll());

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

const records = (db: string) => exportedRecords(db, DOMAIN);

/** The reception's two phones, ringing until someone accepts. */
async function reception(proxy: string) {
  const manual = { domain: DOMAIN, proxy, answermode: "manual" as const };
  const b = await phones.registered({ name: "B", tone: 2000, ext: "202", ...manual });
  const c = await phones.registered({ name: "C", tone: 3000, ext: "203", ...manual });
  return { b, c };
}

test("an extension's call to the reception group: the member who answers transfers it, the caller talks to the target", async () => {
  const { proxy, sw } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: TONE_A, ext: "201", domain: DOMAIN, proxy });
  const { b, c } = await reception(proxy);
  const d = await phones.registered({ name: "D", tone: TONE_D, ext: "204", domain: DOMAIN, proxy });
  await a.dial(`sip:600@${DOMAIN}`);
  await Promise.all([b.waitFor("CALL_INCOMING", 10_000), c.waitFor("CALL_INCOMING", 10_000)]);
  const accepted = await b.command("accept");
  assert.ok(accepted.ok, accepted.data);
  const [first] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    b.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  await c.waitFor("CALL_CLOSED", 5000);
  // The receptionist speaks to the caller first. (Also: baresip's sndfile names a recording by
  // the second the call's audio started; two calls of A within one second share one file.)
  await sleep(1500);

  const r = await b.command("transfer", `sip:204@${DOMAIN}`);
  assert.ok(r.ok, `transfer refused by baresip: ${r.data}`);
  const [up, rung] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    d.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(up.id, rung.id, "the caller and the target share one dialog");
  await b.waitFor("CALL_CLOSED", 10_000); // the sipfrag NOTIFY reached the receptionist
  await sleep(3000); // talk
  await hangUp(a, d);
  await sleep(300);
  assertHeardBothWays(a, TONE_A, d, TONE_D);

  assert.match(sw.logs(), /"event":"transfer-challenged".*"transferor":"202"/);
  const all = await records(sw.db);
  const original = all.find((x) => x.call_id === first.id);
  const transferred = all.find((x) => x.call_id === up.id);
  assert.ok(original && transferred, JSON.stringify(all));
  assert.equal([original.dialled, original.called], ["600", "202"], "the group call names who answered");
  assert.is(transferred.transferred_from, first.id);
  assert.is(transferred.extension, "202", "the transferred call is the receptionist's");
  assert.equal([transferred.direction, transferred.called], ["internal", "204"]);
});

// The record's `called`: a group call names the member who answered, a DID call its number.
for (const [did, via, called] of [
  ["0123456781", "the main number's group", "202"],
  ["0123456782", "202's own number", "+33123456782"],
] as const) {
  test(`an outside caller on ${via}: 202's transfer is checked as its own and carried out by the switch; the carrier sees no REFER, and 204's hang-up reaches it as a BYE`, async () => {
    const { proxy, sw } = await pbx.get();
    const { b } = await reception(proxy);
    const d = await phones.registered({ name: "D", tone: TONE_D, ext: "204", domain: DOMAIN, proxy });
    const carrier = runSipp({
      scenario: "carrier-inbound-transfer.xml",
      server: `${sw.address}:${sw.port}`,
      localIp: "127.0.0.2",
      localPort: carrierPort,
      timeoutMs: 25_000,
      extraArgs: ["-s", did],
    });
    const ringing = await b.waitFor("CALL_INCOMING", 10_000);
    const accepted = await b.command("accept");
    assert.ok(accepted.ok, accepted.data);
    await b.waitFor("CALL_ESTABLISHED", 10_000);
    await b.command("transfer", `sip:204@${DOMAIN}`);
    const rung = await d.waitFor("CALL_ESTABLISHED", 10_000);
    await b.waitFor("CALL_CLOSED", 10_000); // the NOTIFY said 200; 202's BYE went to the switch
    // Checked as the receptionist's transfer first: challenged, 202's credentials.
    assert.ok(
      await sw.waitForLog(
        new RegExp(`"event":"transfer-challenged".*"callId":"${ringing.id}".*"transferor":"202"`),
      ),
    );
    await sleep(500);
    await d.hangup();
    await d.waitFor("CALL_CLOSED", 5000);
    // The carrier got the switch's BYE (for 204's hang-up) and nothing else: no REFER, no BYE of 202's.
    const r = await carrier;
    assert.is(r.code, 0, `carrier: ${explain(r)}`);
    await sleep(300);
    const all = await records(sw.db);
    const rec = all.find((x) => x.call_id === ringing.id);
    assert.ok(rec, "no record of the outside call");
    assert.equal([rec.direction, rec.called, rec.disposition], ["inbound", called, "answered"]);
    const transferred = all.find((x) => x.call_id === rung.id);
    assert.ok(transferred, JSON.stringify(all));
    assert.equal(
      [transferred.transferred_from, transferred.extension, transferred.called],
      [ringing.id, "202", "204"],
    );
  });
}

test.run();
