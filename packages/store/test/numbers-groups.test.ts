import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError, NotFoundError, openSqliteStore, type Store, ValidationError } from "../src/index.js";
import { rejects } from "./helpers.js";

interface Ctx {
  store: Store;
  a: number;
  b: number;
  a201: number;
  a202: number;
  b201: number;
}
const t = suite<Ctx>("numbers and ring groups", {} as Ctx);
t.before.each(async (ctx) => {
  ctx.store = openSqliteStore(":memory:");
  ctx.a = (await ctx.store.customers.create({ name: "A", domain: "a.pbx.test" })).id;
  ctx.b = (await ctx.store.customers.create({ name: "B", domain: "b.pbx.test" })).id;
  ctx.a201 = (await ctx.store.extensions.create({ customerId: ctx.a, number: "201" })).id;
  ctx.a202 = (await ctx.store.extensions.create({ customerId: ctx.a, number: "202" })).id;
  ctx.b201 = (await ctx.store.extensions.create({ customerId: ctx.b, number: "201" })).id;
});
t.after.each(async (ctx) => {
  await ctx.store.close();
});

t("DID CRUD and lookup by E.164", async ({ store, a, a201 }) => {
  const n = await store.numbers.create({
    e164: "+33123456789",
    customerId: a,
    target: { kind: "extension", id: a201 },
  });
  assert.equal(n.target, { kind: "extension", id: a201 });
  assert.is(n.isMain, false);
  assert.equal(await store.numbers.findByE164("+33123456789"), n);
  assert.equal(await store.numbers.get(n.id), n);
  assert.is(await store.numbers.findByE164("+33999999999"), undefined);
  assert.is((await store.numbers.setTarget(n.id, null)).target, null);
  assert.equal(
    (await store.numbers.listByCustomer(a)).map((x) => x.e164),
    ["+33123456789"],
  );
  await store.numbers.delete(n.id);
  await rejects(store.numbers.get(n.id), NotFoundError);
});

t("E.164 format is validated and numbers are unique across customers", async ({ store, a, b }) => {
  for (const e164 of ["0123456789", "+0123456789", "33123456789", "+33 1 23 45 67 89", "+1234567890123456"]) {
    const e = await rejects(store.numbers.create({ e164, customerId: a }), ValidationError);
    assert.is(e.field, "e164", e164);
  }
  await store.numbers.create({ e164: "+33123456789", customerId: a });
  const dup = await rejects(store.numbers.create({ e164: "+33123456789", customerId: b }), ConflictError);
  assert.is(dup.field, "e164");
});

t("one main number per customer; setMain moves it atomically", async ({ store, a, b }) => {
  const n1 = await store.numbers.create({ e164: "+33123456781", customerId: a, isMain: true });
  const n2 = await store.numbers.create({ e164: "+33123456782", customerId: a });
  await store.numbers.create({ e164: "+33123456783", customerId: b, isMain: true });
  const e = await rejects(
    store.numbers.create({ e164: "+33123456784", customerId: a, isMain: true }),
    ConflictError,
  );
  assert.is(e.field, "isMain");
  assert.is((await store.numbers.findMain(a))?.id, n1.id);
  await store.numbers.setMain(n2.id);
  assert.is((await store.numbers.findMain(a))?.id, n2.id);
  assert.is((await store.numbers.get(n1.id)).isMain, false);
  assert.is((await store.numbers.findMain(b))?.e164, "+33123456783");
});

t("a number cannot point at another customer's extension or group", async ({ store, a, b, b201 }) => {
  const e = await rejects(
    store.numbers.create({ e164: "+33123456789", customerId: a, target: { kind: "extension", id: b201 } }),
    ValidationError,
  );
  assert.is(e.field, "target");
  const n = await store.numbers.create({ e164: "+33123456789", customerId: a });
  await rejects(store.numbers.setTarget(n.id, { kind: "extension", id: b201 }), ValidationError);
  const gb = await store.ringGroups.create({ customerId: b, number: "300", name: "B sales" });
  await rejects(store.numbers.setTarget(n.id, { kind: "group", id: gb.id }), ValidationError);
  await rejects(store.numbers.setTarget(n.id, { kind: "extension", id: 9999 }), NotFoundError);
  assert.is((await store.numbers.get(n.id)).target, null);
});

t("deleting the target extension leaves the number allocated but unrouted", async ({ store, a, a201 }) => {
  const n = await store.numbers.create({
    e164: "+33123456789",
    customerId: a,
    target: { kind: "extension", id: a201 },
  });
  await store.extensions.delete(a201);
  const after = await store.numbers.get(n.id);
  assert.is(after.target, null);
  assert.is(after.customerId, a);
});

t("ring groups: members in order, same namespace as extensions, same customer only", async (ctx) => {
  const { store, a, a201, a202, b201 } = ctx;
  const g = await store.ringGroups.create({
    customerId: a,
    number: "300",
    name: "Sales",
    members: [a202, a201],
  });
  assert.equal(g.members, [a202, a201]);
  assert.is(g.strategy, "simultaneous");
  assert.is(g.memberSeconds, 15);
  assert.is(g.timeoutSeconds, 60);
  assert.is(g.overflow, null);
  assert.equal(await store.ringGroups.find(a, "300"), g);
  assert.is(await store.ringGroups.find(ctx.b, "300"), undefined);
  const n = await store.numbers.create({
    e164: "+33123456789",
    customerId: a,
    target: { kind: "group", id: g.id },
  });
  assert.equal(n.target, { kind: "group", id: g.id });

  // "201" is an extension of A: a group cannot take it, and an extension cannot take "300".
  assert.is(
    (await rejects(store.ringGroups.create({ customerId: a, number: "201", name: "X" }), ConflictError))
      .field,
    "number",
  );
  assert.is(
    (await rejects(store.extensions.create({ customerId: a, number: "300" }), ConflictError)).field,
    "number",
  );
  // …but customer B may use "300" for an extension.
  await store.extensions.create({ customerId: ctx.b, number: "300" });

  const cross = await rejects(store.ringGroups.update(g.id, { members: [a201, b201] }), ValidationError);
  assert.is(cross.field, "members");
  assert.equal(
    (await store.ringGroups.get(g.id)).members,
    [a202, a201],
    "failed update left members unchanged",
  );
  await rejects(store.ringGroups.update(g.id, { members: [a201, a201] }), ValidationError);

  const u = await store.ringGroups.update(g.id, { name: "Sales FR", members: [a201] });
  assert.is(u.name, "Sales FR");
  assert.equal(u.members, [a201]);
  await store.extensions.delete(a201);
  assert.equal((await store.ringGroups.get(g.id)).members, []);
  assert.is((await store.ringGroups.listByCustomer(a)).length, 1);
  await store.ringGroups.delete(g.id);
  assert.is((await store.numbers.get(n.id)).target, null);
  await rejects(store.ringGroups.get(g.id), NotFoundError);
});

t("ring groups: strategy, ring times and overflow are stored, checked and patched", async (ctx) => {
  const { store, a, a201, a202 } = ctx;
  const g = await store.ringGroups.create({
    customerId: a,
    number: "600",
    name: "Accueil",
    strategy: "sequential",
    members: [a201, a202],
    memberSeconds: 10,
    timeoutSeconds: 30,
    overflow: "voicemail:201",
  });
  assert.equal(
    [g.strategy, g.memberSeconds, g.timeoutSeconds, g.overflow],
    ["sequential", 10, 30, "voicemail:201"],
  );
  const bad = async (patch: object, field: string) =>
    assert.is((await rejects(store.ringGroups.update(g.id, patch), ValidationError)).field, field);
  await bad({ strategy: "parallel" }, "strategy");
  await bad({ memberSeconds: 4 }, "memberSeconds");
  await bad({ timeoutSeconds: 601 }, "timeoutSeconds");
  await bad({ overflow: "voicemail" }, "overflow");
  await bad({ overflow: "sip:x@y" }, "overflow");
  assert.equal(await store.ringGroups.get(g.id), g, "a refused patch changes nothing");
  const u = await store.ringGroups.update(g.id, { overflow: "+33612345678", strategy: "simultaneous" });
  assert.equal(
    [u.strategy, u.memberSeconds, u.overflow, u.name],
    ["simultaneous", 10, "+33612345678", "Accueil"],
  );
  assert.is((await store.ringGroups.update(g.id, { overflow: null })).overflow, null);
});

t.run();
