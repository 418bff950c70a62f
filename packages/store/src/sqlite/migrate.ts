import type Database from "better-sqlite3";
import { SchemaVersionError, StoreError } from "../errors.js";
import type { Migration } from "../migrations.js";

/**
 * Brings the database to the last of `migrations`, each step and the version bump in one
 * IMMEDIATE transaction, so a crash leaves either the old or the new schema and two processes
 * opening a fresh file at once do not both migrate (the second re-reads the version under the
 * write lock). Refuses a database newer than the code. Returns the resulting version.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new StoreError(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const readVersion = (): number => db.pragma("user_version", { simple: true }) as number;

  const before = readVersion();
  if (before > latest) throw new SchemaVersionError(before, latest);
  if (before === latest) return before;

  const apply = db.transaction(() => {
    const current = readVersion();
    if (current > latest) throw new SchemaVersionError(current, latest);
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      // PRAGMA takes no bound parameters; the value is an integer we control.
      db.pragma(`user_version = ${m.version}`);
    }
  });
  apply.immediate();
  return readVersion();
}
