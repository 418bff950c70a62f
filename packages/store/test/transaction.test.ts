import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openSqliteStore, StoreError } from "../src/index.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("Store.transaction");
const tmp = tempDir();
t.after(() => tmp.remove());

t("all writes commit together; a throw half-way rolls every one back", async () => {
  const store = openSqliteStore(tmp.file("tx.db"));
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  await store.transaction(async (tx) => {
    await tx.customers.update(c.id, { status: "suspended" });
    await tx.audit.append({ actor: "test", action: "x", customerId: c.id, detail: null });
  });
  assert.is((await store.customers.get(c.id)).status, "suspended");
  assert.is((await store.audit.list()).length, 1);

  const err = await rejects(
    store.transaction(async (tx) => {
      await tx.customers.update(c.id, { status: "terminated" });
      await tx.extensions.create({ customerId: c.id, number: "201" });
      throw new Error("disk full (injected)");
    }),
    Error,
  );
  assert.is(err.message, "disk full (injected)");
  assert.is((await store.customers.get(c.id)).status, "suspended", "the first write was rolled back");
  assert.is(await store.extensions.find(c.id, "201"), undefined, "the second too");
  // The connection is usable at once (no transaction left open).
  await store.customers.update(c.id, { status: "active" });
  assert.is((await store.customers.get(c.id)).status, "active");
  await store.close();
});

t("a store error inside (constraint) rolls back the writes before it", async () => {
  const store = openSqliteStore(":memory:");
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  await store.extensions.create({ customerId: c.id, number: "201" });
  await rejects(
    store.transaction(async (tx) => {
      await tx.extensions.create({ customerId: c.id, number: "202" });
      await tx.extensions.create({ customerId: c.id, number: "201" }); // conflict
    }),
    StoreError,
  );
  assert.is(await store.extensions.find(c.id, "202"), undefined);
  await store.close();
});

t("waiting on anything but the store rolls back at once, and later writes are refused", async () => {
  const store = openSqliteStore(":memory:");
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  let lateWrite: unknown;
  const err = await rejects(
    store.transaction(async (tx) => {
      await tx.customers.update(c.id, { name: "B" });
      await new Promise((r) => setTimeout(r, 5)); // another turn of the event loop
      try {
        await tx.customers.update(c.id, { name: "C" });
      } catch (e) {
        lateWrite = e;
      }
    }),
    StoreError,
  );
  assert.match(err.message, /waited on something other than the store/);
  assert.instance(lateWrite, StoreError, "the write after the stall was refused, not auto-committed");
  assert.is((await store.customers.get(c.id)).name, "A");
  // A plain PIN code is hashed on the libuv pool: inside a transaction it must be hashed first.
  await rejects(
    store.transaction(async (tx) => {
      await tx.pins.create(c.id, "intl", "4821");
    }),
    StoreError,
  );
  assert.equal(await store.pins.list(c.id), []);
  const hashed = await store.pins.hash("4821");
  await store.transaction(async (tx) => {
    await tx.pins.create(c.id, "intl", hashed);
  });
  assert.is((await store.pins.verify(c.id, "4821"))?.label, "intl");
  await store.close();
});

t("transactions queue behind each other and do not nest", async () => {
  const store = openSqliteStore(":memory:");
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const order: string[] = [];
  await Promise.all([
    store.transaction(async (tx) => {
      order.push("first");
      await tx.customers.update(c.id, { name: "one" });
    }),
    store.transaction(async (tx) => {
      order.push("second");
      await tx.customers.update(c.id, { name: "two" });
    }),
  ]);
  assert.equal(order, ["first", "second"]);
  assert.is((await store.customers.get(c.id)).name, "two");
  await rejects(
    store.transaction((tx) => tx.transaction(async () => 1)),
    StoreError,
  );
  await store.close();
});

t.run();
