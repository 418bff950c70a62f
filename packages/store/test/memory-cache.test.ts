// Bindings and credentials served from memory (locations.ts, extensions.ts) with SQLite as the
// durable copy: every way a row can change behind the cache is seen on the next lookup, a new
// binding is on disk before its promise resolves, and refreshes are written behind, batched.
import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type BindingInput, openSqliteStore, type Store, sqliteHandle } from "../src/index.js";
import { tempDir } from "./helpers.js";

const t = suite("in-memory locations and credentials");
const tmp = tempDir();
t.after(() => tmp.remove());

const NOW = 1_800_000_000_000;
const CONTACT = "sip:201@127.0.0.1:5070";

async function tenant(store: Store): Promise<{ customer: number; ext: number }> {
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const e = await store.extensions.create({ customerId: c.id, number: "201", password: "password-1" });
  return { customer: c.id, ext: e.id };
}

const binding = (aor: number, over: Partial<BindingInput> = {}): BindingInput => ({
  aor,
  contact: CONTACT,
  expiresAt: NOW + 3600_000,
  callId: "cid-1@127.0.0.1",
  cseq: 1,
  transport: "udp",
  sourceAddress: "127.0.0.1",
  sourcePort: 5070,
  ...over,
});

const expiryOnDisk = (other: Database.Database, aor: number): number | undefined =>
  (
    other
      .prepare("SELECT expires_at FROM bindings WHERE extension_id = ? AND contact = ?")
      .get(aor, CONTACT) as { expires_at: number } | undefined
  )?.expires_at;

const dataVersion = (other: Database.Database): number =>
  other.prepare("PRAGMA data_version").pluck().get() as number;

t("a new binding is on disk when upsert resolves (a crash right after loses nothing)", async () => {
  const path = tmp.file("new.db");
  const server = openSqliteStore(path, { now: () => NOW });
  const { ext } = await tenant(server);
  await server.locations.current(ext, NOW); // the AOR is cached (empty) before the write
  await server.locations.upsert(binding(ext));
  // Another connection, the server not closed (nothing flushed by a clean shutdown).
  const other = new Database(path, { readonly: true });
  assert.is(expiryOnDisk(other, ext), NOW + 3600_000);
  // A changed flow (new source port after a NAT rebinding) is written before the answer too.
  await server.locations.upsert(binding(ext, { sourcePort: 6000, cseq: 2, expiresAt: NOW + 7200_000 }));
  assert.is(expiryOnDisk(other, ext), NOW + 7200_000);
  other.close();
  await server.close();
});

t(
  "a refresh storm is answered from memory and written in batches, never resurrecting a removal",
  async () => {
    const path = tmp.file("storm.db");
    const server = openSqliteStore(path, { now: () => NOW });
    const { ext } = await tenant(server);
    await server.locations.upsert(binding(ext));
    const other = new Database(path, { readonly: true });
    const before = dataVersion(other);
    for (let i = 1; i <= 500; i++) {
      await server.locations.upsert(binding(ext, { cseq: 1 + i, expiresAt: NOW + 3600_000 + i * 1000 }));
    }
    // Served from memory at once…
    const [b] = await server.locations.current(ext, NOW);
    assert.is(b?.expiresAt, NOW + 3600_000 + 500_000);
    assert.is(b?.cseq, 501);
    // …and not yet one commit per refresh.
    assert.ok(dataVersion(other) - before <= 1, `${dataVersion(other) - before} commits for 500 refreshes`);
    await new Promise((r) => setTimeout(r, 400));
    assert.is(expiryOnDisk(other, ext), NOW + 3600_000 + 500_000, "the batch reached the disk");
    assert.ok(dataVersion(other) - before <= 2, "one batch");

    // A refresh pending, then the phone unregisters: the batch does not bring the binding back.
    await server.locations.upsert(binding(ext, { cseq: 600, expiresAt: NOW + 9_000_000 }));
    assert.ok(await server.locations.remove(ext, CONTACT));
    await new Promise((r) => setTimeout(r, 400));
    assert.is(expiryOnDisk(other, ext), undefined);
    assert.equal(await server.locations.current(ext, NOW), []);
    // A pending refresh is written at close.
    await server.locations.upsert(binding(ext, { callId: "cid-2" }));
    await server.locations.upsert(binding(ext, { callId: "cid-2", cseq: 2, expiresAt: NOW + 5_000_000 }));
    await server.close();
    assert.is(expiryOnDisk(other, ext), NOW + 5_000_000);
    other.close();
  },
);

t("the expiry sweep and the keepalive walk see refreshes still pending", async () => {
  const server = openSqliteStore(":memory:", { now: () => NOW });
  const { ext } = await tenant(server);
  await server.locations.upsert(binding(ext, { expiresAt: NOW + 1000 }));
  await server.locations.upsert(binding(ext, { cseq: 2, expiresAt: NOW + 3600_000 }));
  assert.equal(await server.locations.purgeExpired(NOW + 2000), [], "refreshed: not expired");
  assert.is((await server.locations.page(NOW + 2000, 0, 10)).length, 1);
  assert.is(await server.locations.countAll(NOW + 2000), 1);
  await server.close();
});

t("bindings changed by another process (the CLI) or on the same connection are seen at once", async () => {
  const path = tmp.file("outside.db");
  const server = openSqliteStore(path, { now: () => NOW });
  const { customer, ext } = await tenant(server);
  await server.locations.upsert(binding(ext));
  assert.is((await server.locations.current(ext, NOW)).length, 1);

  const cli = new Database(path);
  cli.prepare("DELETE FROM bindings WHERE extension_id = ?").run(ext);
  assert.equal(await server.locations.current(ext, NOW), [], "another connection's delete");
  assert.is(await server.locations.get(ext, CONTACT), undefined);

  // The replication sink applies the primary's rows through the server's own connection.
  const db = sqliteHandle(server);
  db.prepare(
    `INSERT INTO bindings (extension_id, contact, q, expires_at, call_id, cseq, transport, source_address,
       source_port, path, updated_at) VALUES (?, ?, 1, ?, 'cid-r', 1, 'udp', '127.0.0.9', 5060, '[]', ?)`,
  ).run(ext, CONTACT, NOW + 60_000, NOW);
  assert.is(
    (await server.locations.current(ext, NOW))[0]?.sourceAddress,
    "127.0.0.9",
    "same-connection insert",
  );

  // Deleting the customer cascades to its bindings.
  await server.customers.delete(customer);
  assert.equal(await server.locations.current(ext, NOW), []);
  cli.close();
  await server.close();
});

t("credentials: a password change, a disabled extension, a suspension count on the next lookup", async () => {
  const path = tmp.file("creds.db");
  const server = openSqliteStore(path);
  const { customer, ext } = await tenant(server);
  const first = await server.extensions.findCredentials("a.pbx.test", "201");
  assert.is((await server.extensions.findCredentials("A.PBX.TEST", "201"))?.ha1Md5, first?.ha1Md5);
  assert.is(await server.extensions.findCredentials("a.pbx.test", "299"), undefined);

  await server.extensions.setPassword(ext, "password-2"); // admin API, same process
  assert.is.not((await server.extensions.findCredentials("a.pbx.test", "201"))?.ha1Md5, first?.ha1Md5);

  await server.customers.update(customer, { status: "suspended" });
  assert.is((await server.extensions.findCredentials("a.pbx.test", "201"))?.customerStatus, "suspended");

  assert.is((await server.extensions.find(customer, "201"))?.enabled, true);
  const cli = new Database(path);
  cli.prepare("UPDATE extensions SET enabled = 0 WHERE id = ?").run(ext);
  assert.is((await server.extensions.findCredentials("a.pbx.test", "201"))?.enabled, false);
  assert.is((await server.extensions.find(customer, "201"))?.enabled, false, "the callee lookup too");
  // A remembered "no such user" is forgotten when the user is created (here by another process).
  cli
    .prepare(
      "INSERT INTO extensions (customer_id, number, display_name, enabled, created_at) VALUES (?, '299', '', 1, 0)",
    )
    .run(customer);
  assert.is((await server.extensions.findCredentials("a.pbx.test", "299"))?.number, "299");
  // Same connection, raw (replication sink).
  sqliteHandle(server).prepare("DELETE FROM extensions WHERE number = '299'").run();
  assert.is(await server.extensions.findCredentials("a.pbx.test", "299"), undefined);
  cli.close();
  await server.close();
});

t(
  "call features (forwarding, DND): every change is seen on the next lookup, a deleted extension is gone",
  async () => {
    const path = tmp.file("features.db");
    const server = openSqliteStore(path);
    const { ext } = await tenant(server);
    const other = await server.extensions.create({
      customerId: (await server.customers.list())[0]!.id,
      number: "202",
    });
    assert.is((await server.features.get(ext)).dnd, false); // no row: cached as "off"
    assert.is((await server.features.get(other.id)).forwardAlways, null);
    await server.features.update(ext, { dnd: true }); // admin API, same process
    assert.is((await server.features.get(ext)).dnd, true);
    assert.is((await server.features.get(other.id)).dnd, false);
    const cli = new Database(path);
    cli
      .prepare("UPDATE extension_features SET dnd = 0, forward_always = '202' WHERE extension_id = ?")
      .run(ext);
    const changed = await server.features.get(ext);
    assert.is(changed.dnd, false, "another process's change");
    assert.is(changed.forwardAlways, "202");
    assert.ok(Object.isFrozen(changed), "the shared copy cannot be edited by one caller for all");
    // Same connection, raw (replication sink): a row for the extension that had none.
    sqliteHandle(server)
      .prepare("INSERT INTO extension_features (extension_id, dnd, updated_at) VALUES (?, 1, 0)")
      .run(other.id);
    assert.is((await server.features.get(other.id)).dnd, true);
    // An extension deleted by another process, after its "off" features were remembered.
    cli.prepare("DELETE FROM extension_features WHERE extension_id = ?").run(other.id);
    assert.is((await server.features.get(other.id)).dnd, false);
    cli.prepare("DELETE FROM extensions WHERE id = ?").run(other.id);
    try {
      await server.features.get(other.id);
      assert.unreachable("a deleted extension has no features");
    } catch (err) {
      assert.is((err as Error).name, "NotFoundError");
    }
    cli.close();
    await server.close();
  },
);

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

t(
  "changeCheck \"turn\" (the server's): another process's change counts from the next event-loop turn",
  async () => {
    const path = tmp.file("turn.db");
    const server = openSqliteStore(path, { now: () => NOW, changeCheck: "turn" });
    const { ext } = await tenant(server);
    await server.locations.upsert(binding(ext));
    const first = await server.extensions.findCredentials("a.pbx.test", "201");
    const cli = new Database(path);
    await nextTurn();
    // A lookup in this turn reads data_version; the CLI's commits below come after it.
    assert.is((await server.locations.current(ext, NOW)).length, 1);
    cli.prepare("DELETE FROM bindings WHERE extension_id = ?").run(ext);
    cli.prepare("UPDATE extensions SET enabled = 0 WHERE id = ?").run(ext);
    await nextTurn();
    assert.equal(await server.locations.current(ext, NOW), [], "the delete, next turn");
    assert.is(await server.locations.get(ext, CONTACT), undefined);
    assert.is((await server.extensions.findCredentials("a.pbx.test", "201"))?.enabled, false);
    assert.is((await server.extensions.findCredentials("a.pbx.test", "201"))?.ha1Md5, first?.ha1Md5);
    // Changes on the server's own connection (admin API, replication sink) count at once, as ever.
    await server.extensions.setPassword(ext, "password-2");
    assert.is.not((await server.extensions.findCredentials("a.pbx.test", "201"))?.ha1Md5, first?.ha1Md5);
    sqliteHandle(server).prepare("DELETE FROM extensions WHERE id = ?").run(ext);
    assert.is(await server.extensions.findCredentials("a.pbx.test", "201"), undefined);
    cli.close();
    await server.close();
  },
);

t.run();
