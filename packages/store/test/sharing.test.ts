import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError, openSqliteStore, StoreError } from "../src/index.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("two connections on one file");
const tmp = tempDir();
t.after(() => tmp.remove());

t("a write on one connection is seen by the other on its next lookup", async () => {
  const path = tmp.file("shared.db");
  const server = openSqliteStore(path);
  const cli = openSqliteStore(path);
  // The server looks up first, so it has prepared statements and a warm page cache.
  assert.is(await server.extensions.findCredentials("a.pbx.test", "201"), undefined);
  const c = await cli.customers.create({ name: "A", domain: "a.pbx.test" });
  const e = await cli.extensions.create({ customerId: c.id, number: "201", password: "password-1" });
  const seen = await server.extensions.findCredentials("a.pbx.test", "201");
  assert.is(seen?.extensionId, e.id);
  const before = seen?.ha1Md5;
  await cli.extensions.setPassword(e.id, "password-2");
  assert.is.not((await server.extensions.findCredentials("a.pbx.test", "201"))?.ha1Md5, before);
  await cli.extensions.update(e.id, { enabled: false });
  assert.is((await server.extensions.findCredentials("a.pbx.test", "201"))?.enabled, false);
  // Uniqueness holds across connections.
  await rejects(server.customers.create({ name: "A2", domain: "a.pbx.test" }), ConflictError);
  await server.close();
  await cli.close();
});

t("a reader is not blocked while another connection holds the write lock", async () => {
  const path = tmp.file("locked.db");
  const store = openSqliteStore(path);
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  other.prepare("UPDATE customers SET name = 'renamed' WHERE id = ?").run(c.id);
  // WAL: readers see the last committed state, without waiting for the writer.
  assert.is((await store.customers.get(c.id)).name, "A");
  other.exec("COMMIT");
  assert.is((await store.customers.get(c.id)).name, "renamed");
  other.close();
  await store.close();
});

t("a writer waits for the busy timeout, then fails with a clear error", async () => {
  const path = tmp.file("busy.db");
  const store = openSqliteStore(path, { busyTimeoutMs: 50 });
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  const started = Date.now();
  const err = await rejects(store.customers.create({ name: "A", domain: "a.pbx.test" }), StoreError);
  assert.match(err.message, /busy/);
  assert.ok(Date.now() - started >= 40, "waited for the lock");
  other.exec("ROLLBACK");
  await store.customers.create({ name: "A", domain: "a.pbx.test" });
  other.close();
  await store.close();
});

t("a write by another process (the CLI) is seen by the running server at once", async () => {
  const path = tmp.file("cli.db");
  const server = openSqliteStore(path);
  assert.is(await server.extensions.findCredentials("cli.pbx.test", "201"), undefined);
  const child = fileURLToPath(new URL("./child-writer.ts", import.meta.url));
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", child, path], { timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`child failed: ${stderr}`)) : resolve(),
    );
  });
  const cred = await server.extensions.findCredentials("cli.pbx.test", "201");
  assert.ok(cred, "server sees the extension without reopening");
  assert.is(cred.realm, "cli.pbx.test");
  await server.close();
});

t.run();
