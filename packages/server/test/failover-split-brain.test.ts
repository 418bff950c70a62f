import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeEpoch } from "@centrex/failover";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FailoverService } from "../src/switch/failover/service.js";
import { nodePorts, pairConfig, resolveService, sipNode, until } from "./helpers/failover-pair.js";

// Two nodes that both believe they are primary (both started with --role primary, or a
// partition healed): each sees the other on its health endpoint and exactly one steps down.

async function twoPrimaries(epochA: number, epochB: number) {
  const dir = mkdtempSync(join(tmpdir(), "centrex-split-brain-"));
  const cleanup: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const portsA = await nodePorts();
  const portsB = await nodePorts();
  const nodes = [
    ["node-a", portsA, portsB, epochA],
    ["node-b", portsB, portsA, epochB],
  ] as const;
  const services: FailoverService[] = [];
  for (const [name, own, peer, epoch] of nodes) {
    const store = openSqliteStore(join(dir, `${name}.db`));
    cleanup.unshift(() => store.close());
    writeEpoch(sqliteHandle(store), epoch);
    let svc: FailoverService | undefined;
    const sip = await sipNode(own.sip, () => svc?.serving ?? false);
    cleanup.unshift(() => sip.close());
    svc = new FailoverService({
      config: pairConfig(name, "primary", own, peer),
      node: name,
      served: [{ transport: "UDP", port: own.sip }],
      store,
    });
    services.push(svc);
  }
  const [a, b] = services as [FailoverService, FailoverService];
  // Both come up serving before either can see the other: a real split brain.
  await Promise.all([a.start(), b.start()]);
  cleanup.unshift(
    () => a.stop(),
    () => b.stop(),
  );
  return {
    a,
    b,
    close: async () => {
      for (const c of cleanup) await c();
    },
  };
}

test("two primaries at the same epoch: the one DNS prefers stays, the other steps down; both zones name it", async () => {
  const p = await twoPrimaries(3, 3);
  try {
    await until(() => !(p.a.serving && p.b.serving), 3000, "one primary steps down");
    // Give a wrong decision time to show itself (both fenced, or a flip).
    await new Promise((r) => setTimeout(r, 500));
    assert.is(p.a.role, "primary", "node-a (SRV priority 10) keeps serving");
    assert.is(p.b.role, "fenced", "node-b (priority 20) steps down");
    assert.ok(p.a.serving);
    assert.not.ok(p.b.serving);
    assert.is(p.a.epoch, 3);
    for (const s of [p.a, p.b])
      assert.equal(
        await resolveService(s.addresses.dns?.port ?? 0),
        ["127.0.0.11"],
        "the name points at node-a",
      );
  } finally {
    await p.close();
  }
});

test("two primaries at different epochs: the lower epoch steps down even if DNS prefers it", async () => {
  const p = await twoPrimaries(2, 5);
  try {
    await until(() => !(p.a.serving && p.b.serving), 3000, "one primary steps down");
    await new Promise((r) => setTimeout(r, 500));
    assert.is(p.a.role, "fenced");
    assert.is(p.b.role, "primary");
    for (const s of [p.a, p.b])
      assert.equal(
        await resolveService(s.addresses.dns?.port ?? 0),
        ["127.0.0.12"],
        "the name points at node-b",
      );
  } finally {
    await p.close();
  }
});

test.run();
