import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { whyNotHeard } from "./helpers/audio.js";
import { type BaresipEvent, BaresipPhone } from "./helpers/baresip.js";
import {
  cliOk,
  commonFreePort,
  type PairNode,
  pairNode,
  type RunningNode,
  SERVICE,
  startPairNode,
  until,
  writePairConfig,
} from "./helpers/failover-dns.js";

// Issue 7, end to end: real desk phones (baresip) know the switch only by a DNS name. The
// primary dies (SIGKILL); the standby takes over and publishes itself under that name; the
// phones re-register there and call each other again, and nothing the primary had is lost.
//
// The phones ask the STANDBY's embedded DNS server: it names the primary while following it and
// itself from the takeover on, and it stays up when the primary dies. The outbound proxy carries
// the port (`sip:NAME:PORT`), so baresip resolves the A record only (no SRV: with SRV it would
// first wait 32 s on the dead primary); both nodes listen on that one port, each on its address.

const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
/** Asked by the phones; the registrar grants it, and baresip refreshes at rwait = 20 % of it (6 s). */
const REGINT = 30;

const nodes: RunningNode[] = [];
const phones: BaresipPhone[] = [];
let dir: string | undefined;

async function role(node: PairNode): Promise<string | undefined> {
  try {
    const r = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await r.json()) as { role?: string }).role;
  } catch {
    return undefined;
  }
}

/** `uanew` like BaresipPhone.register, plus `rwait` (refresh at 20 % of the granted expiry). */
async function addAccount(phone: BaresipPhone, ext: string, proxy: string): Promise<void> {
  const params = [
    `<sip:${ext}@${DOMAIN}>`,
    `auth_pass=secret-${ext}`,
    `outbound="${proxy}"`,
    "answermode=auto",
    `regint=${REGINT}`,
    "rwait=20",
    "audio_codecs=PCMU,PCMA",
  ].join(";");
  const r = await phone.command("uanew", params);
  assert.ok(r.ok, `${phone.name}: uanew refused: ${r.data}`);
}

function registeredSince(phone: BaresipPhone, since: number, ms: number): Promise<BaresipEvent> {
  return phone.waitFor("REGISTER_OK", ms, { since });
}

/** A calls B; both must reach CALL_ESTABLISHED on one dialog; A hangs up after `talkMs`. */
async function call(a: BaresipPhone, b: BaresipPhone, talkMs: number, timeoutMs = 10_000): Promise<string> {
  const fromA = a.events.length;
  const fromB = b.events.length;
  await a.dial(`sip:202@${DOMAIN}`);
  const [upA, upB] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", timeoutMs, { since: fromA }),
    b.waitFor("CALL_ESTABLISHED", timeoutMs, { since: fromB }),
  ]);
  assert.is(upA.direction, "outgoing");
  assert.is(upB.direction, "incoming");
  assert.is(upA.id, upB.id, "both ends of one dialog");
  await new Promise((r) => setTimeout(r, talkMs));
  await a.hangup();
  await Promise.all([
    a.waitFor("CALL_CLOSED", 5000, { since: fromA }),
    b.waitFor("CALL_CLOSED", 5000, { since: fromB }),
  ]);
  return String(upA.id);
}

async function extensionBindings(db: string): Promise<Map<string, number>> {
  const out = await cliOk("extension", "list", DOMAIN, "--db", db);
  const m = new Map<string, number>();
  for (const [, ext, n] of out.matchAll(/^(\d+)\t\S+\t(\d+) registered/gm)) m.set(String(ext), Number(n));
  return m;
}

test.after(async () => {
  await Promise.all(phones.map((p) => p.stop()));
  await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test("phones following the DNS name: primary SIGKILLed, standby takes over, calls resume, nothing lost", async () => {
  dir = mkdtempSync(join(tmpdir(), "centrex-failover-dns-"));
  const sipPort = await commonFreePort(["127.0.0.2", "127.0.0.3"]);
  const a = await pairNode(dir, "node-a", "127.0.0.2", sipPort);
  const b = await pairNode(dir, "node-b", "127.0.0.3", sipPort);
  writePairConfig(dir, a, b);
  writePairConfig(dir, b, a);

  // ---- the pair: A primary, B following it
  const nodeA = startPairNode(a, "primary");
  nodes.push(nodeA);
  await until(async () => (await role(a)) === "primary", 20_000, `A primary:\n${nodeA.logs()}`, 100);
  const nodeB = startPairNode(b, "standby");
  nodes.push(nodeB);
  await until(async () => (await role(b)) === "standby", 20_000, `B standby:\n${nodeB.logs()}`, 100);

  // ---- 1. tenant data created on the primary, replicated to the standby
  await cliOk("customer", "add", "Acme", "--domain", DOMAIN, "--db", a.db);
  for (const ext of ["201", "202"]) {
    await cliOk("extension", "add", DOMAIN, ext, "--password", `secret-${ext}`, "--db", a.db);
  }
  await until(
    async () => (await extensionBindings(b.db).catch(() => new Map())).size === 2,
    15_000,
    "the extensions replicated to B",
    200,
  );

  // ---- 2. two phones, by name, through B's DNS server; they register on A and call
  const proxy = `sip:${SERVICE}:${sipPort}`;
  const dnsServer = `${b.address}:${b.dnsPort}`;
  const pa = await BaresipPhone.start({ name: "A", tone: TONE_A, dnsServer, maxLifetimeSeconds: 150 });
  phones.push(pa);
  const pb = await BaresipPhone.start({ name: "B", tone: TONE_B, dnsServer, maxLifetimeSeconds: 150 });
  phones.push(pb);
  // Registered together, so both refresh in step (every 6 s).
  await Promise.all([addAccount(pa, "201", proxy), addAccount(pb, "202", proxy)]);
  const [regA, regB] = await Promise.all([registeredSince(pa, 0, 10_000), registeredSince(pb, 0, 10_000)]);
  assert.is(regA.type, "REGISTER_OK");
  assert.is(regB.type, "REGISTER_OK");
  assert.equal(
    Object.fromEntries(await extensionBindings(a.db)),
    { "201": 1, "202": 1 },
    "bound on the primary",
  );
  const firstCall = await call(pa, pb, 2500);
  assert.ok(whyNotHeard(pa.recordedWav(), TONE_B, TONE_A) === undefined, "A hears B on the primary");
  assert.ok(whyNotHeard(pb.recordedWav(), TONE_A, TONE_B) === undefined, "B hears A on the primary");
  // The first call's record reaches the standby before the primary dies.
  await until(
    async () =>
      (
        await cliOk("cdr", "verify", "--db", b.db, "--key", `${a.db}.ledger-key.pem`, "--node", "node-a")
      ).includes("1 records"),
    10_000,
    "the first call's record replicated to B",
    200,
  );

  // ---- 3. kill -9 the primary just after both phones refreshed: the next refresh is ~6 s away,
  // by when B is primary and its DNS names itself.
  const fromA = pa.events.length;
  const fromB = pb.events.length;
  await Promise.all([registeredSince(pa, fromA, 10_000), registeredSince(pb, fromB, 10_000)]);
  const killedAt = Date.now();
  await nodeA.stop("SIGKILL");
  await until(async () => (await role(b)) === "primary", 10_000, `B takes over:\n${nodeB.logs()}`);
  const takeoverMs = Date.now() - killedAt;
  const afterKillA = pa.events.length;
  const afterKillB = pb.events.length;
  await Promise.all([registeredSince(pa, afterKillA, 45_000), registeredSince(pb, afterKillB, 45_000)]);
  const registeredMs = Date.now() - killedAt;
  const secondCall = await call(pa, pb, 2500);
  const callMs = Date.now() - killedAt - 2500; // the established moment, not the hangup
  console.log(
    `  kill -9 of the primary -> standby primary ${takeoverMs} ms, both phones re-registered ${registeredMs} ms, ` +
      `first call established through the standby ~${callMs} ms`,
  );
  assert.ok(callMs < 60_000, `failover took ${callMs} ms`);
  assert.ok(whyNotHeard(pa.recordedWav(), TONE_B, TONE_A) === undefined, "A hears B on the standby");
  assert.ok(whyNotHeard(pb.recordedWav(), TONE_A, TONE_B) === undefined, "B hears A on the standby");

  // ---- 4. nothing lost: customer, extensions, bindings, and the first call's record on B
  const customers = await cliOk("customer", "list", "--db", b.db);
  assert.match(customers, DOMAIN);
  assert.equal(Object.fromEntries(await extensionBindings(b.db)), { "201": 1, "202": 1 }, "bound on B");
  const today = new Date().toISOString().slice(0, 10);
  const cdrs = await cliOk(
    "cdr",
    "export",
    "--customer",
    DOMAIN,
    "--from",
    today,
    "--to",
    today,
    "--format",
    "json",
    "--db",
    b.db,
  );
  assert.ok(cdrs.includes(firstCall), `the first call (${firstCall}) is in B's records:\n${cdrs}`);
  assert.ok(cdrs.includes(secondCall), `the second call (${secondCall}) is in B's records:\n${cdrs}`);
  // A's chain, as replicated, still verifies with A's key; B's own chain with B's.
  const chainA = await cliOk(
    "cdr",
    "verify",
    "--db",
    b.db,
    "--key",
    `${a.db}.ledger-key.pem`,
    "--node",
    "node-a",
  );
  assert.match(chainA, /node-a\t1 records\t.*\tok/);
  const chainB = await cliOk("cdr", "verify", "--db", b.db, "--node", "node-b");
  assert.match(chainB, /node-b\t1 records\t.*\tok/);
});

test.run();
