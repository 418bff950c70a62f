import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Phones, sleep } from "./helpers/baresip-calls.js";
import { adminUrl, provision, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { freePort } from "./helpers/ports.js";
import { writeRtpCapture } from "./helpers/rtp-pcap.js";
import { runSipp, SCENARIOS } from "./helpers/sipp.js";

// What the operator sees and does about calls, end to end with real peers:
// - hanging up a call that is still ringing (baresip calls baresip, which lets it ring): the
//   caller gets 487, the ringing phone a CANCEL (and no BYE), the record ends "operator";
// - /metrics: the carrier's state, and a ban made by hand (API) counted while it lasts and
//   shown in the console's state;
// - loss per carrier (the console's chart, GET /console/state): a baresip phone calls the
//   PSTN through a SIPp carrier that plays an RTP stream with sequence numbers left out
//   (test/helpers/rtp-pcap.ts); the carrier's totals count that call and every packet it sent.
//   With the defaults (media.kernel auto) the kernel forwards the stream once both ends are
//   latched, so the relay reads the sequence numbers of the first packets only: the totals
//   say over how many packets loss was measured. A second switch with media.kernel off (the
//   setting under test) reads them all: its totals count exactly the packets left out, on an
//   outbound call (the callee's leg) and on the carrier's inbound call to a number (the
//   caller's leg; the record names the carrier the call came from).
// Overrides (test/README.md): admin.port 0 and a token (the API is off without one); the
// relay's port range (as in every baresip test); trunk.probeSeconds 0 and reloadSeconds 1
// (the SIPp carrier runs one script and cannot answer OPTIONS; the carrier added by the CLI
// is picked up in 1 s); media.kernel off on the second switch only.
const DOMAIN = "acme.test";
const TOKEN = "operator-calls-token-5c1e7a90";
const dir = mkdtempSync(join(tmpdir(), "centrex-operator-calls-"));
const phones = new Phones();

interface Node {
  readonly sw: RunningSwitch;
  readonly api: string;
  readonly carrierPort: number;
  /** The relay forwards every packet itself (media.kernel off). */
  readonly userspace: boolean;
}
const nodes = new Map<string, Promise<Node>>();

/** A switch with customer Acme (201, 202, a main number) and carrier alpha on 127.0.0.2; started once per kind. */
function up(kind: "defaults" | "kernel-off" = "defaults"): Promise<Node> {
  let n = nodes.get(kind);
  if (n === undefined) {
    n = start(kind === "kernel-off");
    nodes.set(kind, n);
  }
  return n;
}

async function start(userspace: boolean): Promise<Node> {
  const relayBase = (await freePort()) & ~1;
  const config = join(dir, `centrex-${userspace ? "userspace" : "defaults"}.yaml`);
  writeFileSync(
    config,
    [
      "admin:",
      "  port: 0",
      "  tokens:",
      `    - { name: ops, token: ${TOKEN} }`,
      "media:",
      `  portMin: ${relayBase}`,
      `  portMax: ${Math.min(relayBase + 99, 65535)}`,
      ...(userspace ? ["  kernel: off"] : []),
      "trunk:",
      "  probeSeconds: 0",
      "  reloadSeconds: 1",
      "",
    ].join("\n"),
  );
  const sw = await startSwitch({ args: ["--config", config, "--log-level", "info"] });
  const carrierPort = await freePort("127.0.0.2");
  await provision(sw.db, [
    ["customer", "add", "Acme", "--domain", DOMAIN],
    ["extension", "add", DOMAIN, "201", "--password", passwordOf("201")],
    ["extension", "add", DOMAIN, "202", "--password", passwordOf("202")],
    ["did", "add", DOMAIN, "+33123456780", "--main", "--extension", "201"],
    ["carrier", "add", "alpha", "--host", "127.0.0.2", "--port", String(carrierPort), "--format", "national"],
    ["carrier", "route", "alpha", "33"],
  ]);
  await sleep(1500); // the switch reloads carriers every second
  return { sw, api: adminUrl(sw), carrierPort, userspace };
}

test.after(async () => {
  await phones.stopAll();
  for (const n of nodes.values()) await (await n.catch(() => undefined))?.sw.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  n: Node,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${n.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** One series of the switch's /metrics (no token), e.g. `centrex_bans`. */
async function metric(n: Node, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${n.api}/metrics`)).text();
  for (const line of text.split("\n"))
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

interface CarrierMedia {
  calls: number;
  packets: number;
  lost: number;
  measured: number;
}
interface State {
  calls: Array<{ callId: string; caller: string; dialled: string; answered: boolean; carrier?: string }>;
  carriers: Array<{ name: string; media?: CarrierMedia }>;
}
const state = async (n: Node): Promise<State> => (await call(n, "GET", "/console/state")).body as State;

/** Polls the live state until `pick` finds something (the view follows call events). */
async function until<T>(n: Node, what: string, pick: (s: State) => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await state(n);
    const found = pick(s);
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`${what}: not in /console/state after ${ms} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

/**
 * Waits for a request line in a baresip phone's SIP trace (its stdout and stderr reach the
 * test through pipes, possibly after the control socket's event about the same message).
 */
async function traced(phone: { output(): string }, line: RegExp, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!line.test(phone.output())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Today's call record of one call, from the operator's search (a phone reports its call closed
 * as it sends its BYE; the record is written before the switch answers that BYE).
 */
async function recordOf(n: Node, callId: string, ms = 5000): Promise<Record<string, unknown>> {
  const day = new Date().toISOString().slice(0, 10);
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await call(n, "GET", `/cdrs/search?from=${day}&to=${day}`);
    assert.is(r.status, 200, JSON.stringify(r.body));
    const recs = (r.body as { records: Array<Record<string, unknown>> }).records.filter(
      (x) => x.call_id === callId,
    );
    if (recs.length === 1) return recs[0]!;
    assert.is(recs.length, 0, `one record for ${callId}: ${JSON.stringify(r.body)}`);
    if (Date.now() > deadline) assert.unreachable(`no record for ${callId}: ${JSON.stringify(r.body)}`);
    await sleep(100);
  }
}

test("the operator hangs up a ringing call: the caller gets 487, the ringing phone a CANCEL, the record says operator", async () => {
  const n = await up();
  const proxy = `sip:${n.sw.address}:${n.sw.port};transport=udp`;
  const a = await phones.registered({ name: "A", tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B",
    tone: 2000,
    ext: "202",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  await a.dial(`sip:202@${DOMAIN}`);
  const [ringing, incoming] = await Promise.all([
    a.waitFor("CALL_RINGING", 10_000),
    b.waitFor("CALL_INCOMING", 10_000),
  ]);
  const callId = ringing.id!;
  assert.is(incoming.id, callId, "the ringing phone has the caller's call");
  const live = await until(n, "the ringing call", (st) => st.calls.find((c) => c.callId === callId));
  assert.is(live.answered, false, "listed as ringing");

  const r = await call(n, "POST", `/calls/${encodeURIComponent(callId)}/hangup`);
  assert.equal(r, { status: 200, body: { callId, outcome: "cancelled" } });
  const [callerEnd, calleeEnd] = await Promise.all([
    a.waitFor("CALL_CLOSED", 5000),
    b.waitFor("CALL_CLOSED", 5000),
  ]);
  // baresip's words: the caller's INVITE got a final 487; the ringing phone's session was
  // closed by the other side (ECONNRESET, as for a BYE) — its SIP trace shows it was a CANCEL
  // for its INVITE, answered 487, and no BYE (there was no dialog to end).
  assert.match(callerEnd.param ?? "", /^487 Request Terminated/, JSON.stringify(callerEnd));
  assert.is(calleeEnd.param, "Connection reset by peer", JSON.stringify(calleeEnd));
  assert.ok(
    await traced(b, /^CANCEL sip:202-\S+ SIP\/2\.0\r$/m),
    `B got no CANCEL:\n${b.output().slice(-3000)}`,
  );
  assert.ok(await traced(b, /^SIP\/2\.0 487 Request Terminated\r$/m), "B answered its INVITE 487");
  assert.not.match(b.output(), /^BYE sip:/m, "no BYE: there was no dialog to end");
  assert.not.ok(
    a.events.some((e) => e.type === "CALL_ESTABLISHED" || (e.type === "CALL_CLOSED" && e !== callerEnd)),
    "nothing else happened to the caller's call",
  );
  await until(n, "the call gone", (st) => (st.calls.some((c) => c.callId === callId) ? undefined : true));

  const rec = await recordOf(n, callId);
  assert.is(rec.caller, "201");
  assert.is(rec.dialled, "202");
  assert.is(rec.disposition, "cancelled", JSON.stringify(rec));
  assert.is(rec.reason, "operator", JSON.stringify(rec));
  assert.is(rec.answered_at, "", "never answered");
  const audit = (await call(n, "GET", `/audit?customer=${DOMAIN}&limit=10`)).body as Array<{
    actor: string;
    action: string;
  }>;
  assert.ok(
    audit.some((e) => e.action === "call.hangup" && e.actor === "api:ops"),
    JSON.stringify(audit),
  );
  assert.ok(await n.sw.waitForLog(/"event":"call-hung-up".*"outcome":"cancelled"/), "the hang-up logged");
});

test("metrics and console: the carrier's state, and a ban by hand counted while it lasts", async () => {
  const n = await up();
  assert.is(await metric(n, 'centrex_carrier_up{carrier="alpha"}'), 1, "not probed, not demoted: up");
  assert.is(await metric(n, "centrex_bans"), 0);
  const ban = await call(n, "POST", "/security/bans/127.0.0.99", { minutes: 5 });
  assert.is(ban.status, 201, JSON.stringify(ban.body));
  assert.is(await metric(n, "centrex_bans"), 1);
  const seen = await until(n, "the ban", (st) =>
    (st as unknown as { bans: Array<{ address: string }> }).bans.find((b) => b.address === "127.0.0.99"),
  );
  assert.ok(seen, "the console's alerts list it");
  assert.equal(await call(n, "DELETE", "/security/bans/127.0.0.99"), { status: 200, body: { cleared: 1 } });
  assert.is(await metric(n, "centrex_bans"), 0);
});

/**
 * Phone 201 calls a national number; carrier alpha (SIPp) answers and plays 150 sequence
 * numbers (3 s of PCMU) with every 13th left out; the phone hangs up once it has played.
 * Returns the carrier's totals from the live state once the call is counted.
 */
async function carrierCall(
  n: Node,
  phone: string,
): Promise<{ media: CarrierMedia; sent: number; missing: number }> {
  const proxy = `sip:${n.sw.address}:${n.sw.port};transport=udp`;
  const a = await phones.registered({ name: phone, tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const before = await until(n, "carrier alpha", (st) => st.carriers.find((c) => c.name === "alpha"));
  assert.equal(before.media, { calls: 0, packets: 0, lost: 0, measured: 0 });

  const pcap = join(dir, `carrier-stream-${phone}.pcap`);
  const stream = writeRtpCapture(pcap, {
    count: 150,
    firstSeq: 31_000,
    ssrc: 0x5eed0001,
    lost: (i) => i % 13 === 0,
  });
  const scenario = readFileSync(join(SCENARIOS, "carrier-answer.xml"), "utf8").replace(
    '<recv request="ACK"/>',
    `<recv request="ACK"/><nop><action><exec play_pcap_audio="${pcap}"/></action></nop>`,
  );
  const carrier = runSipp({
    scenario,
    server: `127.0.0.1:${n.sw.port}`,
    localIp: "127.0.0.2",
    localPort: n.carrierPort,
    extraArgs: ["-mi", "127.0.0.2", "-mp", String((await freePort("127.0.0.2")) & ~1)],
    timeoutMs: 20_000,
  });
  await sleep(1000); // let SIPp bind before the call comes
  await a.dial(`sip:0123456789@${DOMAIN}`);
  const answered = await a.waitFor("CALL_ESTABLISHED", 10_000);
  const live = await until(n, "the carrier call", (st) => st.calls.find((c) => c.callId === answered.id));
  assert.is(live.carrier, "alpha", "the live call names the carrier that answered");
  await sleep(stream.durationMs + 1000); // the whole stream played, and a margin
  await a.hangup();
  await a.waitFor("CALL_CLOSED", 5000);
  const done = await carrier;
  assert.is(done.code, 0, `carrier: ${done.stderr}\n${done.errors}`);
  const rec = await recordOf(n, answered.id!);
  assert.is(rec.carrier, "alpha", JSON.stringify(rec));

  const after = await until(n, "alpha's tally", (st) => {
    const c = st.carriers.find((x) => x.name === "alpha");
    return c?.media !== undefined && c.media.calls === 1 ? c.media : undefined;
  });
  return { media: after, sent: stream.sent, missing: stream.missing };
}

test("loss per carrier, defaults: every packet of the carrier's stream counted, loss over what the relay read", async () => {
  const n = await up();
  const { media, sent, missing } = await carrierCall(n, "A2");
  const kernel = /kernel forwarding on/.test(n.sw.logs());
  const why = `${JSON.stringify(media)}; kernel forwarding ${kernel ? "on" : "off"}; ${sent} sent, ${missing} left out`;
  assert.is(media.calls, 1, why);
  assert.is(media.packets, sent, why);
  // What the relay read itself: a span of sequence numbers from the first packet on, and the
  // gaps in it (the stream leaves one out every 13 from the 14th).
  assert.ok(media.measured >= 1 && media.measured <= sent + missing, why);
  assert.is(media.lost, Math.floor((media.measured - 1) / 13), why);
  if (kernel) assert.ok(media.measured < sent, `the kernel forwarded most of the stream: ${why}`);
  else assert.is(media.measured, sent + missing, why);
});

test("loss per carrier, media.kernel off: exactly the packets the carrier left out", async () => {
  const n = await up("kernel-off");
  const { media, sent, missing } = await carrierCall(n, "A3");
  assert.equal(media, { calls: 1, packets: sent, lost: missing, measured: sent + missing });
});

test("loss per carrier, inbound (media.kernel off): the carrier's call to a number is its own, the caller's leg", async () => {
  const n = await up("kernel-off");
  // A3 (extension 201, auto-answer) is still registered from the test before; the main number rings it.
  const pcap = join(dir, "carrier-inbound-stream.pcap");
  const stream = writeRtpCapture(pcap, {
    count: 100,
    firstSeq: 7000,
    ssrc: 0x5eed0002,
    lost: (i) => i % 9 === 0,
  });
  const scenario = readFileSync(join(SCENARIOS, "carrier-inbound-uac.xml"), "utf8").replace(
    '<pause milliseconds="300"/>',
    `<nop><action><exec play_pcap_audio="${pcap}"/></action></nop><pause milliseconds="${stream.durationMs + 1000}"/>`,
  );
  const inbound = await runSipp({
    scenario,
    server: `127.0.0.1:${n.sw.port}`,
    localIp: "127.0.0.2",
    localPort: n.carrierPort,
    extraArgs: ["-s", "+33123456780", "-mi", "127.0.0.2", "-mp", String((await freePort("127.0.0.2")) & ~1)],
    timeoutMs: 20_000,
  });
  assert.is(inbound.code, 0, `carrier: ${inbound.stderr}\n${inbound.errors}`);
  const media = await until(n, "alpha's tally", (st) => {
    const c = st.carriers.find((x) => x.name === "alpha");
    return c?.media !== undefined && c.media.calls === 2 ? c.media : undefined;
  });
  // The outbound call of the test before (150 sequence numbers, 11 left out), then this one.
  assert.equal(media, {
    calls: 2,
    packets: 139 + stream.sent,
    lost: 11 + stream.missing,
    measured: 150 + stream.sent + stream.missing,
  });
  const day = new Date().toISOString().slice(0, 10);
  const r = await call(n, "GET", `/cdrs/search?from=${day}&to=${day}&caller=33987654321`);
  const recs = (r.body as { records: Array<Record<string, unknown>> }).records;
  assert.is(recs.length, 1, JSON.stringify(r.body));
  assert.is(recs[0]!.direction, "inbound");
  assert.is(recs[0]!.carrier, "alpha", "the record names the carrier the call came from");
});

test.run();
