import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConflictError } from "../src/index.js";
import { GroupCommit } from "../src/sqlite/group-commit.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("GroupCommit");
const tmp = tempDir();
t.after(() => tmp.remove());

function open(name: string): { db: Database.Database; group: GroupCommit; ids: () => number[] } {
  const db = new Database(tmp.file(name));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT NOT NULL)");
  const ids = (): number[] => db.prepare("SELECT id FROM t ORDER BY id").pluck().all() as number[];
  return { db, group: new GroupCommit(db), ids };
}

t(
  "writes of one turn share one transaction; a failed write, with a savepoint or without, rolls back alone",
  async () => {
    const { db, group, ids } = open("batch.db");
    db.prepare("INSERT INTO t VALUES (2, 'there before')").run();
    const insert = db.prepare("INSERT INTO t VALUES (?, ?)");
    let inTransaction = false;
    const writes = [
      group.run(() => {
        inTransaction = db.inTransaction;
        return insert.run(1, "a").changes;
      }),
      // One statement that fails (the primary key): SQLite undoes it alone, the batch goes on.
      group.runOneStatement(() => insert.run(2, "duplicate").changes),
      group.runOneStatement(() => insert.run(3, "c").changes),
      // Two statements, the second failing: its savepoint takes the first back too.
      group.run(() => {
        insert.run(4, "d");
        return insert.run(3, "duplicate").changes;
      }),
      group.runOneStatement(() => insert.run(5, "e").changes),
    ];
    const [a, dup, c, two, e] = await Promise.allSettled(writes);
    assert.equal(a, { status: "fulfilled", value: 1 });
    assert.equal(c, { status: "fulfilled", value: 1 });
    assert.equal(e, { status: "fulfilled", value: 1 });
    assert.is(dup?.status, "rejected");
    assert.instance((dup as PromiseRejectedResult).reason, ConflictError);
    assert.is(two?.status, "rejected");
    assert.instance((two as PromiseRejectedResult).reason, ConflictError);
    assert.equal(ids(), [1, 2, 3, 5], "the failed writes left nothing, the others are committed");
    assert.ok(inTransaction, "the batch ran in one transaction");
    assert.not.ok(db.inTransaction, "and it was committed");
    db.close();
  },
);

t("a lone one-statement write that fails rejects with the typed error and leaves nothing", async () => {
  const { db, group, ids } = open("alone.db");
  db.prepare("INSERT INTO t VALUES (1, 'x')").run();
  const insert = db.prepare("INSERT INTO t VALUES (?, ?)");
  await rejects(
    group.runOneStatement(() => insert.run(1, "y")),
    ConflictError,
  );
  assert.is(await group.runOneStatement(() => insert.run(2, "z").changes), 1);
  assert.equal(ids(), [1, 2]);
  db.close();
});

t.run();
