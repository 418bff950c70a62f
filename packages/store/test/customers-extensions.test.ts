import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError, NotFoundError, openSqliteStore, type Store, ValidationError } from "../src/index.js";
import { rejects } from "./helpers.js";

const t = suite<{ store: Store }>("customers and extensions", {} as { store: Store });
let clock = 1_700_000_000_000;
t.before.each((ctx) => {
  ctx.store = openSqliteStore(":memory:", { now: () => clock++ });
});
t.after.each(async (ctx) => {
  await ctx.store.close();
});

// Independent computation of the reference vector (RFC 2617 / RFC 7616: H(user:realm:password)).
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

t("customer CRUD, domain normalised to lower case", async ({ store }) => {
  const c = await store.customers.create({ name: " Acme SARL ", domain: "Acme.PBX.test" });
  assert.is(c.name, "Acme SARL");
  assert.is(c.domain, "acme.pbx.test");
  assert.is(c.status, "active");
  assert.equal(await store.customers.get(c.id), c);
  assert.equal(await store.customers.findByDomain("ACME.pbx.test"), c);
  const u = await store.customers.update(c.id, { status: "suspended" });
  assert.is(u.status, "suspended");
  assert.is(u.name, "Acme SARL");
  assert.is((await store.customers.list()).length, 1);
  await store.customers.delete(c.id);
  await rejects(store.customers.get(c.id), NotFoundError);
  await rejects(store.customers.delete(c.id), NotFoundError);
  assert.is(await store.customers.findByDomain("acme.pbx.test"), undefined);
});

t("customer validation names the field", async ({ store }) => {
  for (const domain of ["", "nodot", "bad_underscore.test", "-x.test", "a..b", "1.2.3.4", "a b.test"]) {
    const e = await rejects(store.customers.create({ name: "X", domain }), ValidationError);
    assert.is(e.field, "domain", domain);
  }
  assert.is(
    (await rejects(store.customers.create({ name: "", domain: "x.test" }), ValidationError)).field,
    "name",
  );
  const bad = { name: "X", domain: "x.test", status: "gone" as never };
  assert.is((await rejects(store.customers.create(bad), ValidationError)).field, "status");
});

t("duplicate domain is a ConflictError naming domain (case-insensitively)", async ({ store }) => {
  await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const e = await rejects(store.customers.create({ name: "B", domain: "A.pbx.test" }), ConflictError);
  assert.is(e.field, "domain");
});

t(
  "setPassword stores HA1 MD5 and SHA-256 of number:domain:password, never the password",
  async ({ store }) => {
    const c = await store.customers.create({ name: "T", domain: "pbx.test" });
    const e = await store.extensions.create({ customerId: c.id, number: "201", displayName: "Reception" });
    assert.is(e.hasPassword, false);
    let cred = await store.extensions.findCredentials("pbx.test", "201");
    assert.is(cred?.ha1Md5, null);
    await store.extensions.setPassword(e.id, "secret-201");
    cred = await store.extensions.findCredentials("PBX.test", "201");
    assert.ok(cred);
    assert.is(cred.ha1Md5, md5("201:pbx.test:secret-201"));
    assert.is(cred.ha1Sha256, sha256("201:pbx.test:secret-201"));
    assert.is(cred.realm, "pbx.test");
    assert.is(cred.extensionId, e.id);
    assert.is(cred.customerId, c.id);
    assert.is(cred.enabled, true);
    assert.is(cred.customerStatus, "active");
    assert.is((await store.extensions.get(e.id)).hasPassword, true);
    // The plain password appears nowhere in what the store returns.
    assert.not.match(JSON.stringify([await store.extensions.get(e.id), cred]), /secret-201/);
    // Password given at creation is hashed the same way.
    const e2 = await store.extensions.create({ customerId: c.id, number: "202", password: "another-pass" });
    assert.is(
      (await store.extensions.findCredentials("pbx.test", "202"))?.ha1Md5,
      md5("202:pbx.test:another-pass"),
    );
    assert.is(e2.hasPassword, true);
  },
);

t("weak passwords are refused", async ({ store }) => {
  const c = await store.customers.create({ name: "T", domain: "pbx.test" });
  const e = await store.extensions.create({ customerId: c.id, number: "201" });
  assert.is((await rejects(store.extensions.setPassword(e.id, "secret"), ValidationError)).field, "password");
  await rejects(store.extensions.setPassword(9999, "long-enough"), NotFoundError);
});

t("extension number rules: 2–6 digits, unique per customer", async ({ store }) => {
  const c = await store.customers.create({ name: "T", domain: "pbx.test" });
  for (const number of ["1", "1234567", "20a", "", " 201"]) {
    const e = await rejects(store.extensions.create({ customerId: c.id, number }), ValidationError);
    assert.is(e.field, "number", number);
  }
  await store.extensions.create({ customerId: c.id, number: "201" });
  const dup = await rejects(store.extensions.create({ customerId: c.id, number: "201" }), ConflictError);
  assert.is(dup.field, "number");
  await rejects(store.extensions.create({ customerId: 4242, number: "201" }), NotFoundError);
});

t("tenant isolation: extension 201 of A and of B are distinct accounts", async ({ store }) => {
  const a = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const b = await store.customers.create({ name: "B", domain: "b.pbx.test" });
  const ea = await store.extensions.create({ customerId: a.id, number: "201", password: "password-a" });
  const eb = await store.extensions.create({ customerId: b.id, number: "201", password: "password-b" });
  assert.is.not(ea.id, eb.id);
  const ca = await store.extensions.findCredentials("a.pbx.test", "201");
  const cb = await store.extensions.findCredentials("b.pbx.test", "201");
  assert.is(ca?.extensionId, ea.id);
  assert.is(cb?.extensionId, eb.id);
  assert.is(ca?.ha1Md5, md5("201:a.pbx.test:password-a"));
  assert.is(cb?.ha1Md5, md5("201:b.pbx.test:password-b"));
  assert.equal((await store.extensions.find(a.id, "201"))?.id, ea.id);
  assert.equal(
    (await store.extensions.listByCustomer(b.id)).map((e) => e.id),
    [eb.id],
  );
  assert.is(await store.extensions.findCredentials("c.pbx.test", "201"), undefined);
  assert.is(await store.extensions.findCredentials("a.pbx.test", "202"), undefined);
});

t(
  "extension update, count, delete; disabled state and customer status reach credentials",
  async ({ store }) => {
    const c = await store.customers.create({ name: "T", domain: "pbx.test" });
    const e = await store.extensions.create({ customerId: c.id, number: "201" });
    await store.extensions.create({ customerId: c.id, number: "202" });
    assert.is(await store.extensions.countByCustomer(c.id), 2);
    const u = await store.extensions.update(e.id, { enabled: false, displayName: "Hall" });
    assert.is(u.enabled, false);
    assert.is(u.displayName, "Hall");
    assert.is((await store.extensions.update(e.id, { displayName: "Lobby" })).enabled, false);
    await store.customers.update(c.id, { status: "suspended" });
    const cred = await store.extensions.findCredentials("pbx.test", "201");
    assert.is(cred?.enabled, false);
    assert.is(cred?.customerStatus, "suspended");
    await store.extensions.delete(e.id);
    assert.is(await store.extensions.countByCustomer(c.id), 1);
    await rejects(store.extensions.get(e.id), NotFoundError);
    await rejects(store.extensions.update(e.id, { enabled: true }), NotFoundError);
  },
);

t("domain change: refused while passwords exist, or clears every HA1 when asked", async ({ store }) => {
  const c = await store.customers.create({ name: "T", domain: "old.pbx.test" });
  const other = await store.customers.create({ name: "O", domain: "other.pbx.test" });
  const e = await store.extensions.create({ customerId: c.id, number: "201", password: "password-1" });
  const o = await store.extensions.create({ customerId: other.id, number: "201", password: "password-2" });
  const refused = await rejects(store.customers.changeDomain(c.id, "new.pbx.test"), ConflictError);
  assert.is(refused.field, "domain");
  assert.is((await store.customers.get(c.id)).domain, "old.pbx.test");
  assert.is(
    (
      await rejects(
        store.customers.changeDomain(c.id, "other.pbx.test", { clearCredentials: true }),
        ConflictError,
      )
    ).field,
    "domain",
  );
  const renamed = await store.customers.changeDomain(c.id, "new.pbx.test", { clearCredentials: true });
  assert.is(renamed.domain, "new.pbx.test");
  assert.is((await store.extensions.get(e.id)).hasPassword, false);
  assert.is((await store.extensions.findCredentials("new.pbx.test", "201"))?.ha1Md5, null);
  assert.is(await store.extensions.findCredentials("old.pbx.test", "201"), undefined);
  // Other customers are untouched.
  assert.is((await store.extensions.get(o.id)).hasPassword, true);
  await store.extensions.setPassword(e.id, "password-3");
  assert.is(
    (await store.extensions.findCredentials("new.pbx.test", "201"))?.ha1Md5,
    md5("201:new.pbx.test:password-3"),
  );
  // Without passwords, a rename needs no flag.
  const bare = await store.customers.create({ name: "B", domain: "bare.pbx.test" });
  await store.extensions.create({ customerId: bare.id, number: "201" });
  assert.is((await store.customers.changeDomain(bare.id, "bare2.pbx.test")).domain, "bare2.pbx.test");
});

t.run();
