import { randomBytes } from "node:crypto";
import { loadNumberingPlan } from "@centrex/dialplan";
import { SourceGuard } from "@centrex/guard";
import { PhoneCatalog, PhoneInventory } from "@centrex/provisioning";
import type { Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Operations } from "../src/index.js";
import { acme, fixture, rejects } from "./helpers.js";

// Desk phones and bans go through the operations layer like every other change: checked,
// one transaction with the audit entry, the actor recorded, no secret in the trail.

const D = "acme.pbx.test";
const MAC = "805ec0123456";
const catalog = PhoneCatalog.load();

test("phones: add, move, remove audited with the actor; no credential or SIP password in the trail", async () => {
  const f = await fixture();
  try {
    await acme(f);
    await f.ops.addExtension("test:setup", D, { number: "202" });
    const ops = new Operations(f.store, {
      plan: loadNumberingPlan(),
      phones: new PhoneInventory(f.store, catalog, randomBytes(32)),
    });
    const added = await ops.phones.add("cli:alice", {
      domain: D,
      mac: "80:5E:C0:12:34:56",
      model: "T46S",
      extensions: ["201"],
      blf: ["202"],
    });
    assert.equal(added.phone.lines, ["201"]);
    await ops.phones.move("api:ops", MAC, { extensions: ["202"] });
    assert.equal(
      (await ops.phones.list(D)).map((p) => p.lines),
      [["202"]],
    );
    await ops.phones.remove("cli:bob for the customer", MAC);
    assert.equal(await ops.phones.list(D), []);

    const trail = (await f.store.audit.list({ limit: 3 })).reverse();
    assert.equal(
      trail.map((e) => [e.actor, e.action, e.customerId]),
      [
        ["cli:alice", "phone.add", 1],
        ["api:ops", "phone.move", 1],
        ["cli:bob for the customer", "phone.remove", 1],
      ],
    );
    assert.equal(trail[1]!.detail, {
      customer: D,
      mac: MAC,
      before: { lines: ["201"], blf: ["202"] },
      after: { lines: ["202"], blf: ["202"] },
      newPasswords: ["202"],
    });
    const text = JSON.stringify(trail);
    assert.not.ok(text.includes(added.credential), "the provisioning password is not in the trail");
    assert.not.match(text, /sealed|hash/i);
  } finally {
    await f.done();
  }
});

test("phones: bad input is an OperationError naming the field; a failed audit write adds no phone", async () => {
  const f = await fixture();
  try {
    await acme(f);
    const inventory = new PhoneInventory(f.store, catalog, randomBytes(32));
    const ops = new Operations(f.store, { plan: loadNumberingPlan(), phones: inventory });
    const before = await f.snapshot();
    const ha1 = (await f.store.extensions.findCredentials(D, "201"))?.ha1Md5;
    assert.ok(ha1);
    const add = (over: Record<string, unknown>) => () =>
      ops.phones.add("cli:alice", { domain: D, mac: MAC, model: "T46S", extensions: ["201"], ...over });
    await rejects(add({ model: "T99X" }), "invalid", "model", /unknown model "T99X"/);
    await rejects(add({ mac: "80:5e:c0:12:34" }), "invalid", "mac", /malformed MAC/);
    await rejects(add({ extensions: ["209"] }), "invalid", "extension", /no extension 209/);
    await rejects(add({ domain: "nobody.test" }), "not_found", "domain");
    await rejects(() => ops.phones.remove("cli:alice", MAC), "not_found", "mac");
    await rejects(
      () => ops.phones.add(" ", { domain: D, mac: MAC, model: "T46S", extensions: ["201"] }),
      "invalid",
      "actor",
    );
    assert.is(await f.snapshot(), before, "nothing written by a refused change");
    assert.equal(await f.store.phones.listByCustomer(1), []);

    // The disk refuses the audit row: the phone (and its line's new SIP password) is not kept.
    const broken: Store = {
      ...f.store,
      transaction: (fn) =>
        f.store.transaction((tx) =>
          fn({ ...tx, audit: { ...tx.audit, append: () => Promise.reject(new Error("disk full")) } }),
        ),
    };
    const opsBroken = new Operations(broken, { plan: loadNumberingPlan(), phones: inventory });
    try {
      await opsBroken.phones.add("cli:alice", { domain: D, mac: MAC, model: "T46S", extensions: ["201"] });
      assert.unreachable("the audit failure surfaces");
    } catch (err) {
      assert.is((err as Error).message, "disk full");
    }
    assert.equal(await f.store.phones.listByCustomer(1), []);
    assert.is(
      (await f.store.extensions.findCredentials(D, "201"))?.ha1Md5,
      ha1,
      "201 keeps its SIP password",
    );
    assert.is(await f.snapshot(), before, "no phone, no new SIP password");
  } finally {
    await f.done();
  }
});

test("bans: manual ban and lifting audited; bad address and minutes refused, ban list untouched", async () => {
  const f = await fixture();
  try {
    const guard = new SourceGuard({ rate: { maxPerWindow: 10 } });
    const ops = new Operations(f.store, { plan: loadNumberingPlan(), bans: guard });
    await rejects(() => ops.bans.add("api:ops", "not-an-ip", 30), "invalid", "address", /not an IP address/);
    await rejects(() => ops.bans.add("api:ops", "192.0.2.7", 0), "invalid", "minutes");
    await rejects(
      () => ops.bans.clear("api:ops", "192.0.2.7"),
      "not_found",
      "address",
      /no ban on 192.0.2.7/,
    );
    assert.equal(ops.bans.list(), []);
    assert.equal(await f.store.audit.list(), []);

    const b = await ops.bans.add("api:ops", "2001:db8::7", 30);
    assert.is(b.reason, "manual");
    for (let i = 0; i < 20; i++) guard.admit("192.0.2.66"); // a flood ban by the guard itself
    assert.is(await ops.bans.clear("api:ops", "2001:db8::7"), 1);
    assert.is(await ops.bans.clear("cli:alice"), 1);
    assert.equal(ops.bans.list(), []);
    const trail = (await f.store.audit.list()).reverse();
    assert.equal(
      trail.map((e) => [e.actor, e.action, (e.detail as { address?: string }).address]),
      [
        ["api:ops", "security.ban", "2001:db8::7"],
        ["api:ops", "security.ban-clear", "2001:db8::7"],
        ["cli:alice", "security.ban-clear", undefined],
      ],
    );
    assert.is((trail[2]!.detail as { before: { reason: string }[] }).before[0]!.reason, "flood");

    // The audit row cannot be written: the ban is not applied either.
    const broken: Store = {
      ...f.store,
      transaction: (fn) =>
        f.store.transaction((tx) =>
          fn({ ...tx, audit: { ...tx.audit, append: () => Promise.reject(new Error("disk full")) } }),
        ),
    };
    const opsBroken = new Operations(broken, { plan: loadNumberingPlan(), bans: guard });
    try {
      await opsBroken.bans.add("api:ops", "192.0.2.9", 5);
      assert.unreachable("the audit failure surfaces");
    } catch (err) {
      assert.is((err as Error).message, "disk full");
    }
    assert.equal(ops.bans.list(), [], "no ban without its audit row");
  } finally {
    await f.done();
  }
});

test.run();
