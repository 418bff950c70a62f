import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError, NotFoundError, openSqliteStore, ValidationError } from "../src/index.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("PIN codes and audit log");
const tmp = tempDir();
t.after(() => tmp.remove());

t("PINs: verify right and wrong, per customer, never stored in clear", async () => {
  const path = tmp.file("pins.db");
  const store = openSqliteStore(path);
  const a = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const b = await store.customers.create({ name: "B", domain: "b.pbx.test" });
  const pa = await store.pins.create(a.id, "international", "4821");
  const pa2 = await store.pins.create(a.id, "premium", "1234");
  await store.pins.create(b.id, "international", "9999");
  assert.is((await store.pins.verify(a.id, "4821"))?.id, pa.id);
  assert.is((await store.pins.verify(a.id, "1234"))?.id, pa2.id);
  assert.is(await store.pins.verify(a.id, "4822"), undefined);
  assert.is(await store.pins.verify(a.id, "9999"), undefined, "B's PIN does not open A");
  assert.is(await store.pins.verify(a.id, "48211"), undefined);
  // Same PIN, two rows: different salts, so different hashes.
  await store.pins.create(b.id, "other", "4821");
  const db = new Database(path, { readonly: true });
  const rows = db.prepare("SELECT hash FROM pins").all() as { hash: string }[];
  db.close();
  // Never the PIN itself: every stored value is an scrypt record, none equals a PIN. (A
  // substring check would fail by chance: a random hex salt contains "4821" now and then.)
  assert.ok(rows.every((r) => r.hash.startsWith("scrypt$") && r.hash.split("$").length === 6));
  assert.ok(rows.every((r) => !r.hash.split("$").some((part) => part === "4821" || part === "1234")));
  assert.is(new Set(rows.map((r) => r.hash.split("$")[4])).size, rows.length, "salts are per row");
  await store.close();
});

t("PIN change, list, delete; 4 digits exactly; label unique per customer", async () => {
  const store = openSqliteStore(":memory:");
  const a = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  for (const pin of ["123", "12345", "12a4", ""]) {
    assert.is((await rejects(store.pins.create(a.id, "x", pin), ValidationError)).field, "pin", pin);
  }
  const p = await store.pins.create(a.id, "intl", "1111");
  assert.is((await rejects(store.pins.create(a.id, "intl", "2222"), ConflictError)).field, "label");
  await store.pins.change(p.id, "2222");
  assert.is(await store.pins.verify(a.id, "1111"), undefined);
  assert.is((await store.pins.verify(a.id, "2222"))?.label, "intl");
  assert.equal(
    (await store.pins.list(a.id)).map((x) => x.label),
    ["intl"],
  );
  await store.pins.delete(p.id);
  assert.is(await store.pins.verify(a.id, "2222"), undefined);
  await rejects(store.pins.change(p.id, "3333"), NotFoundError);
  await rejects(store.pins.create(9999, "x", "1234"), NotFoundError);
  await store.close();
});

t("audit log: append, filter by customer and time, newest first, outlives the customer", async () => {
  let now = 1000;
  const store = openSqliteStore(":memory:", { now: () => now });
  const a = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  await store.audit.append({
    actor: "cli:root",
    action: "customer.create",
    customerId: a.id,
    detail: { name: "A" },
  });
  now = 2000;
  await store.audit.append({
    actor: "api:ops",
    action: "carrier.update",
    detail: { id: 1, fields: ["port"] },
  });
  now = 3000;
  await store.audit.append({ actor: "cli:root", action: "pin.create", customerId: a.id });
  await store.customers.delete(a.id);
  const all = await store.audit.list();
  assert.equal(
    all.map((e) => e.action),
    ["pin.create", "carrier.update", "customer.create"],
  );
  assert.equal(all[2]!.detail, { name: "A" });
  assert.is(all[0]!.detail, null);
  assert.equal(
    (await store.audit.list({ customerId: a.id })).map((e) => e.at),
    [3000, 1000],
  );
  assert.equal(
    (await store.audit.list({ since: 2000 })).map((e) => e.actor),
    ["cli:root", "api:ops"],
  );
  assert.is((await store.audit.list({ limit: 1 })).length, 1);
  assert.is((await rejects(store.audit.append({ actor: "", action: "x" }), ValidationError)).field, "actor");
  await store.close();
});

t.run();
