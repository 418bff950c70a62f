import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackupChecksumError } from "@centrex/failover";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFailoverSection, runBackup, runRestore } from "../src/cli/failover-commands.js";
import { failoverConfigSchema } from "../src/switch/failover/config.js";

test("backup of a live database, restore verifies the checksum and brings the data back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-backup-"));
  try {
    const live = openSqliteStore(join(dir, "live.db"));
    const acme = await live.customers.create({ name: "Acme", domain: "acme.test" });
    await live.extensions.create({ customerId: acme.id, number: "201", password: "pw-201-long" });
    // Taken while the "switch" still holds the database open.
    const r = await runBackup({ db: join(dir, "live.db"), dir: join(dir, "backups") });
    await live.extensions.create({ customerId: acme.id, number: "202" });
    await live.close();
    assert.ok(existsSync(r.file));
    assert.match(readFileSync(r.checksumFile, "utf8"), r.sha256);

    const target = join(dir, "restored.db");
    const restored = await runRestore(r.file, target);
    assert.is(restored.sha256, r.sha256);
    const store = openSqliteStore(target);
    try {
      const c = await store.customers.findByDomain("acme.test");
      assert.ok(c);
      assert.ok(await store.extensions.find(c.id, "201"));
      assert.is(await store.extensions.find(c.id, "202"), undefined, "the copy is as of the backup");
    } finally {
      await store.close();
    }

    // A corrupted backup is refused and the target is left alone.
    const bytes = readFileSync(r.file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(r.file, bytes);
    const before = readFileSync(target);
    try {
      await runRestore(r.file, target);
      assert.unreachable("checksum mismatch");
    } catch (err) {
      assert.instance(err, BackupChecksumError);
    }
    assert.ok(readFileSync(target).equals(before));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the failover section is validated by key; a config file's section is read on its own", () => {
  const bad = failoverConfigSchema.safeParse({
    role: "primary",
    secret: "short",
    peer: { name: "b", host: "x" },
  });
  assert.not.ok(bad.success);
  assert.equal(bad.error?.issues[0]?.path, ["secret"]);
  const dir = mkdtempSync(join(tmpdir(), "centrex-fo-config-"));
  try {
    const file = join(dir, "c.yaml");
    writeFileSync(
      file,
      "node: { name: a }\nfailover:\n  role: standby\n  secret: a-pair-secret-of-some-length\n  peer: { name: b, host: 127.0.0.1 }\n  backup: { dir: /tmp/x }\n",
    );
    const f = readFailoverSection(file);
    assert.is(f.role, "standby");
    assert.is(f.peer.replicationPort, 7070);
    assert.is(f.probe.misses, 3);
    assert.is(f.backup?.time, "03:00");
    writeFileSync(file, "failover:\n  role: boss\n");
    assert.throws(() => readFailoverSection(file), /failover\.role/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
