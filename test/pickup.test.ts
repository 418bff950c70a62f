import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { lastRecord } from "./helpers/call-records.js";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { header, RawPhone } from "./helpers/raw-phone.js";
import { rawOffer, rawRequest } from "./helpers/raw-sip.js";
import { callerScenario } from "./helpers/scenarios.js";
import { phoneArgs, runSipp, type SippResult } from "./helpers/sipp.js";
import { createTenant } from "./helpers/store-tenant.js";

// Call pickup end to end (issue 18): callers and ringing phones are SIPp, a SIPp carrier on
// 127.0.0.2 rings the main number. The picker is a hand-written UA on UDP: it must receive a
// second call (another Call-ID) on the socket of the `*8` it is dialling and act on its
// Replaces, which one SIPp script cannot do. It plays the two kinds of phone the switch is built
// for: one supporting RFC 3891 (takes the call, CANCELs its own *8) and one that just answers
// the new call (auto-answer), after which the switch ends the *8 with 487.
const DOMAIN = "pbx.test";
const OTHER = "other.test";
const COMPLETED_ELSEWHERE = 'Reason: SIP;cause=200;text="Call completed elsewhere"';
let sw: RunningSwitch;
let phones: SippPhones;
const pickers: Picker[] = [];

/** A desk phone that dials a pickup code and takes the call it is offered. */
class Picker extends RawPhone {
  static async start(ext: string, domain = DOMAIN): Promise<Picker> {
    const o = { switchPort: sw.port, domain, rtpPort: 40_010 };
    const p = new Picker(ext, await RawPhone.socket(o), o);
    pickers.push(p);
    return p;
  }

  /** Dials a code; resolves with the first answer after the challenge (180, or a refusal). */
  async dial(code: string) {
    const localTag = randomBytes(4).toString("hex");
    const callId = `pick-${randomBytes(6).toString("hex")}`;
    const uri = `sip:${code}@${this.domain}`;
    const from = `${this.aor};tag=${localTag}`;
    const sent = await this.send(
      {
        method: "INVITE",
        uri,
        from,
        to: `<${uri}>`,
        callId,
        cseq: 1,
        headers: [`Contact: ${this.contact}`],
        body: rawOffer("127.0.0.1", this.rtpPort),
      },
      101,
    );
    return { ...sent, callId, localTag, uri, from };
  }

  /**
   * Dials `code` until it rings (180): the call to pick up may not ring yet when the caller's
   * SIPp has only just started. Each refusal (480, nothing ringing yet) is ACKed; bounded.
   */
  async pickUp(code: string, ms = 8000) {
    const end = Date.now() + ms;
    for (;;) {
      const star = await this.dial(code);
      if (star.res.status === 180) return star;
      this.ack(star.callId, star.cseq, star.from, star.res, star.uri);
      if (star.res.status !== 480 || Date.now() > end) throw new Error(`${code}: ${star.res.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** `from` dials `to` and talks `talkMs`; it accepts the 180 of each phone rung (the picker's too). */
function dial(from: string, to: string, talkMs = 1000, domain = DOMAIN): Promise<SippResult> {
  const scenario = callerScenario({ talkMs }).replace(
    '<recv response="180" optional="true"/>',
    '<recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>',
  );
  return runSipp({
    scenario,
    server: `127.0.0.1:${sw.port}`,
    timeoutMs: 30_000,
    extraArgs: phoneArgs({ service: to, user: from, domain, vars: { caller: from } }),
  });
}

async function cli(...args: string[]): Promise<string> {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-pickup-"));
  const config = join(dir, "centrex.yaml");
  // Carriers reloaded every second and not probed: the SIPp carrier runs one script per test.
  writeFileSync(config, "trunk:\n  probeSeconds: 0\n  reloadSeconds: 1\n");
  const db = await createTenant(DOMAIN, ["201", "202", "203", "204"]);
  // A second customer with the same extension numbers: none of its phones may reach Acme's calls.
  const store = openSqliteStore(db);
  try {
    const other = await store.customers.create({ name: "Other", domain: OTHER });
    for (const n of ["202", "203"]) {
      await store.extensions.create({ customerId: other.id, number: n, password: passwordOf(n) });
    }
  } finally {
    await store.close();
  }
  sw = await startSwitch({ db, args: ["--config", config], sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, DOMAIN);
  const carrierPort = await freePort("127.0.0.2");
  await cli("carrier", "add", "alpha", "--host", "127.0.0.2", "--port", String(carrierPort));
  await cli("carrier", "route", "alpha", "33");
  await cli("group", "add", DOMAIN, "600", "--name", "Accueil", "--members", "202,203");
  await cli("group", "add", OTHER, "600", "--name", "Other", "--members", "202,203");
  await cli("did", "add", DOMAIN, "+33123456781", "--group", "600", "--main");
  await new Promise((r) => setTimeout(r, 1500)); // the switch reloads carriers every second
});

test.after(async () => {
  for (const p of pickers) p.close();
  await sw?.stop();
});

/**
 * A busy lamp key (RFC 4235) of 204 on `watched`, expecting the states of the `lamp` list only
 * (blf-subscriber.xml's blocks for the others are cut out).
 */
function lampOn(watched: string, lamp: "ringing-then-idle" | "busy-then-idle"): Promise<SippResult> {
  const xml = readFileSync(join(import.meta.dirname, "sipp", "blf-subscriber.xml"), "utf8");
  const [from, to] =
    lamp === "ringing-then-idle" ? ["<!-- busy -->", "<!-- hung up"] : ["<!-- ringing -->", "<!-- busy -->"];
  const cut = xml.slice(0, xml.indexOf(from)) + xml.slice(xml.indexOf(to));
  const unused = lamp === "ringing-then-idle" ? "confirmed" : "early";
  return runSipp({
    scenario: cut.replace(/<Reference variables="[^"]*"\/>/, (ref) => ref.replace(`,${unused}`, "")),
    server: `127.0.0.1:${sw.port}`,
    extraArgs: phoneArgs({ service: watched, user: "204", domain: DOMAIN, vars: { user: "204" } }),
    timeoutMs: 30_000,
  });
}

test("*8: 203 takes 201's call ringing 202 (RFC 3891 phone: Replaces of its *8, which it CANCELs); 202 cancelled as completed elsewhere; lamps follow", async () => {
  const ringing = await phones.answer("202", { expectCancel: true, cancelReason: COMPLETED_ELSEWHERE });
  const picker = await Picker.start("203");
  await picker.register();
  const logsBefore = sw.logs().length;
  const lamp202 = lampOn("202", "ringing-then-idle");
  const lamp203 = lampOn("203", "busy-then-idle");
  for (
    let i = 0;
    i < 200 &&
    (
      sw
        .logs()
        .slice(logsBefore)
        .match(/"event":"subscribed"/g) ?? []
    ).length < 2;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const caller = dial("201", "202");
  const star = await picker.pickUp("*8");
  const offer = await picker.received("INVITE");
  // The new call is 201's, offered to the very phone that dialled, naming the *8 early dialog.
  assert.match(header(offer, "from")[0] ?? "", /sip:201@pbx\.test/);
  assert.is(
    header(offer, "replaces")[0],
    `${star.callId};to-tag=${star.localTag};from-tag=${star.res.toTag};early-only`,
  );
  assert.is(header(offer, "call-info")[0], "<sip:pbx.test>;answer-after=0");
  // What an RFC 3891 phone does: end its *8 (CANCEL), take the new call.
  picker.c.send(
    rawRequest(picker.c, {
      method: "CANCEL",
      uri: star.uri,
      from: star.from,
      to: `<${star.uri}>`,
      callId: star.callId,
      cseq: star.cseq,
      branch: star.branch,
    }),
  );
  assert.is((await picker.c.next(star.callId, `${star.cseq} CANCEL`)).status, 200);
  const ended = await picker.c.next(star.callId, `${star.cseq} INVITE`, 200);
  assert.is(ended.status, 487);
  picker.ack(star.callId, star.cseq, star.from, ended, star.uri);
  picker.answer(offer, 200, "OK");
  await picker.received("ACK");
  picker.answer(await picker.received("BYE"), 200, "OK");
  const r = await caller;
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await ringing.done).code, 0, `202 (cancelled, with the Reason): ${explain(await ringing.done)}`);
  assert.equal(await lastRecord(sw.db), {
    extension: "201",
    dialled: "202",
    called: "203",
    disposition: "answered",
    status: 200,
    direction: "internal",
  });
  assert.ok(await sw.waitForLog(/"event":"call-picked-up".*"picker":"203"/), sw.logs().slice(-3000));
  const [l202, l203] = await Promise.all([lamp202, lamp203]);
  assert.is(l202.code, 0, `202's lamp (ringing, then idle — never busy): ${explain(l202)}`);
  assert.is(l203.code, 0, `203's lamp (busy, then idle): ${explain(l203)}`);
  await picker.register(0);
});

test("**202: 204 (in no group) takes a call from the PSTN to the main number ringing 202; its *8 ends 487", async () => {
  const ringing = await phones.answer("202", { expectCancel: true, cancelReason: COMPLETED_ELSEWHERE });
  const picker = await Picker.start("204");
  await picker.register();
  const script = readFileSync(join(import.meta.dirname, "sipp", "carrier-inbound-uac.xml"), "utf8")
    .replace(
      '<recv response="180" optional="true"/>',
      '<recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>',
    )
    .replace('<pause milliseconds="300"/>', '<pause milliseconds="1000"/>');
  const inbound = runSipp({
    scenario: script,
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    timeoutMs: 20_000,
    extraArgs: ["-s", "0123456781"],
  });
  const star = await picker.pickUp("**202");
  const offer = await picker.received("INVITE");
  assert.match(header(offer, "from")[0] ?? "", /\+33987654321/);
  // A phone without Replaces that answers by itself: the switch ends the *8.
  picker.answer(offer, 200, "OK");
  const ended = await picker.c.next(star.callId, `${star.cseq} INVITE`, 200);
  assert.equal(
    [ended.status, ended.text.split("\r\n")[0]],
    [487, "SIP/2.0 487 Request Terminated - Call picked up"],
  );
  picker.ack(star.callId, star.cseq, star.from, ended, star.uri);
  await picker.received("ACK");
  picker.answer(await picker.received("BYE"), 200, "OK");
  const r = await inbound;
  assert.is(r.code, 0, `carrier: ${explain(r)}`);
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  const rec = await lastRecord(sw.db);
  assert.equal([rec.direction, rec.called, rec.disposition], ["inbound", "204", "answered"]);
  await picker.register(0);
});

test("nothing to pick up, unknown or own extension, no pickup group: a clear refusal, a Warning and a log line", async () => {
  const p203 = await Picker.start("203");
  const p204 = await Picker.start("204");
  const cases: [Picker, string, number, string][] = [
    [p203, "*8", 480, "Temporarily Unavailable - No call ringing in the pickup group"],
    [p203, "**202", 480, "Temporarily Unavailable - No call ringing for 202"],
    [p203, "**299", 404, "Not Found - No extension 299"],
    [p203, "**203", 403, "Forbidden - A call to oneself is answered, not picked up"],
    [p204, "*8", 403, "Forbidden - 204 is in no ring group"],
  ];
  const logsBefore = sw.logs().length;
  for (const [picker, code, status, reason] of cases) {
    const { res, cseq, callId, from, uri } = await picker.dial(code);
    assert.is(res.text.split("\r\n")[0], `SIP/2.0 ${status} ${reason}`, code);
    assert.match(res.header("warning") ?? "", /^399 centrex "Pickup: /, code);
    picker.ack(callId, cseq, from, res, uri);
  }
  // Logged as the refusal is sent: the line may reach the switch's output just after the answer.
  for (const line of [
    /"event":"pickup-nothing-ringing".*"picker":"203".*"status":480,"why":"No call ringing in the pickup group"/,
    /"event":"pickup-refused".*"picker":"204".*"status":403,"why":"204 is in no ring group"/,
  ]) {
    for (let i = 0; i < 100 && !line.test(sw.logs().slice(logsBefore)); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(sw.logs().slice(logsBefore), line);
  }
});

test("another customer's call is never reached: other.test's 203 gets 480/404 while Acme's 202 rings; Acme's 204 then picks it", async () => {
  const ringing = await phones.answer("202", { expectCancel: true, cancelReason: COMPLETED_ELSEWHERE });
  const logsBefore = sw.logs().length;
  const caller = dial("201", "600", 300); // Acme's group: only 202 is registered
  const rings = async () => /"event":"ring-group".*"ringing":\["202"\]/.test(sw.logs().slice(logsBefore));
  for (let i = 0; i < 100 && !(await rings()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(await rings(), sw.logs().slice(-3000));
  await new Promise((r) => setTimeout(r, 300)); // the group's fork is placed right after its log line
  const stranger = await Picker.start("203", OTHER);
  const cases: [string, number, string][] = [
    ["**202", 480, "Temporarily Unavailable - No call ringing for 202"],
    ["*8", 480, "Temporarily Unavailable - No call ringing in the pickup group"],
    ["**204", 404, "Not Found - No extension 204"],
  ];
  for (const [code, status, reason] of cases) {
    const { res, cseq, callId, from, uri } = await stranger.dial(code);
    assert.is(res.text.split("\r\n")[0], `SIP/2.0 ${status} ${reason}`, `${OTHER} ${code}`);
    stranger.ack(callId, cseq, from, res, uri);
  }
  // It was ringing all along: Acme's own 204 reaches it.
  const picker = await Picker.start("204");
  await picker.register();
  const star = await picker.pickUp("**202", 2000);
  const offer = await picker.received("INVITE");
  picker.answer(offer, 200, "OK");
  const ended = await picker.c.next(star.callId, `${star.cseq} INVITE`, 200);
  picker.ack(star.callId, star.cseq, star.from, ended, star.uri);
  await picker.received("ACK");
  picker.answer(await picker.received("BYE"), 200, "OK");
  const r = await caller;
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  const rec = await lastRecord(sw.db);
  assert.equal([rec.extension, rec.dialled, rec.called, rec.disposition], ["201", "600", "204", "answered"]);
  await picker.register(0);
});

test("worst timing: a second picker while the first one's phone rings gets nothing; the caller gives up then — the *8 ends 480, the call is the caller's cancelled call", async () => {
  const ringing = await phones.answer("202", { expectCancel: true });
  const first = await Picker.start("203");
  await first.register();
  const second = await Picker.start("204");
  // The caller cancels once two phones ring: 202, then the picker's.
  const scenario = callerScenario({ cancelOnRinging: true }).replace(
    '<recv response="180"/>',
    '<recv response="180"/>\n  <recv response="180"/>',
  );
  const caller = runSipp({
    scenario,
    server: `127.0.0.1:${sw.port}`,
    timeoutMs: 30_000,
    extraArgs: phoneArgs({ service: "202", user: "201", domain: DOMAIN, vars: { caller: "201" } }),
  });
  const star = await first.pickUp("*8");
  const offer = await first.received("INVITE");
  const taken = await second.dial("**202");
  assert.is(taken.res.text.split("\r\n")[0], "SIP/2.0 480 Temporarily Unavailable - No call ringing for 202");
  second.ack(taken.callId, taken.cseq, taken.from, taken.res, taken.uri);
  first.answer(offer, 180, "Ringing"); // the picker's phone rings: the caller gives up now
  const cancel = await first.received("CANCEL");
  assert.not.match(cancel, /Call completed elsewhere/);
  first.answer(cancel, 200, "OK");
  first.answer(offer, 487, "Request Terminated");
  await first.received("ACK");
  const ended = await first.c.next(star.callId, `${star.cseq} INVITE`, 200);
  assert.is(ended.text.split("\r\n")[0], "SIP/2.0 480 Temporarily Unavailable - Pickup failed (487)");
  first.ack(star.callId, star.cseq, star.from, ended, star.uri);
  const r = await caller;
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  const rec = await lastRecord(sw.db, "extension, called, disposition");
  assert.equal([rec.extension, rec.disposition], ["201", "cancelled"]);
  assert.ok(
    await sw.waitForLog(/"event":"pickup-failed".*"picker":"203".*"status":487/),
    sw.logs().slice(-3000),
  );
  await first.register(0);
});

test.run();
