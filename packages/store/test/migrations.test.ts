import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, openSqliteStore, SchemaVersionError } from "../src/index.js";
import { migrate } from "../src/sqlite/migrate.js";
import { tempDir } from "./helpers.js";

const t = suite("migrations");
const tmp = tempDir();
t.after(() => tmp.remove());

const tables = (db: Database.Database): string[] =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);

t("an empty file is migrated to the latest version, with WAL and FULL sync", async () => {
  const path = tmp.file("fresh.db");
  const store = openSqliteStore(path);
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.is(db.pragma("user_version", { simple: true }), LATEST_SCHEMA_VERSION);
  assert.is(db.pragma("journal_mode", { simple: true }), "wal");
  for (const name of ["customers", "extensions", "phone_numbers", "ring_groups", "bindings", "carriers"]) {
    assert.ok(tables(db).includes(name), name);
  }
  for (const name of ["carrier_routes", "customer_policies", "pins", "audit_log"]) {
    assert.ok(tables(db).includes(name), name);
  }
  db.close();
  // Secrets live in this file: owner-only permissions.
  assert.is(statSync(path).mode & 0o777, 0o600);
});

t("foreign keys are enforced on the store's connection: deleting a customer cascades", async () => {
  const path = tmp.file("cascade.db");
  const store = openSqliteStore(path);
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const e = await store.extensions.create({ customerId: c.id, number: "201" });
  await store.customers.delete(c.id);
  const db = new Database(path);
  const row = db.prepare("SELECT count(*) AS n FROM extensions WHERE id = ?").get(e.id) as { n: number };
  assert.is(row.n, 0);
  db.close();
  await store.close();
});

t("migration 10: a group made before strategies keeps its members and rings them all at once", async () => {
  const path = tmp.file("groups-v8.db");
  const db = new Database(path);
  migrate(db, MIGRATIONS.slice(0, 8));
  db.exec(`INSERT INTO customers (id, name, domain, created_at) VALUES (1, 'A', 'a.pbx.test', 0);
    INSERT INTO extensions (id, customer_id, number, created_at) VALUES (7, 1, '201', 0);
    INSERT INTO ring_groups (id, customer_id, number, name, created_at) VALUES (3, 1, '600', 'Accueil', 0);
    INSERT INTO ring_group_members (group_id, extension_id, position) VALUES (3, 7, 0);`);
  db.close();
  const store = openSqliteStore(path);
  const g = await store.ringGroups.get(3);
  assert.equal(
    [g.strategy, g.members, g.memberSeconds, g.timeoutSeconds, g.overflow],
    ["simultaneous", [7], 15, 60, null],
  );
  await store.close();
});

t("re-opening an up-to-date file is idempotent and keeps data", async () => {
  const path = tmp.file("reopen.db");
  const s1 = openSqliteStore(path);
  await s1.customers.create({ name: "Acme", domain: "acme.pbx.test" });
  await s1.close();
  const s2 = openSqliteStore(path);
  assert.is(s2.schemaVersion, LATEST_SCHEMA_VERSION);
  assert.is((await s2.customers.list()).length, 1);
  await s2.close();
  const s3 = openSqliteStore(path);
  assert.is((await s3.customers.findByDomain("acme.pbx.test"))?.name, "Acme");
  await s3.close();
});

t("an older schema is upgraded step by step, keeping its rows", async () => {
  const path = tmp.file("old.db");
  const db = new Database(path);
  assert.is(migrate(db, MIGRATIONS.slice(0, 1)), 1);
  db.prepare("INSERT INTO customers (name, domain, created_at) VALUES ('Old', 'old.pbx.test', 1)").run();
  assert.not.ok(tables(db).includes("carriers"));
  db.close();
  const store = openSqliteStore(path);
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  assert.is((await store.customers.findByDomain("old.pbx.test"))?.createdAt, 1);
  const carrier = await store.carriers.create({ name: "trunk-a", host: "127.0.0.1" });
  assert.is(carrier.port, 5060);
  await store.close();
});

t("a database newer than the code is refused with a clear error and left untouched", () => {
  const path = tmp.file("future.db");
  const db = new Database(path);
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  try {
    openSqliteStore(path);
    assert.unreachable("should refuse");
  } catch (err) {
    assert.instance(err, SchemaVersionError);
    const e = err as SchemaVersionError;
    assert.is(e.found, LATEST_SCHEMA_VERSION + 1);
    assert.is(e.supported, LATEST_SCHEMA_VERSION);
    assert.match(e.message, /newer than this centrex supports/);
  }
  const check = new Database(path, { readonly: true });
  assert.is(check.pragma("user_version", { simple: true }), LATEST_SCHEMA_VERSION + 1);
  assert.equal(tables(check), []);
  check.close();
});

t("a failing migration step rolls back entirely", () => {
  const db = new Database(":memory:");
  const broken = [
    ...MIGRATIONS.slice(0, 1),
    { version: 2, name: "broken", sql: "CREATE TABLE x (a); SELECT nope FROM nowhere;" },
  ];
  assert.throws(() => migrate(db, broken));
  assert.is(db.pragma("user_version", { simple: true }), 0);
  assert.equal(tables(db), []);
  db.close();
});

t(":memory: works and leaves no file behind", async () => {
  const store = openSqliteStore(":memory:");
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  await store.customers.create({ name: "M", domain: "m.pbx.test" });
  assert.is((await store.customers.list()).length, 1);
  await store.close();
  await store.close(); // idempotent
  assert.not.ok(existsSync(":memory:"));
});

t("customer ids are never reused, also across the upgrade from a database that reused them", async () => {
  const path = tmp.file("ids.db");
  // A version-4 database whose newest customer (id 2) was deleted, with its audit rows kept.
  const db = new Database(path);
  const v4 = MIGRATIONS.findIndex((m) => m.name.includes("customer ids never reused"));
  migrate(db, MIGRATIONS.slice(0, v4));
  db.prepare("INSERT INTO customers (id, name, domain, created_at) VALUES (1, 'A', 'a.pbx.test', 0)").run();
  db.prepare(
    "INSERT INTO audit_log (at, actor, action, customer_id) VALUES (0, 'cli:x', 'customer.remove', 2)",
  ).run();
  db.close();

  const store = openSqliteStore(path);
  const c3 = await store.customers.create({ name: "C", domain: "c.pbx.test" });
  assert.is(c3.id, 3, "id 2 still names a deleted customer in the audit log");
  await store.customers.delete(c3.id);
  const c4 = await store.customers.create({ name: "D", domain: "d.pbx.test" });
  assert.is(c4.id, 4, "the deleted newest id is not handed out again");
  await store.close();
});

t.run();
