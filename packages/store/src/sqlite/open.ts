import { chmodSync, existsSync } from "node:fs";
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import { MIGRATIONS } from "../migrations.js";
import type { Store } from "../repositories.js";
import { SqliteAuditLog } from "./audit.js";
import { SqliteCarriers } from "./carriers.js";
import { SqliteInvoices } from "./cdr-invoices.js";
import { SqliteCdrs } from "./cdrs.js";
import { type ChangeCheck, ChangeFeed } from "./change-feed.js";
import type { Ctx } from "./context.js";
import { SqliteCustomers } from "./customers.js";
import { SqliteExtensionFeatures } from "./extension-features.js";
import { SqliteExtensions } from "./extensions.js";
import { GroupCommit } from "./group-commit.js";
import { SqliteLocations } from "./locations.js";
import { migrate } from "./migrate.js";
import { SqliteNumbers } from "./numbers.js";
import { SqlitePhones } from "./phones.js";
import { SqlitePins } from "./pins.js";
import { SqlitePolicies } from "./policies.js";
import { SqliteRingGroups } from "./ring-groups.js";
import { sqliteTransactions } from "./transaction.js";

/** The raw better-sqlite3 connection behind a SQLite store (replication, online backup). */
export type SqliteDatabase = Database.Database;

// Keyed by the Store object so the Store interface stays backend-neutral.
const handles = new WeakMap<Store, SqliteDatabase>();

/**
 * The connection a SQLite store runs on, for the few subsystems that work below the
 * repositories (failover's replication triggers and online backup). Throws for any other store.
 */
export function sqliteHandle(store: Store): SqliteDatabase {
  const db = handles.get(store);
  if (db === undefined) throw new StoreError("not a SQLite store (no raw handle)");
  return db;
}

export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process's write lock (the CLI while the server runs)
   * before failing with "database is busy". The wait blocks the calling thread, so writers
   * keep their transactions short. Default 5000 ms.
   */
  busyTimeoutMs?: number;
  /** Clock for created_at/updated_at stamps; tests inject one. Default Date.now. */
  now?: () => number;
  /**
   * When the in-memory bindings and credentials look for another process's commits (the CLI):
   * `"lookup"` before each lookup (default), `"turn"` once per event-loop turn — the server's
   * choice, a change then counts from the next turn (change-feed.ts).
   */
  changeCheck?: ChangeCheck;
}

const isFile = (path: string): boolean => path !== "" && path !== ":memory:" && !path.startsWith("file:");

/**
 * Opens (creating if needed) and migrates a SQLite store.
 *
 * Durability: WAL journal with synchronous=FULL, so every committed transaction is fsynced to
 * the WAL before the call returns. better-sqlite3 is synchronous, so by the time a write
 * method's promise exists the data is on disk: awaiting it before sending the SIP response
 * (a REGISTER's 200, an admin API's 201) means a crash right after cannot lose it.
 *
 * Sharing: WAL lets the server read while a CLI process writes the same file. Bindings and
 * credentials are served from memory (locations.ts, extensions.ts), but dropped as soon as a row
 * they copy changes — on another connection (`PRAGMA data_version`, read before each cached
 * lookup, or once per event-loop turn with `changeCheck: "turn"`) or on this one outside the
 * cache (TEMP triggers) — so another process's change is visible on the next lookup (the next
 * turn), as without the caches (change-feed.ts).
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Store {
  const fresh = isFile(path) && !existsSync(path);
  const db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    // Carrier passwords and HA1s live here: owner-only. SQLite gives -wal/-shm the same mode.
    if (fresh) chmodSync(path, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    const schemaVersion = migrate(db, MIGRATIONS);
    const ctx: Ctx = {
      db,
      now: opts.now ?? Date.now,
      group: new GroupCommit(db),
      feed: new ChangeFeed(db, opts.changeCheck),
      beforeClose: [],
    };
    const store: Store = {
      customers: new SqliteCustomers(ctx),
      extensions: new SqliteExtensions(ctx),
      numbers: new SqliteNumbers(ctx),
      ringGroups: new SqliteRingGroups(ctx),
      features: new SqliteExtensionFeatures(ctx),
      locations: new SqliteLocations(ctx),
      carriers: new SqliteCarriers(ctx),
      policies: new SqlitePolicies(ctx),
      pins: new SqlitePins(ctx),
      phones: new SqlitePhones(ctx),
      audit: new SqliteAuditLog(ctx),
      cdrs: new SqliteCdrs(ctx),
      invoices: new SqliteInvoices(ctx),
      schemaVersion,
      transaction: sqliteTransactions(ctx, () => store),
      close: async () => {
        if (!db.open) return;
        for (const f of ctx.beforeClose) f();
        db.close();
      },
    };
    handles.set(store, db);
    return store;
  } catch (err) {
    db.close();
    throw err;
  }
}
