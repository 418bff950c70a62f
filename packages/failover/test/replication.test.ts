import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqliteDatabase, Store } from "@centrex/store";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  FencedError,
  ReplicationAuthError,
  ReplicationSink,
  ReplicationSource,
  readEpoch,
  writeEpoch,
} from "../src/index.js";

const SECRET = "s3cret-shared-between-nodes";

interface Ctx {
  dir: string;
  primary: Store;
  standby: Store;
  pdb: SqliteDatabase;
  sdb: SqliteDatabase;
  source: ReplicationSource;
  port: number;
  sinks: ReplicationSink[];
}

const R = suite<Ctx>("replication");

R.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "centrex-repl-"));
  ctx.primary = openSqliteStore(join(ctx.dir, "primary.db"));
  ctx.standby = openSqliteStore(join(ctx.dir, "standby.db"));
  ctx.pdb = sqliteHandle(ctx.primary);
  ctx.sdb = sqliteHandle(ctx.standby);
  ctx.source = new ReplicationSource({ db: ctx.pdb, secret: SECRET, pollMs: 10, heartbeatMs: 50 });
  ctx.port = (await ctx.source.start()).port;
  ctx.sinks = [];
});

R.after.each(async (ctx) => {
  for (const s of ctx.sinks) await s.stop();
  await ctx.source.stop();
  await ctx.primary.close();
  await ctx.standby.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

function sink(ctx: Ctx, secret = SECRET): ReplicationSink {
  const s = new ReplicationSink({ db: ctx.sdb, secret, host: "127.0.0.1", port: ctx.port, reconnectMs: 50 });
  ctx.sinks.push(s);
  s.start();
  return s;
}

const dump = (db: SqliteDatabase, table: string): unknown[] =>
  db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

R(
  "snapshot then inserts, updates and deletes reach the standby, WITHOUT ROWID tables included",
  async (ctx) => {
    const { primary, standby } = ctx;
    const acme = await primary.customers.create({ name: "Acme", domain: "acme.test" });
    const e201 = await primary.extensions.create({
      customerId: acme.id,
      number: "201",
      password: "a-long-password",
    });
    const s = sink(ctx);
    await s.waitCaughtUp(3000);
    assert.equal((await standby.customers.get(acme.id)).name, "Acme");
    assert.equal(dump(ctx.sdb, "extensions"), dump(ctx.pdb, "extensions"));

    // Live changes after the snapshot, through the real repositories.
    const e202 = await primary.extensions.create({ customerId: acme.id, number: "202" });
    await primary.customers.update(acme.id, { name: "Acme SA" });
    const group = await primary.ringGroups.create({
      customerId: acme.id,
      number: "300",
      name: "Sales",
      members: [e201.id, e202.id],
    });
    await primary.locations.upsert({
      aor: e201.id,
      contact: "sip:201@127.0.0.50:5062",
      expiresAt: Date.now() + 60_000,
      callId: "c1",
      cseq: 1,
      transport: "udp",
      sourceAddress: "127.0.0.50",
      sourcePort: 5062,
    });
    await primary.extensions.delete(e202.id);
    await s.waitCaughtUp(3000);

    assert.equal((await standby.customers.get(acme.id)).name, "Acme SA");
    assert.is(await standby.extensions.find(acme.id, "202"), undefined);
    assert.equal((await standby.ringGroups.get(group.id)).members, [e201.id]);
    const bindings = await standby.locations.current(e201.id, Date.now());
    assert.is(bindings.length, 1);
    assert.is(bindings[0]?.contact, "sip:201@127.0.0.50:5062");
    for (const t of ["customers", "extensions", "ring_groups", "ring_group_members", "bindings"])
      assert.equal(dump(ctx.sdb, t), dump(ctx.pdb, t), t);
    const lag = s.lag();
    assert.is(lag.changes, 0);
    assert.is(lag.seconds, 0);
    assert.ok(lag.appliedSeq > 0);
  },
);

R(
  "the call-record tables (composite keys, WITHOUT ROWID) replicate like any other; every table ends equal",
  async (ctx) => {
    const s = sink(ctx);
    await s.waitCaughtUp(3000);
    const tables = ctx.pdb
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_repl%' ESCAPE '\\'",
      )
      .pluck()
      .all() as string[];
    if (tables.includes("open_calls")) {
      const open = ctx.pdb.prepare(
        "INSERT INTO open_calls (node, call_id, data, started_at) VALUES (?, ?, '{}', ?)",
      );
      open.run("a", "c1", 1);
      open.run("a", "c2", 2);
      open.run("b", "c1", 3);
      ctx.pdb.prepare("DELETE FROM open_calls WHERE node = 'a' AND call_id = 'c1'").run();
      ctx.pdb.prepare("UPDATE open_calls SET answered_at = 9 WHERE node = 'b'").run();
    }
    await ctx.primary.customers.create({ name: "Acme", domain: "acme.test" });
    await s.waitCaughtUp(3000);
    for (const t of tables) assert.equal(dump(ctx.sdb, t), dump(ctx.pdb, t), t);
    if (tables.includes("open_calls")) assert.is(dump(ctx.sdb, "open_calls").length, 2);
  },
);

R("values keep their SQLite types: big integers, reals, blobs, a table created after start", async (ctx) => {
  const ddl = "CREATE TABLE cdr_like (id INTEGER PRIMARY KEY, big INTEGER, r REAL, b BLOB, t TEXT)";
  ctx.pdb.exec(ddl);
  ctx.sdb.exec(ddl);
  const s = sink(ctx);
  await s.waitCaughtUp(3000);
  ctx.pdb
    .prepare("INSERT INTO cdr_like VALUES (1, ?, 1.0, ?, 'é')")
    .run(9007199254740993n, Buffer.from([0, 1, 254, 255]));
  await until(() => s.lag().appliedSeq >= ctx.source.headSeq() && ctx.source.headSeq() > 0);
  const row = ctx.sdb.prepare("SELECT big, typeof(r) AS tr, b, t FROM cdr_like").safeIntegers(true).get() as {
    big: bigint;
    tr: string;
    b: Buffer;
    t: string;
  };
  assert.is(row.big, 9007199254740993n);
  assert.is(row.tr, "real");
  assert.equal([...row.b], [0, 1, 254, 255]);
  assert.is(row.t, "é");
});

R("a snapshot larger than one chunk arrives whole and replaces what the standby had", async (ctx) => {
  for (const db of [ctx.pdb, ctx.sdb]) db.exec("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v TEXT)");
  ctx.sdb.exec("INSERT INTO bulk VALUES (99999, 'only on the standby')");
  const ins = ctx.pdb.prepare("INSERT INTO bulk (v) VALUES (?)");
  ctx.pdb.transaction(() => {
    for (let i = 0; i < 12_001; i++) ins.run(`row ${i}`);
  })();
  const s = sink(ctx);
  await s.waitCaughtUp(5000);
  assert.is(ctx.sdb.prepare("SELECT count(*) FROM bulk").pluck().get(), 12_001);
  assert.is(ctx.sdb.prepare("SELECT count(*) FROM bulk WHERE id = 99999").pluck().get(), 0);
  assert.is(ctx.sdb.prepare("SELECT v FROM bulk WHERE id = 12001").pluck().get(), "row 12000");
});

R("a wrong secret is refused and nothing is applied", async (ctx) => {
  await ctx.primary.customers.create({ name: "Acme", domain: "acme.test" });
  const s = sink(ctx, "not-the-secret");
  await until(() => s.lastError !== undefined);
  assert.instance(s.lastError, ReplicationAuthError);
  assert.is(s.connected, false);
  assert.is((await ctx.standby.customers.list()).length, 0);
});

R("catch-up after the standby was down resumes from the changelog; lag is visible meanwhile", async (ctx) => {
  const { primary, standby } = ctx;
  const acme = await primary.customers.create({ name: "Acme", domain: "acme.test" });
  let s = sink(ctx);
  await s.waitCaughtUp(3000);
  const seqBefore = s.lag().appliedSeq;
  await s.stop();
  ctx.sinks.length = 0;
  await until(() => ctx.source.lag().sinks === 0);

  for (let i = 0; i < 20; i++)
    await primary.extensions.create({ customerId: acme.id, number: String(300 + i) });
  await until(() => ctx.source.headSeq() >= seqBefore + 20);
  await new Promise((r) => setTimeout(r, 30));

  // While the standby is away both ends report it behind.
  const away = ctx.source.lag();
  assert.is(away.sinks, 0);
  assert.ok(away.changes >= 20, JSON.stringify(away));
  assert.ok(away.seconds > 0, JSON.stringify(away));
  assert.ok(s.lag().seconds > 0);

  // A new sink on the same database resumes (no snapshot: rows the primary never had would survive).
  ctx.sdb.exec("CREATE TABLE marker (x)");
  ctx.sdb.exec("INSERT INTO marker VALUES (1)");
  ctx.pdb.exec("CREATE TABLE marker (x)");
  s = sink(ctx);
  await s.waitCaughtUp(3000);
  assert.is((await standby.extensions.listByCustomer(acme.id)).length, 20);
  // The marker row on the standby only was not wiped: the catch-up was incremental.
  assert.is(ctx.sdb.prepare("SELECT count(*) FROM marker").pluck().get(), 1);
  assert.ok(ctx.source.lag().sinks === 1);
});

R("lag: changes and seconds behind while the standby cannot apply", async (ctx) => {
  const acme = await ctx.primary.customers.create({ name: "Acme", domain: "acme.test" });
  const s = sink(ctx);
  await s.waitCaughtUp(3000);
  // Hold the standby's write lock from another connection: batches cannot be applied.
  const { default: Database } = await import("better-sqlite3");
  const blocker = new Database(join(ctx.dir, "standby.db"), { timeout: 1 });
  ctx.sdb.pragma("busy_timeout = 1");
  blocker.exec("BEGIN IMMEDIATE");
  await ctx.primary.extensions.create({ customerId: acme.id, number: "201" });
  await until(() => ctx.source.lag().changes > 0);
  await new Promise((r) => setTimeout(r, 200));
  const behind = ctx.source.lag();
  assert.ok(behind.changes >= 1, JSON.stringify(behind));
  assert.ok(behind.seconds >= 0.15, JSON.stringify(behind));
  blocker.exec("ROLLBACK");
  blocker.close();
  await s.waitCaughtUp(3000);
  await until(() => ctx.source.lag().changes === 0);
  assert.is(s.lag().changes, 0);
});

R("fencing: a source with a lower epoch than the standby's is refused", async (ctx) => {
  await ctx.primary.customers.create({ name: "Acme", domain: "acme.test" });
  writeEpoch(ctx.sdb, 5);
  assert.is(readEpoch(ctx.sdb), 5);
  let fencedAt = -1;
  await ctx.source.stop();
  ctx.source = new ReplicationSource({ db: ctx.pdb, secret: SECRET, onFenced: (e) => (fencedAt = e) });
  ctx.port = (await ctx.source.start()).port;
  const s = sink(ctx);
  await until(() => s.lastError !== undefined);
  assert.instance(s.lastError, FencedError);
  assert.is(fencedAt, 5);
  assert.is((await ctx.standby.customers.list()).length, 0);
});

R.run();
