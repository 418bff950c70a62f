import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  BackupChecksumError,
  backup,
  nextDailyRun,
  pruneBackups,
  ReplicationSource,
  restore,
  scheduleDailyBackups,
} from "../src/index.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "centrex-backup-"));

test("online backup while writes continue, checksum file, restore gives the same data", async () => {
  const dir = tmp();
  try {
    const store = openSqliteStore(join(dir, "live.db"));
    const db = sqliteHandle(store);
    const acme = await store.customers.create({ name: "Acme", domain: "acme.test" });
    for (let i = 0; i < 50; i++)
      await store.extensions.create({ customerId: acme.id, number: String(200 + i) });
    // Capture triggers on the live database must not follow the copy.
    const source = new ReplicationSource({ db, secret: "x" });
    await source.start();
    // A writer keeps going during the backup: the switch is not stopped.
    let n = 0;
    const writer = setInterval(() => {
      void store.audit.append({ actor: "test", action: `tick-${n++}` });
    }, 1);
    const r = await backup(db, join(dir, "backups"));
    clearInterval(writer);
    await source.stop();

    assert.ok(existsSync(r.file));
    const sum = readFileSync(r.checksumFile, "utf8");
    const actual = createHash("sha256").update(readFileSync(r.file)).digest("hex");
    assert.is(sum, `${actual}  ${r.file.split("/").pop()}\n`);
    assert.is(r.sha256, actual);

    const target = join(dir, "restored", "centrex.db");
    assert.equal(await restore(r.file, target), { sha256: actual });
    const restored = openSqliteStore(target);
    assert.is((await restored.extensions.listByCustomer(acme.id)).length, 50);
    assert.is((await restored.customers.get(acme.id)).name, "Acme");
    const triggers = sqliteHandle(restored)
      .prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_repl%' ESCAPE '\\'",
      )
      .pluck()
      .get();
    assert.is(triggers, 0);
    await restored.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tampered backup or a missing checksum is refused and the target is left alone", async () => {
  const dir = tmp();
  try {
    const store = openSqliteStore(join(dir, "live.db"));
    await store.customers.create({ name: "Acme", domain: "acme.test" });
    const r = await backup(sqliteHandle(store), dir);
    await store.close();

    const target = join(dir, "target.db");
    writeFileSync(target, "the current database");
    const bytes = readFileSync(r.file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(r.file, bytes);
    try {
      await restore(r.file, target);
      assert.unreachable("restore accepted a tampered file");
    } catch (err) {
      assert.instance(err, BackupChecksumError);
    }
    assert.is(readFileSync(target, "utf8"), "the current database");

    rmSync(r.checksumFile);
    try {
      await restore(r.file, target);
      assert.unreachable("restore accepted a file without checksum");
    } catch (err) {
      assert.instance(err, BackupChecksumError);
    }
    assert.is(readFileSync(target, "utf8"), "the current database");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("daily schedule: next run time, runNow, and only the newest N kept", async () => {
  const dir = tmp();
  try {
    const base = new Date(2026, 10, 27, 10, 0, 0).getTime();
    assert.is(nextDailyRun(base, "03:00"), new Date(2026, 10, 28, 3, 0, 0).getTime());
    assert.is(nextDailyRun(base, "10:30"), new Date(2026, 10, 27, 10, 30, 0).getTime());
    assert.throws(() => nextDailyRun(base, "25:00"), RangeError);

    const store = openSqliteStore(join(dir, "live.db"));
    let day = 0;
    const sched = scheduleDailyBackups({
      db: sqliteHandle(store),
      dir: join(dir, "b"),
      keepDays: 3,
      now: () => base + day * 86_400_000,
    });
    assert.is(sched.nextAt, new Date(2026, 10, 28, 3, 0, 0).getTime());
    for (day = 0; day < 5; day++) await sched.runNow();
    sched.stop();
    const left = readdirSync(join(dir, "b")).sort();
    assert.is(left.length, 6, left.join(","));
    assert.ok(left[0]?.startsWith("centrex-20261129"), left[0]);
    assert.equal(await pruneBackups(join(dir, "b"), 1), [left[0], left[2]]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
