import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OperationErrorKind } from "../src/index.js";
import { fixture, rejects } from "./helpers.js";

// Ring groups through the operations layer: members by number in hunt order, the overflow's
// rules, an audit row per change in the change's own transaction, nothing written on a refusal.
const D = "acme.pbx.test";
const PW = "kq7-Blue-otter-pond";

test("ring groups: add, members in hunt order, settings, remove — each audited with before/after", async () => {
  const f = await fixture();
  try {
    const { ops, store } = f;
    await ops.addCustomer("cli:alice", { name: "Acme", domain: D });
    for (const n of ["201", "202", "203"])
      await ops.addExtension("cli:alice", D, { number: n, password: PW });
    const g = await ops.ringGroups.add("cli:alice", D, {
      number: "600",
      name: "Accueil",
      members: ["202", "201"],
      strategy: "sequential",
      overflow: "voicemail:203",
    });
    assert.equal(g, {
      number: "600",
      name: "Accueil",
      strategy: "sequential",
      members: ["202", "201"],
      memberSeconds: 15,
      timeoutSeconds: 60,
      overflow: "voicemail:203",
    });
    const m = await ops.ringGroups.addMember("cli:alice", D, "600", "203", 2);
    assert.equal(m.members, ["202", "203", "201"]);
    const [entry] = await store.audit.list({ limit: 1 });
    assert.is(entry?.action, "ring-group.member-add");
    assert.equal((entry!.detail as { after: { members: string[] } }).after.members, ["202", "203", "201"]);
    const u = await ops.ringGroups.update("api:ops", D, "600", { strategy: "simultaneous", overflow: null });
    assert.equal([u.strategy, u.overflow, u.members], ["simultaneous", null, ["202", "203", "201"]]);
    assert.equal((await ops.ringGroups.removeMember("cli:alice", D, "600", "202")).members, ["203", "201"]);
    assert.equal(
      (await ops.ringGroups.list(D)).map((x) => x.number),
      ["600"],
    );
    await ops.ringGroups.remove("cli:alice", D, "600");
    const actions = (await store.audit.list({ limit: 6 })).map((e) => e.action);
    assert.equal(actions, [
      "ring-group.remove",
      "ring-group.member-remove",
      "ring-group.update",
      "ring-group.member-add",
      "ring-group.add",
      "extension.add",
    ]);
  } finally {
    await f.done();
  }
});

test("ring groups: bad input names the field and writes nothing", async () => {
  const f = await fixture();
  try {
    const { ops, store } = f;
    await ops.addCustomer("cli:alice", { name: "Acme", domain: D });
    await ops.addExtension("cli:alice", D, { number: "201", password: PW });
    await ops.ringGroups.add("cli:alice", D, { number: "600", name: "Accueil", members: ["201"] });
    const before = JSON.stringify([
      await store.ringGroups.listByCustomer(1),
      await store.audit.list({ limit: 100 }),
    ]);
    const cases: [() => Promise<unknown>, OperationErrorKind, string, RegExp][] = [
      [
        () => ops.ringGroups.add("cli:alice", D, { number: "601", name: "X", members: ["999"] }),
        "not_found",
        "members",
        /"999"/,
      ],
      [
        () => ops.ringGroups.add("cli:alice", D, { number: "601", name: "X", members: ["201", "201"] }),
        "invalid",
        "members",
        /twice/,
      ],
      [() => ops.ringGroups.add("cli:alice", D, { number: "201", name: "X" }), "conflict", "number", /201/],
      [
        () => ops.ringGroups.update("cli:alice", D, "600", { overflow: "600" }),
        "invalid",
        "overflow",
        /itself/,
      ],
      [
        () => ops.ringGroups.update("cli:alice", D, "600", { overflow: "voicemail:999" }),
        "not_found",
        "overflow",
        /"999"/,
      ],
      [
        () => ops.ringGroups.update("cli:alice", D, "600", { memberSeconds: 3 }),
        "invalid",
        "memberSeconds",
        /5 to 120/,
      ],
      [() => ops.ringGroups.update("cli:alice", D, "600", {}), "invalid", "strategy", /nothing to change/],
      [
        () => ops.ringGroups.addMember("cli:alice", D, "600", "201"),
        "invalid",
        "extension",
        /already a member/,
      ],
      [() => ops.ringGroups.addMember("cli:alice", D, "600", "999"), "not_found", "members", /"999"/],
      [() => ops.ringGroups.removeMember("cli:alice", D, "699", "201"), "not_found", "number", /"699"/],
      [() => ops.ringGroups.remove("cli:alice", "nobody.test", "600"), "not_found", "domain", /nobody\.test/],
    ];
    for (const [fn, kind, field, re] of cases) await rejects(fn, kind, field, re);
    const after = JSON.stringify([
      await store.ringGroups.listByCustomer(1),
      await store.audit.list({ limit: 100 }),
    ]);
    assert.is(after, before);
  } finally {
    await f.done();
  }
});

test.run();
