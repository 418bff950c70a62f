import { test } from "uvu";
import * as assert from "uvu/assert";
import { fixture, rejects } from "./helpers.js";

// One audit trail for every change: who, what, when, before/after, never a secret; keyed on a
// customer id that is never handed to another customer.

test("every change family is audited with its actor and before/after; no secret ever", async () => {
  const f = await fixture();
  try {
    const { ops } = f;
    const D = "acme.pbx.test";
    await ops.addCustomer("cli:alice", { name: "Acme", domain: D });
    await ops.updateCustomer("api:ops", D, {
      name: "Acme SA",
      telecomProfessional: false,
      deliveryDate: "2026-12-01",
    });
    await ops.addExtension("cli:alice", D, { number: "201", password: "kq7-Blue-otter-pond" });
    await ops.setExtensionPassword("cli:alice", D, "201", "zz9-Red-heron-lake");
    await ops.updateExtension("cli:alice", D, "201", { enabled: false });
    await ops.addNumber("cli:alice", D, {
      e164: "+33123456789",
      target: { kind: "extension", number: "201" },
    });
    await ops.addPin("cli:alice", D, "boss", "4821");
    await ops.setBarring("cli:alice for the customer", D, "intl-world", "pin");
    await ops.declareEmergency("cli:alice", D, "75", "75056");
    await ops.setFallback("cli:alice", D, "+33612345678");
    await ops.suspend("cli:alice", D, { pstn: "total", reason: "abuse" });
    await ops.resume("cli:alice", D);
    await ops.removeNumber("cli:alice", D, "+33123456789");
    await ops.removeExtension("cli:alice", D, "201");
    await ops.carriers.add("api:ops", {
      name: "op1",
      host: "127.0.0.1",
      username: "u",
      password: "carrier-secret",
    });
    await ops.carriers.update("api:ops", "op1", { priority: 5, password: "carrier-secret-2" });
    await ops.carriers.addRoute("api:ops", "op1", "33");
    await ops.carriers.removeRoute("api:ops", "op1", "33");
    await ops.carriers.remove("api:ops", "op1");
    await ops.removeCustomer("cli:alice", D);

    const trail = (await f.store.audit.list({ limit: 100 })).reverse();
    assert.equal(
      trail.map((e) => e.action),
      [
        "customer.add",
        "customer.update",
        "extension.add",
        "extension.passwd",
        "extension.disable",
        "did.add",
        "pin.add",
        "policy.barring",
        "policy.emergency",
        "policy.fallback",
        "customer.suspend",
        "customer.resume",
        "did.remove",
        "extension.remove",
        "carrier.add",
        "carrier.update",
        "carrier.route.add",
        "carrier.route.remove",
        "carrier.remove",
        "customer.remove",
      ],
    );
    assert.is(trail[1]!.actor, "api:ops");
    assert.equal(trail[1]!.detail, {
      customer: D,
      before: { name: "Acme", telecomProfessional: false, deliveryDate: null },
      after: { name: "Acme SA", telecomProfessional: false, deliveryDate: "2026-12-01" },
    });
    assert.is(trail[7]!.actor, "cli:alice for the customer");
    assert.equal(trail[4]!.detail, {
      customer: D,
      number: "201",
      before: { displayName: "", enabled: true },
      after: { displayName: "", enabled: false },
    });
    const upd = trail[15]!.detail as {
      before: { password: string };
      after: { priority: number; password: string };
    };
    assert.is(upd.after.priority, 5);
    assert.is(upd.before.password, "set", "only whether a carrier password is set is recorded");
    const customerId = trail[0]!.customerId;
    assert.ok(trail.filter((e) => e.action.startsWith("carrier.")).every((e) => e.customerId === null));
    assert.ok(
      trail.filter((e) => !e.action.startsWith("carrier.")).every((e) => e.customerId === customerId),
    );
    const text = JSON.stringify(trail);
    for (const secret of ["kq7-Blue-otter-pond", "zz9-Red-heron-lake", "4821", "carrier-secret"])
      assert.not.ok(text.includes(secret), `${secret} in the audit log`);
    for (const e of trail) assert.ok(Math.abs(e.at - Date.now()) < 60_000);
  } finally {
    await f.done();
  }
});

test("a customer re-created after a delete gets a new id: its audit history starts empty; the deleted one's stays findable", async () => {
  const f = await fixture();
  try {
    const { ops } = f;
    await ops.addCustomer("cli:a", { name: "Old", domain: "old.pbx.test" });
    const gone = await ops.addCustomer("cli:a", { name: "Gone", domain: "gone.pbx.test" });
    await ops.suspend("cli:a", "gone.pbx.test", { nonPayment: true });
    await ops.removeCustomer("cli:a", "gone.pbx.test");
    // The highest id was just deleted: SQLite alone would hand it out again.
    const fresh = await ops.addCustomer("cli:b", { name: "New", domain: "new.pbx.test" });
    assert.ok(fresh.id > gone.id, `id ${fresh.id} reused`);
    assert.equal(
      (await ops.audit({ customer: "new.pbx.test" })).map((e) => e.action),
      ["customer.add"],
    );
    // Same domain again: still a new identity.
    const again = await ops.addCustomer("cli:b", { name: "Gone again", domain: "gone.pbx.test" });
    assert.ok(again.id > fresh.id);
    assert.equal(
      (await ops.audit({ customer: "gone.pbx.test" })).map((e) => e.action),
      ["customer.add"],
    );
    await rejects(() => ops.audit({ customer: "nobody.pbx.test" }), "not_found", "domain");

    // The deleted customer's history is still there for the operator: by its id, or by the
    // domain with includeDeleted (both customers that had it, each entry with its own id).
    assert.equal(
      (await ops.audit({ customerId: gone.id })).map((e) => e.action),
      ["customer.remove", "customer.suspend", "customer.add"],
    );
    assert.equal(
      (await ops.audit({ customer: "gone.pbx.test", includeDeleted: true })).map((e) => [
        e.customerId,
        e.action,
      ]),
      [
        [again.id, "customer.add"],
        [gone.id, "customer.remove"],
        [gone.id, "customer.suspend"],
        [gone.id, "customer.add"],
      ],
    );
    await ops.removeCustomer("cli:b", "gone.pbx.test");
    assert.equal(
      (await ops.audit({ customer: "gone.pbx.test", includeDeleted: true })).map((e) => [
        e.customerId,
        e.action,
      ]),
      [
        [again.id, "customer.remove"],
        [again.id, "customer.add"],
        [gone.id, "customer.remove"],
        [gone.id, "customer.suspend"],
        [gone.id, "customer.add"],
      ],
      "no live customer needed",
    );
    await rejects(() => ops.audit({ customer: "x.test", customerId: 1 }), "invalid", "customerId");
    await rejects(() => ops.audit({ includeDeleted: true }), "invalid", "includeDeleted");
    await rejects(() => ops.audit({ customerId: 0 }), "invalid", "customerId");
    await rejects(() => ops.addCustomer(" ", { name: "X", domain: "x.pbx.test" }), "invalid", "actor");
  } finally {
    await f.done();
  }
});

test("a refused change of each family leaves the store as it was, audit log included", async () => {
  const f = await fixture();
  try {
    const { ops } = f;
    const D = "acme.pbx.test";
    await ops.addCustomer("t", { name: "Acme", domain: D });
    await ops.addExtension("t", D, { number: "201", password: "kq7-Blue-otter-pond" });
    await ops.carriers.add("t", { name: "op1", host: "127.0.0.1" });
    const before = await f.snapshot();
    const attempts: [string, () => Promise<unknown>][] = [
      ["customer add", () => ops.addCustomer("t", { name: "Dup", domain: D })],
      ["customer add bad domain", () => ops.addCustomer("t", { name: "X", domain: "not a domain" })],
      ["customer update", () => ops.updateCustomer("t", D, { deliveryDate: "2026-13-01" })],
      ["customer remove", () => ops.removeCustomer("t", "nobody.test")],
      ["extension add", () => ops.addExtension("t", D, { number: "2a1", password: "mm4-Green-lynx-77" })],
      ["extension add dup", () => ops.addExtension("t", D, { number: "201", password: "mm4-Green-lynx-77" })],
      ["extension add weak", () => ops.addExtension("t", D, { number: "202", password: "short" })],
      ["extension passwd", () => ops.setExtensionPassword("t", D, "999", "mm4-Green-lynx-77")],
      ["extension disable", () => ops.updateExtension("t", D, "999", { enabled: false })],
      ["extension remove", () => ops.removeExtension("t", D, "999")],
      ["did add", () => ops.addNumber("t", D, { e164: "+33612345678" })],
      ["did remove", () => ops.removeNumber("t", D, "+33123456789")],
      ["fallback", () => ops.setFallback("t", D, "+3389")],
      ["emergency", () => ops.declareEmergency("t", D, "75", "69123")],
      ["barring", () => ops.setBarring("t", D, "intl-world", "allow")],
      ["pin add", () => ops.addPin("t", D, "boss", "123")],
      ["pin remove", () => ops.removePin("t", D, "boss")],
      ["suspend", () => ops.suspend("t", D, { reason: "x" })],
      ["resume", () => ops.resume("t", D)],
      ["carrier add", () => ops.carriers.add("t", { name: "op1", host: "127.0.0.1" })],
      ["carrier update", () => ops.carriers.update("t", "op1", { port: 70000 })],
      ["carrier remove", () => ops.carriers.remove("t", "op9")],
      ["carrier route", () => ops.carriers.addRoute("t", "op1", "33x")],
      ["carrier unroute", () => ops.carriers.removeRoute("t", "op1", "44")],
    ];
    for (const [what, fn] of attempts) {
      await fn().then(
        () => assert.unreachable(`${what} was accepted`),
        (err: Error) => assert.is(err.name, "OperationError", `${what}: ${err.message}`),
      );
      assert.is(await f.snapshot(), before, `${what} changed the store`);
    }
  } finally {
    await f.done();
  }
});

test.run();
