import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateLedgerKey, Ledger, loadLedgerKey } from "@centrex/billing";
import { openSqliteStore, type Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runFailback } from "../src/cli/failover-commands.js";
import { callControl } from "../src/switch/failover/control-client.js";
import { closePeerCalls } from "../src/switch/failover/peer-calls.js";
import { FailoverService } from "../src/switch/failover/service.js";
import {
  nodePorts,
  pairConfig,
  resolveService,
  SECRET,
  sipNode,
  sipRequest,
  until,
} from "./helpers/failover-pair.js";

function ledgerFor(store: Store, node: string): Ledger {
  return new Ledger({ store, node, key: loadLedgerKey(generateLedgerKey().privateKeyPem) });
}

test("standby replicates, takes over after N missed rounds with a higher epoch, closes the peer's calls, moves the DNS name; a returning primary is fenced; failback", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-failover-"));
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  try {
    const portsA = await nodePorts();
    const portsB = await nodePorts();
    const storeA = openSqliteStore(join(dir, "a.db"));
    cleanup.push(() => storeA.close());
    const storeB = openSqliteStore(join(dir, "b.db"));
    cleanup.push(() => storeB.close());
    const ledgerB = ledgerFor(storeB, "node-b");

    // ---- A starts as primary, with its SIP stack behind the gate
    let a: FailoverService = new FailoverService({
      config: pairConfig("node-a", "primary", portsA, portsB),
      node: "node-a",
      served: [{ transport: "UDP", port: portsA.sip }],
      store: storeA,
    });
    let sipA = await sipNode(portsA.sip, () => a.serving);
    await a.start();
    cleanup.push(() => a.stop());
    assert.is(a.role, "primary");
    assert.ok(a.addresses.replication, "a primary runs a replication source");
    const dnsA = a.addresses.dns?.port ?? 0;
    assert.equal(await resolveService(dnsA), ["127.0.0.11"], "the primary names itself");
    assert.is((await sipRequest(portsA.sip, "REGISTER")).status, 200, "a serving node takes registrations");

    // ---- state on A: tenant data, a binding, a call up
    const acme = await storeA.customers.create({ name: "Acme", domain: "acme.test" });
    const ext = await storeA.extensions.create({
      customerId: acme.id,
      number: "201",
      password: "pw-201-long",
    });
    await storeA.locations.upsert({
      aor: ext.id,
      contact: "sip:201@127.0.0.50:5062",
      expiresAt: Date.now() + 3_600_000,
      callId: "reg-1",
      cseq: 1,
      transport: "udp",
      sourceAddress: "127.0.0.50",
      sourcePort: 5062,
    });
    await ledgerFor(storeA, "node-a").markCallStarted({
      callId: "up-on-a",
      customerId: acme.id,
      extension: "201",
      direction: "outbound",
      caller: "201",
      dialled: "0140000000",
      called: "+33140000000",
      destinationClass: "fr-geographic",
      carrier: null,
      startedAt: Date.now() - 60_000,
    });

    // ---- B starts as standby and follows A
    let closedByHook = -1;
    const b = new FailoverService({
      config: pairConfig("node-b", "standby", portsB, portsA),
      node: "node-b",
      served: [{ transport: "UDP", port: portsB.sip }],
      store: storeB,
      closeInterruptedCalls: async (peer, now) => {
        closedByHook = await closePeerCalls(storeB, ledgerB, peer, now);
        return closedByHook;
      },
    });
    const sipB = await sipNode(portsB.sip, () => b.serving);
    cleanup.push(() => sipB.close());
    await b.start();
    cleanup.push(() => b.stop());
    const dnsB = b.addresses.dns?.port ?? 0;
    await b.waitCaughtUp(3000);
    const bExt = await storeB.extensions.find(acme.id, "201");
    assert.ok(bExt, "the extension created on the primary is on the standby");
    assert.is((await storeB.locations.current(bExt.id, Date.now())).length, 1, "and its binding");
    assert.is((await storeB.cdrs.openCalls("node-a")).length, 1, "and the call up on A");
    assert.is(b.role, "standby");
    assert.equal(await resolveService(dnsB), ["127.0.0.11"], "the standby's zone names the primary");
    const health = await callControl(b.addresses.health.url, SECRET, "GET", "/health");
    assert.is(health.status, 503);
    assert.is(health.body.role, "standby");
    assert.is(health.body.epoch, a.epoch);
    // The standby refuses new registrations and calls (SRV phones move on), answers OPTIONS.
    const refused = await sipRequest(portsB.sip, "REGISTER");
    assert.is(refused.status, 503);
    assert.match(refused.text, /Retry-After: 5/);
    assert.is((await sipRequest(portsB.sip, "INVITE")).status, 503);
    assert.is((await sipRequest(portsB.sip, "OPTIONS")).status, 200);
    assert.is((await sipRequest(portsB.sip, "BYE", { toTag: "t1" })).status, 200, "in-dialog requests pass");
    // Unsigned control calls are refused.
    const forged = await callControl(
      b.addresses.health.url,
      "wrong-secret-of-some-length",
      "POST",
      "/failover/quiesce",
    );
    assert.is(forged.status, 401);

    // ---- A dies
    const epochA = a.epoch;
    const diedAt = Date.now();
    await a.stop();
    await sipA.close();
    await until(() => b.role === "primary", 5000, "takeover");
    const tookMs = Date.now() - diedAt;
    // 3 missed rounds 100 ms apart (each up to an 80 ms probe timeout): not before the 3rd.
    assert.ok(tookMs >= 200, `took over after ${tookMs} ms, before 3 missed rounds`);
    assert.ok(tookMs < 2000, `took over after ${tookMs} ms`);
    console.log(`  standby primary ${tookMs} ms after the primary stopped (3 x 100 ms rounds)`);
    await until(
      () => b.lastTakeover !== undefined && b.addresses.replication !== undefined,
      2000,
      "takeover hook",
    );
    assert.is(b.epoch, epochA + 1, "takeover raises the epoch (fencing token)");
    assert.ok(b.serving);
    assert.equal(await resolveService(dnsB), ["127.0.0.12"], "the DNS name follows the standby");
    assert.is(closedByHook, 1);
    assert.equal(await storeB.cdrs.openCalls("node-a"), []);
    const interrupted = (await storeB.cdrs.page("node-b", 0, 10)).filter((r) => r.callId === "up-on-a");
    assert.is(interrupted.length, 1);
    assert.is(interrupted[0]?.disposition, "interrupted");
    assert.is(
      (await sipRequest(portsB.sip, "REGISTER")).status,
      200,
      "the promoted node takes registrations",
    );
    await storeB.extensions.create({ customerId: acme.id, number: "202" });

    // ---- A comes back believing it is primary: fenced on its first round, serves nothing
    a = new FailoverService({
      config: pairConfig("node-a", "primary", portsA, portsB),
      node: "node-a",
      served: [{ transport: "UDP", port: portsA.sip }],
      store: storeA,
    });
    sipA = await sipNode(portsA.sip, () => a.serving);
    cleanup.push(() => sipA.close());
    await a.start();
    assert.is(a.role, "fenced");
    assert.not.ok(a.serving);
    assert.is(a.addresses.replication, undefined, "a fenced node runs no replication source");
    assert.is((await sipRequest(portsA.sip, "REGISTER")).status, 503);
    assert.equal(await resolveService(a.addresses.dns?.port ?? 0), ["127.0.0.12"], "nor names itself");
    assert.equal(await resolveService(dnsB), ["127.0.0.12"]);
    assert.is(b.role, "primary");
    await a.stop();

    // ---- repaired A restarts as standby, catches up from B
    a = new FailoverService({
      config: pairConfig("node-a", "standby", portsA, portsB),
      node: "node-a",
      served: [{ transport: "UDP", port: portsA.sip }],
      store: storeA,
    });
    await a.start();
    await a.waitCaughtUp(3000);
    assert.ok(await storeA.extensions.find(acme.id, "202"), "what B wrote reached the repaired node");
    assert.is(a.epoch, b.epoch);

    // ---- failback through the control endpoints (what `centrex failback` runs)
    const report = await runFailback({
      nodes: [a.addresses.health.url, b.addresses.health.url],
      secret: SECRET,
    });
    assert.is(report.repaired, a.addresses.health.url);
    assert.is(report.epoch, epochA + 2);
    assert.ok(report.dnsSwitched);
    assert.is(a.role, "primary");
    assert.is(b.role, "standby");
    assert.equal(await resolveService(a.addresses.dns?.port ?? 0), ["127.0.0.11"]);
    // B follows A again.
    await storeA.extensions.create({ customerId: acme.id, number: "203" });
    await until(
      async () => (await storeB.extensions.find(acme.id, "203")) !== undefined,
      3000,
      "B follows A",
    );
    await new Promise((r) => setTimeout(r, 400));
    assert.is(b.role, "standby", "the new standby sees a live primary and stays standby");
  } finally {
    for (const f of cleanup.reverse()) await f();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("failback refuses while calls are up on the active node and changes nothing; an unreachable peer is named", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-failover-"));
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  try {
    const portsA = await nodePorts();
    const portsB = await nodePorts();
    const storeA = openSqliteStore(join(dir, "a.db"));
    cleanup.push(() => storeA.close());
    const storeB = openSqliteStore(join(dir, "b.db"));
    cleanup.push(() => storeB.close());
    const a = new FailoverService({
      config: pairConfig("node-a", "primary", portsA, portsB),
      node: "node-a",
      served: [{ transport: "UDP", port: portsA.sip }],
      store: storeA,
    });
    const sipA = await sipNode(portsA.sip, () => a.serving);
    cleanup.push(() => sipA.close());
    await a.start();
    cleanup.push(() => a.stop());
    try {
      await runFailback({
        nodes: [a.addresses.health.url, `http://127.0.0.1:${portsB.health}`],
        secret: SECRET,
      });
      assert.unreachable("the peer is down");
    } catch (err) {
      assert.match((err as Error).message, `127.0.0.1:${portsB.health}: unreachable`);
    }
    const b = new FailoverService({
      config: pairConfig("node-b", "standby", portsB, portsA),
      node: "node-b",
      served: [{ transport: "UDP", port: portsB.sip }],
      store: storeB,
    });
    await b.start();
    cleanup.push(() => b.stop());
    await b.waitCaughtUp(3000);
    await ledgerFor(storeA, "node-a").markCallStarted({
      callId: "c1",
      customerId: null,
      direction: "outbound",
      caller: "201",
      dialled: "3000",
      destinationClass: "internal",
      startedAt: Date.now(),
    });
    const st = await callControl(a.addresses.health.url, SECRET, "GET", "/health");
    assert.is(st.status, 200);
    assert.is(st.body.openCalls, 1);
    try {
      await runFailback({ nodes: [b.addresses.health.url, a.addresses.health.url], secret: SECRET });
      assert.unreachable("a call is up");
    } catch (err) {
      assert.match((err as Error).message, "1 call(s) up");
    }
    assert.is(a.role, "primary");
    assert.ok(a.serving, "not left quiesced");
    assert.is(b.role, "standby");
  } finally {
    for (const f of cleanup.reverse()) await f();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
