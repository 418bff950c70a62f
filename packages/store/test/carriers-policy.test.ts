import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError, NotFoundError, openSqliteStore, type Store, ValidationError } from "../src/index.js";
import { rejects } from "./helpers.js";

const t = suite<{ store: Store }>("carriers and customer policy", {} as { store: Store });
t.before.each((ctx) => {
  ctx.store = openSqliteStore(":memory:", { now: () => 42 });
});
t.after.each(async (ctx) => {
  await ctx.store.close();
});

t(
  "register is asked per carrier and needs credentials; nothing is stored without them",
  async ({ store }) => {
    const plain = await store.carriers.create({
      name: "ip-auth",
      host: "127.0.0.2",
      username: "u",
      password: "p",
    });
    assert.is(plain.register, false, "credentials alone do not mean registration");
    const reg = await store.carriers.create({
      name: "reg",
      host: "127.0.0.3",
      username: "u",
      password: "p",
      register: true,
    });
    assert.is(reg.register, true);
    assert.is((await store.carriers.get(reg.id)).register, true);
    const err = await rejects(
      store.carriers.create({ name: "bad", host: "127.0.0.4", register: true }),
      ValidationError,
    );
    assert.is(err.field, "register");
    assert.is(await store.carriers.findByName("bad"), undefined);
    await rejects(store.carriers.update(reg.id, { password: null }), ValidationError);
    assert.is((await store.carriers.get(reg.id)).password, "p");
  },
);

t(
  "carrier health: one row per carrier and node, replaced on change, gone with the carrier",
  async ({ store }) => {
    const c = await store.carriers.create({ name: "a", host: "127.0.0.2" });
    await store.carriers.setHealth({
      carrierId: c.id,
      node: "n1",
      state: "up",
      reason: null,
      since: 1,
      registration: null,
    });
    await store.carriers.setHealth({
      carrierId: c.id,
      node: "n1",
      state: "demoted",
      reason: "503 on a call",
      since: 5,
      registration: "registered",
    });
    await store.carriers.setHealth({
      carrierId: c.id,
      node: "n2",
      state: "up",
      reason: null,
      since: 2,
      registration: null,
    });
    const rows = await store.carriers.health();
    assert.equal(
      rows.map((r) => [r.node, r.state, r.reason, r.since, r.registration]),
      [
        ["n1", "demoted", "503 on a call", 5, "registered"],
        ["n2", "up", null, 2, null],
      ],
    );
    await store.carriers.delete(c.id);
    assert.equal(await store.carriers.health(), []);
    // A carrier removed while the switch reports on it: nothing written, no error.
    await store.carriers.setHealth({
      carrierId: c.id,
      node: "n1",
      state: "up",
      reason: null,
      since: 9,
      registration: null,
    });
    assert.equal(await store.carriers.health(), []);
  },
);

t("carrier CRUD with defaults; name unique; validation names fields", async ({ store }) => {
  const c = await store.carriers.create({
    name: "Carrier A",
    host: "127.0.0.1",
    username: "trunk",
    password: "pw",
  });
  assert.equal(
    {
      port: c.port,
      transport: c.transport,
      numberFormat: c.numberFormat,
      priority: c.priority,
      weight: c.weight,
    },
    { port: 5060, transport: "udp", numberFormat: "e164", priority: 10, weight: 1 },
  );
  assert.is(c.password, "pw");
  assert.is(c.enabled, true);
  assert.equal(await store.carriers.findByName("Carrier A"), c);
  const u = await store.carriers.update(c.id, { numberFormat: "national", port: 5080, enabled: false });
  assert.equal([u.numberFormat, u.port, u.enabled, u.username], ["national", 5080, false, "trunk"]);
  assert.is(
    (await rejects(store.carriers.create({ name: "Carrier A", host: "::1" }), ConflictError)).field,
    "name",
  );
  assert.is(
    (await rejects(store.carriers.create({ name: "B", host: "::1", port: 0 }), ValidationError)).field,
    "port",
  );
  const fmt = { name: "B", host: "::1", numberFormat: "local" as never };
  assert.is((await rejects(store.carriers.create(fmt), ValidationError)).field, "numberFormat");
  assert.is(
    (await rejects(store.carriers.create({ name: "B", host: "bad host" }), ValidationError)).field,
    "host",
  );
  await store.carriers.delete(c.id);
  await rejects(store.carriers.get(c.id), NotFoundError);
});

t("prefix routes: longest prefix first, then priority, disabled carriers skipped", async ({ store }) => {
  const a = await store.carriers.create({ name: "A", host: "127.0.0.1", priority: 20 });
  const b = await store.carriers.create({ name: "B", host: "127.0.0.2", priority: 10 });
  const off = await store.carriers.create({ name: "Off", host: "127.0.0.3", priority: 1, enabled: false });
  await store.carriers.addRoute(a.id, "");
  await store.carriers.addRoute(b.id, "");
  await store.carriers.addRoute(a.id, "+336");
  await store.carriers.addRoute(off.id, "33");
  await store.carriers.addRoute(b.id, "44");
  const mobile = await store.carriers.candidatesFor("+33612345678");
  assert.equal(
    mobile.map((x) => [x.carrier.name, x.route.prefix]),
    [
      ["A", "336"],
      ["B", ""],
    ],
  );
  const geo = await store.carriers.candidatesFor("+33123456789");
  assert.equal(
    geo.map((x) => x.carrier.name),
    ["B", "A"],
  );
  assert.equal(
    (await store.carriers.candidatesFor("+442071234567")).map((x) => [x.carrier.name, x.route.prefix]),
    [
      ["B", "44"],
      ["A", ""],
    ],
  );
  assert.is((await rejects(store.carriers.addRoute(a.id, "336"), ConflictError)).field, "prefix");
  assert.is((await rejects(store.carriers.addRoute(a.id, "33x"), ValidationError)).field, "prefix");
  const routes = await store.carriers.listRoutes(a.id);
  assert.equal(
    routes.map((r) => r.prefix),
    ["", "336"],
  );
  await store.carriers.removeRoute(routes[1]!.id);
  assert.equal(
    (await store.carriers.candidatesFor("+33612345678")).map((x) => x.carrier.name),
    ["B", "A"],
  );
});

t(
  "policy defaults until declared; emergency location validated as department + commune",
  async ({ store }) => {
    const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
    const p0 = await store.policies.get(c.id);
    assert.equal(
      [
        p0.emergencyDepartment,
        p0.emergencyCommune,
        p0.pstnSuspension,
        p0.telecomProfessional,
        p0.barringOverrides,
      ],
      [null, null, "none", false, {}],
    );
    await rejects(store.policies.get(9999), NotFoundError);
    const half = await rejects(store.policies.update(c.id, { emergencyDepartment: "75" }), ValidationError);
    assert.is(half.field, "emergencyCommune");
    const wrongDep = await rejects(
      store.policies.update(c.id, { emergencyDepartment: "75", emergencyCommune: "69123" }),
      ValidationError,
    );
    assert.is(wrongDep.field, "emergencyCommune");
    const noDep = await rejects(
      store.policies.update(c.id, { emergencyDepartment: "20", emergencyCommune: "20004" }),
      ValidationError,
    );
    assert.is(noDep.field, "emergencyDepartment");
    const corsica = await store.policies.update(c.id, {
      emergencyDepartment: "2a",
      emergencyCommune: "2a004",
    });
    assert.equal([corsica.emergencyDepartment, corsica.emergencyCommune], ["2A", "2A004"]);
    const paris = await store.policies.update(c.id, { emergencyDepartment: "75", emergencyCommune: "75056" });
    assert.is(paris.emergencyCommune, "75056");
    const cleared = await store.policies.update(c.id, { emergencyDepartment: null, emergencyCommune: null });
    assert.is(cleared.emergencyDepartment, null);
  },
);

t("policy fields round-trip and are validated", async ({ store }) => {
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const p = await store.policies.update(c.id, {
    barringOverrides: { international: "pin", premium: "deny" },
    pstnSuspension: "partial",
    pstnSuspensionReason: "consumption x10 overnight",
    fallbackNumber: "+33612345678",
    telecomProfessional: true,
    deliveryDate: "2026-02-28",
  });
  assert.equal(p.barringOverrides, { international: "pin", premium: "deny" });
  assert.equal(
    [
      p.pstnSuspension,
      p.pstnSuspensionReason,
      p.fallbackNumber,
      p.telecomProfessional,
      p.deliveryDate,
      p.updatedAt,
    ],
    ["partial", "consumption x10 overnight", "+33612345678", true, "2026-02-28", 42],
  );
  assert.equal(await store.policies.get(c.id), p);
  // A partial patch leaves the rest alone.
  assert.is((await store.policies.update(c.id, { pstnSuspension: "none" })).fallbackNumber, "+33612345678");
  const bad = [
    [{ barringOverrides: { international: "maybe" } }, "barringOverrides.international"],
    [{ barringOverrides: ["x"] }, "barringOverrides"],
    [{ fallbackNumber: "0612345678" }, "fallbackNumber"],
    [{ deliveryDate: "2026-02-30" }, "deliveryDate"],
    [{ pstnSuspension: "some" }, "pstnSuspension"],
  ] as const;
  for (const [patch, field] of bad) {
    assert.is((await rejects(store.policies.update(c.id, patch as never), ValidationError)).field, field);
  }
  assert.is((await store.policies.get(c.id)).deliveryDate, "2026-02-28");
  await store.customers.delete(c.id);
  await rejects(store.policies.get(c.id), NotFoundError);
});

t.run();
