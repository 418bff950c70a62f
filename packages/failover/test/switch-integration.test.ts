import type { Socket as UdpSocket } from "node:dgram";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqliteDatabase, Store } from "@centrex/store";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type {
  FailoverNode,
  FailoverServiceConfig,
  HealthEndpoint,
  HealthProbe,
  TakeoverEvent,
} from "../src/index.js";
import {
  EmbeddedDnsServer,
  FailoverController,
  failback,
  httpHealthProbe,
  incidentFromTakeover,
  ReplicationSink,
  ReplicationSource,
  sipOptionsProbe,
  sqliteEpochStore,
  startHealthEndpoint,
  writeEpoch,
} from "../src/index.js";
import { decode, query, udpExchange } from "./helpers/dns-client.js";

const SECRET = "pair-secret";
const NODE_A: FailoverNode = {
  name: "node-a",
  ipv4: "127.0.0.11",
  priority: 10,
  ports: { udp: 5060, tcp: 5060, tls: 5061 },
};
const NODE_B: FailoverNode = {
  name: "node-b",
  ipv4: "127.0.0.12",
  priority: 20,
  ports: { udp: 5060, tcp: 5060, tls: 5061 },
};
const SERVICE: FailoverServiceConfig = {
  zone: "operator.example",
  serviceName: "sip.operator.example",
  ttl: 5,
  nodes: [NODE_A, NODE_B],
};
// Stand-in for the CDR ledger another migration adds: replication must carry it without knowing it.
const CALLS_DDL =
  "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL)";

/** The SIP side of a node, as far as a health probe sees it: answers OPTIONS. */
async function sipResponder(): Promise<{ port: number; close: () => Promise<void> }> {
  const s: UdpSocket = createSocket("udp4");
  s.on("message", (msg, rinfo) => {
    const text = msg.toString("latin1");
    const headers = text.split("\r\n").filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    s.send(
      Buffer.from(`SIP/2.0 200 OK\r\n${headers.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

async function resolveA(dnsPort: number): Promise<string[]> {
  const reply = decode(await udpExchange(dnsPort, query("sip.operator.example", "A")));
  return (reply.answers ?? []).flatMap((a) => (a.type === "A" ? [a.data] : []));
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A probe whose target can move (a restarted node listens on a new ephemeral port in tests). */
function movable(make: () => HealthProbe): HealthProbe {
  return { name: "movable", probe: () => make().probe() };
}

test("takeover after N misses with fencing, DNS switched, calls closed; fenced return; catch-up and failback", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-switch-"));
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    const dns = new EmbeddedDnsServer({ zone: SERVICE.zone, host: "127.0.0.1", port: 0, service: SERVICE });
    const dnsPort = (await dns.start()).port;
    cleanup.push(() => dns.stop());
    dns.setActive(NODE_A);
    assert.equal(await resolveA(dnsPort), ["127.0.0.11"]);

    // ---- node A, the primary
    const storeA: Store = openSqliteStore(join(dir, "a.db"));
    cleanup.push(() => storeA.close());
    const dbA: SqliteDatabase = sqliteHandle(storeA);
    dbA.exec(CALLS_DDL);
    writeEpoch(dbA, 1);
    const sourceA = new ReplicationSource({ db: dbA, secret: SECRET, pollMs: 10, heartbeatMs: 50 });
    const replPortA = (await sourceA.start()).port;
    const controllerA = new FailoverController({
      name: "a",
      self: NODE_A,
      role: "primary",
      epoch: sqliteEpochStore(dbA),
      probes: [],
    });
    let healthA: HealthEndpoint = await startHealthEndpoint({ status: () => controllerA.status() });
    let sipA = await sipResponder();

    // ---- node B, the standby
    const storeB = openSqliteStore(join(dir, "b.db"));
    cleanup.push(() => storeB.close());
    const dbB = sqliteHandle(storeB);
    dbB.exec(CALLS_DDL);
    const sinkB = new ReplicationSink({
      db: dbB,
      secret: SECRET,
      host: "127.0.0.1",
      port: replPortA,
      reconnectMs: 50,
    });
    cleanup.push(() => sinkB.stop());
    sinkB.start();
    let sourceB: ReplicationSource | undefined;
    cleanup.push(async () => sourceB?.stop());
    let takeover: TakeoverEvent | undefined;
    const controllerB: FailoverController = new FailoverController({
      name: "b",
      self: NODE_B,
      role: "standby",
      epoch: sqliteEpochStore(dbB),
      probes: [
        movable(() => httpHealthProbe({ url: healthA.url, timeoutMs: 200 })),
        movable(() => sipOptionsProbe({ host: "127.0.0.1", port: sipA.port, timeoutMs: 200 })),
      ],
      missesBeforeTakeover: 3,
      intervalMs: 50,
      dns,
      beforeTakeover: () => sinkB.stop(),
      onTakeover: async (e) => {
        takeover = e;
        // What the lead wires to billing's closeInterruptedCalls.
        dbB
          .prepare("UPDATE calls SET ended_at = ?, status = 'interrupted' WHERE ended_at IS NULL")
          .run(e.promotedAt);
        sourceB = new ReplicationSource({ db: dbB, secret: SECRET, pollMs: 10, heartbeatMs: 50 });
        await sourceB.start();
      },
    });
    const healthB = await startHealthEndpoint({ status: () => controllerB.status() });
    cleanup.push(() => healthB.close());
    await controllerB.start();
    cleanup.push(() => controllerB.stop());

    // ---- state on A: tenant data, a registration, a call in progress
    const acme = await storeA.customers.create({ name: "Acme", domain: "acme.test" });
    const e201 = await storeA.extensions.create({
      customerId: acme.id,
      number: "201",
      password: "a-long-password",
    });
    await storeA.locations.upsert({
      aor: e201.id,
      contact: "sip:201@127.0.0.50:5062",
      expiresAt: Date.now() + 3_600_000,
      callId: "reg-1",
      cseq: 1,
      transport: "udp",
      sourceAddress: "127.0.0.50",
      sourcePort: 5062,
    });
    dbA
      .prepare("INSERT INTO calls (call_id, started_at, status) VALUES ('up-call', ?, 'up')")
      .run(Date.now());
    dbA
      .prepare("INSERT INTO calls (call_id, started_at, ended_at, status) VALUES ('done', 1, 2, 'answered')")
      .run();
    await sinkB.waitCaughtUp(3000);
    assert.is(controllerB.role, "standby");
    assert.is(controllerB.epoch, 1, "the standby learnt the primary's epoch through replication");

    // ---- A dies
    const diedAt = Date.now();
    await healthA.close();
    await sipA.close();
    await sourceA.stop();
    await until(() => controllerB.role === "primary", 5000, "takeover");
    const tookMs = Date.now() - diedAt;
    assert.ok(tookMs >= 100, `took over after ${tookMs} ms: not before 3 missed rounds`);
    assert.is(controllerB.epoch, 2);
    assert.ok(takeover !== undefined && takeover.dnsSwitchedAt !== undefined);
    assert.equal(await resolveA(dnsPort), ["127.0.0.12"]);
    const b201 = await storeB.extensions.find(acme.id, "201");
    assert.ok(b201);
    assert.is((await storeB.locations.current(b201.id, Date.now())).length, 1, "phones need not re-register");
    const calls = dbB.prepare("SELECT call_id, status FROM calls ORDER BY id").all();
    assert.equal(calls, [
      { call_id: "up-call", status: "interrupted" },
      { call_id: "done", status: "answered" },
    ]);
    const incident = incidentFromTakeover(takeover, "sw-1", 10_000);
    assert.is(incident?.origin, "detection");
    assert.ok(
      (incident?.detectedAt ?? 0) >= diedAt && (incident?.detectedAt ?? 0) <= (incident?.resolvedAt ?? 0),
    );

    // ---- B serves and changes things
    await storeB.extensions.create({ customerId: acme.id, number: "202" });
    dbB.prepare("INSERT INTO calls (call_id, started_at, status) VALUES ('on-b', ?, 'up')").run(Date.now());

    // ---- A comes back believing it is primary: it sees epoch 2 and fences itself
    const controllerA2 = new FailoverController({
      name: "a",
      self: NODE_A,
      role: "primary",
      epoch: sqliteEpochStore(dbA),
      probes: [httpHealthProbe({ url: healthB.url, timeoutMs: 200 })],
      intervalMs: 50,
      dns,
    });
    healthA = await startHealthEndpoint({ status: () => controllerA2.status() });
    cleanup.push(() => healthA.close());
    sipA = await sipResponder();
    cleanup.push(() => sipA.close());
    await controllerA2.start();
    cleanup.push(() => controllerA2.stop());
    assert.is(controllerA2.role, "fenced");
    assert.is(controllerA2.serving, false);
    assert.equal(await resolveA(dnsPort), ["127.0.0.12"], "a fenced node does not take the name back");

    // ---- repaired A rejoins as standby and catches up from B
    controllerA2.rejoinAsStandby();
    assert.ok(sourceB);
    const sinkA = new ReplicationSink({
      db: dbA,
      secret: SECRET,
      host: "127.0.0.1",
      port: sourceB.address.port,
      reconnectMs: 50,
    });
    cleanup.push(() => sinkA.stop());
    sinkA.start();
    await sinkA.waitCaughtUp(3000);
    assert.ok(await storeA.extensions.find(acme.id, "202"));
    assert.is(dbA.prepare("SELECT status FROM calls WHERE call_id = 'up-call'").pluck().get(), "interrupted");
    assert.is(controllerA2.epoch, 2);

    // ---- failback: catch-up, then the name moves back; the call up on B is not touched
    let quiesced = false;
    const result = await failback({
      repaired: { controller: controllerA2, sink: sinkA },
      active: {
        controller: controllerB,
        quiesce: () => {
          quiesced = true;
        },
      },
      catchUpTimeoutMs: 3000,
    });
    assert.ok(quiesced);
    assert.is(result.final.changes, 0);
    assert.is(controllerA2.role, "primary");
    assert.is(controllerA2.epoch, 3);
    assert.is(controllerB.role, "standby");
    assert.equal(await resolveA(dnsPort), ["127.0.0.11"]);
    assert.is(dbA.prepare("SELECT status FROM calls WHERE call_id = 'on-b'").pluck().get(), "up");
    // B, now standby, watches A (primary, epoch 3) and stays standby.
    await new Promise((r) => setTimeout(r, 250));
    assert.is(controllerB.role, "standby");
    assert.is(controllerB.epoch, 3);
  } finally {
    for (const f of cleanup.reverse()) await f();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
