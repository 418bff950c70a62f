// The failover worst case, end to end, run INSIDE the phones' network namespace by
// test/failover-worst-case.test.ts (which creates the namespaces and deletes them). Exits 0
// when every assertion held; prints the measured figures as `FIGURE name ms` lines.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { type BaresipEvent, BaresipPhone } from "./baresip.js";
import { ROOT } from "./centrex.js";
import { cliOk, until } from "./failover-dns.js";
import { macOf, neighbourMac } from "./failover-netns.js";
import { passwordOf } from "./passwords.js";
import { runSipp } from "./sipp.js";

const [dir = "", nsPhones = "", nsA = "", nsB = ""] = process.argv.slice(2);
const BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");
const ZONE = "operator.test";
const SERVICE = `sip.${ZONE}`;
const DOMAIN = "pbx.test";
const VIP4 = "10.99.0.10";
const VIP6 = "fd99::10";
const SECRET = "worst-case-pair-secret-0123456789";
/**
 * The phones ask baresip's default expiry (3600 s); a paired registrar grants at most
 * `failover.registrationExpiry` (default 120 s), and `rwait=5` makes them refresh at 5 % of
 * that: every 6 s, the cadence of the measurement. A phone-side setting: the switch
 * runs its defaults.
 */
const REFRESH_MS = 6000;
/** The carrier: its own address on the phones' LAN, known to the switch by it (`carrier add`). */
const CARRIER = { address: "10.99.0.4", port: 5070, did: "+33123456785" };
const NODES = {
  "node-a": { ns: nsA, address: "10.99.0.2", priority: 10 },
  "node-b": { ns: nsB, address: "10.99.0.3", priority: 20 },
} as const;
type NodeName = keyof typeof NODES;

const children: ChildProcess[] = [];
const phones: BaresipPhone[] = [];

function figure(name: string, ms: number): void {
  process.stdout.write(`FIGURE ${name} ${ms}\n`);
}

function writeConfig(self: NodeName): string {
  const peer: NodeName = self === "node-a" ? "node-b" : "node-a";
  const own = NODES[self];
  const file = join(dir, `${self}.json`);
  const config = {
    node: { name: self },
    // UDP only, as the pair of the measurement: NAPTR/SRV must then offer UDP alone.
    // On the wildcard address, Via/Record-Route default to the service address (the active
    // node holds it); media to the node's own address.
    sip: { listen: [{ transport: "udp", address: "0.0.0.0", port: 5060 }] },
    store: { path: join(dir, `${self}.db`) },
    failover: {
      role: "standby",
      secret: SECRET,
      replication: { address: own.address },
      health: { address: own.address },
      peer: { name: peer, host: NODES[peer].address },
      serviceAddress: { ipv4: `${VIP4}/24`, ipv6: `${VIP6}/64` },
      dns: {
        zone: ZONE,
        serviceName: SERVICE,
        self,
        nodes: (Object.keys(NODES) as NodeName[]).map((n) => ({
          name: n,
          ipv4: NODES[n].address,
          priority: NODES[n].priority,
        })),
        embedded: { address: own.address, port: 53 },
      },
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function startNode(self: NodeName, role: "primary" | "standby"): ChildProcess & { logs: () => string } {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      NODES[self].ns,
      process.execPath,
      BIN,
      "start",
      "--config",
      writeConfig(self),
      "--role",
      role,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  children.push(child);
  return Object.assign(child, { logs: () => out });
}

async function role(self: NodeName): Promise<unknown> {
  try {
    const r = await fetch(`http://${NODES[self].address}:7071/health`, { signal: AbortSignal.timeout(1000) });
    return ((await r.json()) as { role?: unknown }).role;
  } catch {
    return undefined;
  }
}

async function addAccount(phone: BaresipPhone, ext: string, outbound: string): Promise<void> {
  const params = [
    `<sip:${ext}@${DOMAIN}>`,
    `auth_pass=${passwordOf(ext)}`,
    `outbound="${outbound}"`,
    "answermode=auto",
    "rwait=5",
    "audio_codecs=PCMU,PCMA",
  ].join(";");
  const r = await phone.command("uanew", params);
  assert.ok(r.ok, `${phone.name}: uanew refused: ${r.data}`);
}

const nextOk = (p: BaresipPhone, since: number, ms: number): Promise<BaresipEvent> =>
  p.waitFor("REGISTER_OK", ms, { since });

/** `from` calls `to`; resolves when both ends are up, with the time that took; then hangs up. */
async function call(from: BaresipPhone, to: BaresipPhone, ext: string, timeoutMs: number): Promise<void> {
  const a = from.events.length;
  const b = to.events.length;
  await from.dial(`sip:${ext}@${DOMAIN}`);
  const [upA, upB] = await Promise.all([
    from.waitFor("CALL_ESTABLISHED", timeoutMs, { since: a }),
    to.waitFor("CALL_ESTABLISHED", timeoutMs, { since: b }),
  ]);
  assert.is(upA.id, upB.id, "both ends of one dialog");
  await from.hangup();
  await Promise.all([
    from.waitFor("CALL_CLOSED", 5000, { since: a }),
    to.waitFor("CALL_CLOSED", 5000, { since: b }),
  ]);
}

/** Sends one datagram to `address` so the phones' neighbour table has an entry for it. */
function touch(address: string): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket(address.includes(":") ? "udp6" : "udp4");
    s.send("x", 9, address, () => setTimeout(() => s.close(() => resolve()), 200));
  });
}

/** The time between the phone's last two REGISTER_OKs. */
function refreshPeriod(p: BaresipPhone): number {
  const oks = p.events.filter((e) => e.type === "REGISTER_OK");
  const [a, b] = oks.slice(-2);
  return (b?.receivedAt ?? Number.NaN) - (a?.receivedAt ?? Number.NaN);
}

/**
 * A carrier's inbound call to 205's DID (test/sipp/carrier-inbound-uac.xml: INVITE, ACK, BYE
 * after 300 ms), addressed by the service name: `_sip._udp` SRV, then the target's A record,
 * from the pair's DNS — SIPp cannot ask a DNS server of our choosing, so the lookup is done here,
 * as a carrier without a cache does it, right before its INVITE.
 */
async function carrierCall(
  dnsServer: string,
): Promise<{ code: number | null; errors: string; addresses: string[] }> {
  const r = new Resolver({ timeout: 500, tries: 2 });
  r.setServers([dnsServer]);
  const [srv] = (await r.resolveSrv(`_sip._udp.${SERVICE}`)).sort((x, y) => x.priority - y.priority);
  if (srv === undefined) throw new Error(`no _sip._udp SRV for ${SERVICE}`);
  const addresses = await r.resolve4(srv.name);
  const sipp = await runSipp({
    scenario: "carrier-inbound-uac.xml",
    server: `${addresses[0]}:${srv.port}`,
    localIp: CARRIER.address,
    localPort: CARRIER.port,
    extraArgs: ["-s", CARRIER.did],
    timeoutMs: 15_000,
  });
  return { code: sipp.code, errors: sipp.errors, addresses };
}

const t0 = Date.now();
const step = (what: string): void => void process.stdout.write(`STEP ${Date.now() - t0} ms ${what}\n`);

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const nodeA = startNode("node-a", "primary");
  await until(async () => (await role("node-a")) === "primary", 20_000, `A primary:\n${nodeA.logs()}`, 100);
  const nodeB = startNode("node-b", "standby");
  await until(async () => (await role("node-b")) === "standby", 20_000, `B standby:\n${nodeB.logs()}`, 100);

  step("pair up");
  const dbA = join(dir, "node-a.db");
  const dbB = join(dir, "node-b.db");
  await cliOk("customer", "add", "Acme", "--domain", DOMAIN, "--db", dbA);
  await Promise.all(
    ["201", "202", "203", "204", "205", "206", "207"].map((ext) =>
      cliOk("extension", "add", DOMAIN, ext, "--password", passwordOf(ext), "--db", dbA),
    ),
  );
  await cliOk(
    "carrier",
    "add",
    "pstn",
    "--host",
    CARRIER.address,
    "--port",
    String(CARRIER.port),
    "--db",
    dbA,
  );
  await cliOk("did", "add", DOMAIN, CARRIER.did, "--extension", "205", "--db", dbA);
  await until(
    async () => (await cliOk("did", "list", DOMAIN, "--db", dbB).catch(() => "")).includes(CARRIER.did),
    15_000,
    "the carrier's DID replicated to B",
    200,
  );
  await until(
    async () => (await cliOk("extension", "list", DOMAIN, "--db", dbB).catch(() => "")).includes("207"),
    15_000,
    "the extensions replicated to B",
    200,
  );

  step("provisioned and replicated");
  // Three ways to name the server, one phone each; 204 and 205 like 203, registered 3 s and
  // 4.5 s later (so they have not refreshed yet when the calls to them come).
  const ways: [string, string][] = [
    ["201", `sip:${SERVICE}`], // NAPTR, then SRV, then A
    ["202", `sip:${SERVICE};transport=udp`], // _sip._udp SRV, then A
    ["203", `sip:${SERVICE}:5060`], // A only
  ];
  const dnsServer = `${NODES["node-b"].address}:53`;
  // 206 and 207 (A only) are in a call through A when it dies.
  for (const [ext] of [...ways, ["204"], ["205"], ["206"], ["207"]]) {
    const p = await BaresipPhone.start({
      name: ext,
      tone: 1000,
      address: "10.99.0.1",
      dnsServer,
      maxLifetimeSeconds: 150,
    });
    phones.push(p);
  }
  const [p201, p202, p203, p204, p205, p206, p207] = phones as [
    BaresipPhone,
    BaresipPhone,
    BaresipPhone,
    BaresipPhone,
    BaresipPhone,
    BaresipPhone,
    BaresipPhone,
  ];
  await Promise.all(ways.map(([ext, outbound], i) => addAccount(phones[i] as BaresipPhone, ext, outbound)));
  await Promise.all([nextOk(p201, 0, 15_000), nextOk(p202, 0, 15_000), nextOk(p203, 0, 15_000)]);
  await new Promise((r) => setTimeout(r, 3000));
  await addAccount(p204, "204", `sip:${SERVICE}:5060`);
  await nextOk(p204, 0, 15_000);
  await new Promise((r) => setTimeout(r, 1500));
  await Promise.all([
    addAccount(p205, "205", `sip:${SERVICE}:5060`),
    addAccount(p206, "206", `sip:${SERVICE}:5060`),
    addAccount(p207, "207", `sip:${SERVICE}:5060`),
  ]);
  await Promise.all([nextOk(p205, 0, 15_000), nextOk(p206, 0, 15_000), nextOk(p207, 0, 15_000)]);
  step("phones registered");
  await call(p201, p202, "202", 10_000);
  step("first call done");
  // A call that stays up through the kill.
  const up206 = p206.events.length;
  const up207 = p207.events.length;
  await p206.dial(`sip:207@${DOMAIN}`);
  const [callUp] = await Promise.all([
    p206.waitFor("CALL_ESTABLISHED", 10_000, { since: up206 }),
    p207.waitFor("CALL_ESTABLISHED", 10_000, { since: up207 }),
  ]);
  const upCallId = String(callUp.id);
  await Promise.all([touch(VIP4), touch(VIP6)]);
  const macA = macOf(nsA, "lan0");
  const macB = macOf(nsB, "lan0");
  assert.is(neighbourMac(nsPhones, VIP4), macA, "the shared IPv4 address is at A");
  assert.is(neighbourMac(nsPhones, VIP6), macA, "the shared IPv6 address is at A");

  // ---- The worst place: kill A 200 ms before the three phones' next refresh (every 6 s), so
  // that refresh leaves for the dead node before anything has moved.
  const since = phones.map((p) => p.events.length);
  await Promise.all([
    nextOk(p201, since[0] ?? 0, 10_000),
    nextOk(p202, since[1] ?? 0, 10_000),
    nextOk(p203, since[2] ?? 0, 10_000),
  ]);
  const refreshedAt = Date.now();
  // The cadence the kill is timed on, as the phones really keep it (granted expiry × rwait).
  const period = refreshPeriod(p203);
  figure("refresh-period-203", period);
  assert.ok(Math.abs(period - REFRESH_MS) < 800, `203 refreshes every ${period} ms, not every ${REFRESH_MS}`);
  await new Promise((r) => setTimeout(r, REFRESH_MS - 200 - (Date.now() - refreshedAt)));
  const afterKill = phones.map((p) => p.events.length);
  const killedAt = Date.now();
  nodeA.kill("SIGKILL");
  // ---- At the same moment a carrier sends a call for 205's DID, by the service name: it
  // resolves it now, before anything moved, and its INVITE leaves for the dead node.
  const inbound = carrierCall(dnsServer).then((r) => ({ ...r, ms: Date.now() - killedAt }));
  const ringing205At = p205.events.length;
  await until(async () => (await role("node-b")) === "primary", 10_000, `B takes over:\n${nodeB.logs()}`, 20);
  figure("takeover", Date.now() - killedAt);

  // ---- A call TO a phone that has not re-registered: 204's next refresh is ~3 s away.
  const incomingAt = p204.events.length;
  const toUnregistered = call(p203, p204, "204", 10_000).then(() => Date.now() - killedAt);

  const reRegistered = await Promise.all(
    [p201, p202, p203].map((p, i) => nextOk(p, afterKill[i] ?? 0, 12_000).then(() => Date.now() - killedAt)),
  );
  for (const [i, [ext]] of ways.entries()) figure(`reregistered-${ext}`, reRegistered[i] as number);
  const callTo204 = await toUnregistered;
  figure("call-to-unregistered-204", callTo204);
  const ringing = p204.events.findIndex(
    (e, i) => i >= incomingAt && e.type === "CALL_ESTABLISHED" && e.direction === "incoming",
  );
  const reg204 = p204.events.findIndex((e, i) => i >= (afterKill[3] ?? 0) && e.type === "REGISTER_OK");
  assert.ok(ringing >= 0, "204 got the call");
  assert.ok(reg204 === -1 || ringing < reg204, "204 rang before it re-registered (replicated binding)");

  const carrier = await inbound;
  assert.is(
    carrier.code,
    0,
    `the carrier's call through B: ${carrier.errors.slice(-4000)}\n${nodeB.logs().slice(-3000)}`,
  );
  figure("carrier-call-to-205-done", carrier.ms);
  const up205 = p205.events.findIndex(
    (e, i) => i >= ringing205At && e.type === "CALL_ESTABLISHED" && e.direction === "incoming",
  );
  const reg205 = p205.events.findIndex((e, i) => i >= (afterKill[4] ?? 0) && e.type === "REGISTER_OK");
  assert.ok(up205 >= 0, "205 answered the carrier's call");
  assert.ok(reg205 === -1 || up205 < reg205, "205 answered before it re-registered (replicated binding)");
  assert.equal(carrier.addresses, [VIP4], "the name the carrier resolved is the service address");

  await call(p201, p202, "202", 10_000);
  const firstCall = Date.now() - killedAt;
  figure("call-201-202", firstCall);
  await call(p203, p201, "201", 10_000);
  figure("call-203-201", Date.now() - killedAt);
  assert.ok(firstCall < 10_000, `NAPTR and SRV phones back in a call through B after ${firstCall} ms`);
  assert.ok(Math.max(...reRegistered) < 10_000, `re-registered after ${reRegistered.join("/")} ms`);
  assert.is(neighbourMac(nsPhones, VIP4), macB, "the phones now send the shared IPv4 address to B");
  await touch(VIP6);
  assert.is(neighbourMac(nsPhones, VIP6), macB, "and the shared IPv6 address (unsolicited NA)");

  // ---- The call that was up through A: B closed it in its records as interrupted at takeover;
  // 206 hangs up now (its BYE follows the Record-Route, the service address, to B), and 207
  // calls 206 back at once.
  const cdrs = await cliOk(
    "cdr",
    "export",
    "--customer",
    DOMAIN,
    "--from",
    new Date(killedAt).toISOString().slice(0, 10),
    "--to",
    new Date().toISOString().slice(0, 10),
    "--format",
    "json",
    "--db",
    join(dir, "node-b.db"),
  );
  const record = (JSON.parse(cdrs) as { call_id: string; disposition: string; node: string }[]).find(
    (r) => r.call_id === upCallId,
  );
  assert.ok(record !== undefined, `the call up at the kill (${upCallId}) is in B's records:\n${cdrs}`);
  assert.is(record.disposition, "interrupted", "closed as interrupted");
  assert.is(record.node, "node-b", "in B's own chain (B signs it)");
  const hungAt = Date.now();
  const closed206 = p206.events.length;
  const closed207 = p207.events.length;
  await p206.hangup();
  await p206.waitFor("CALL_CLOSED", 5000, { since: closed206 });
  const bye207 = await p207
    .waitFor("CALL_CLOSED", 3000, { since: closed207 })
    .then((e) => String(e.param ?? "closed"))
    .catch(() => undefined);
  figure("call-up-at-kill-207-got-bye", bye207 !== undefined ? Date.now() - hungAt : -1);
  process.stdout.write(`STEP 207 after 206 hung up: ${bye207 ?? "still in the call"}\n`);
  // The Record-Route named the service address, so B got the BYE and relayed it to 207.
  assert.ok(bye207 !== undefined, "207 got the BYE through B");
  await call(p207, p206, "206", 10_000);
  figure("recall-207-206", Date.now() - hungAt);
}

let code = 0;
try {
  await main();
} catch (err) {
  process.stderr.write(`SCENARIO FAILED ${(err as Error).stack ?? String(err)}\n`);
  for (const p of phones) process.stderr.write(`--- phone ${p.name}\n${p.output().slice(-2500)}\n`);
  code = 1;
} finally {
  await Promise.all(phones.map((p) => p.stop().catch(() => undefined)));
  for (const c of children) c.kill("SIGKILL");
}
process.exit(code);
