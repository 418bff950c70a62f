import type Database from "better-sqlite3";
import type { Stmt } from "./context.js";

/** A table whose rows the in-memory caches copy; `"*"`: anything, written by another connection. */
export type ChangedTable = "bindings" | "extensions" | "customers" | "extension_features" | "*";

/**
 * When the caches look for another connection's commits: before every lookup, or once per
 * event-loop turn (see ChangeFeed).
 */
export type ChangeCheck = "lookup" | "turn";

/** `key`: the binding's extension id for `bindings`, otherwise null. */
export type ChangeListener = (table: ChangedTable, key: number | null) => void;

const WATCHED: readonly [table: Exclude<ChangedTable, "*">, key: string][] = [
  ["bindings", "extension_id"],
  ["extensions", "NULL"],
  ["customers", "NULL"],
  ["extension_features", "NULL"],
];

/**
 * Tells the in-memory caches (locations, credentials, call features) that rows they copy changed behind
 * their back, so the store stays the one source of truth:
 *
 * - on THIS connection (the admin API in-process, the replication sink applying the primary's
 *   rows, a cascade from deleting a customer): TEMP triggers — which exist only for this
 *   connection — call a JS function per changed row, synchronously inside the statement;
 * - on ANOTHER connection (the `centrex` CLI, another process): `PRAGMA data_version` changes
 *   after each of its commits; `sync()` reads it before a cache answers — before every lookup
 *   (`"lookup"`), or once per event-loop turn (`"turn"`, the server's choice): the statement
 *   opens a WAL read transaction, 4 `fcntl` locks on the -shm file and ~5 µs, and a REGISTER
 *   does five lookups. Another process's commit then counts from the next turn: it is not
 *   ordered with anything the server does within a turn anyway (the datagrams a turn handles
 *   were read before it began), so no answer can tell the two apart.
 *
 * A cache's own writes run inside `quietly()`: it already knows what it wrote.
 */
export class ChangeFeed {
  readonly #dataVersion: Stmt<[], number>;
  readonly #listeners: ChangeListener[] = [];
  readonly #perTurn: boolean;
  #version: number;
  #quiet = 0;
  /** "turn" mode: data_version was read during this turn (cleared in the turn's check phase). */
  #fresh = false;
  readonly #stale = (): void => {
    this.#fresh = false;
  };

  constructor(db: Database.Database, check: ChangeCheck = "lookup") {
    this.#perTurn = check === "turn";
    db.function("centrex_row_changed", { deterministic: false }, (table: unknown, key: unknown) => {
      if (this.#quiet === 0) this.#emit(table as ChangedTable, typeof key === "number" ? key : null);
      return null;
    });
    for (const [table, key] of WATCHED) {
      for (const [event, row] of [
        ["INSERT", "NEW"],
        ["UPDATE", "NEW"],
        ["DELETE", "OLD"],
      ] as const) {
        const k = key === "NULL" ? "NULL" : `${row}.${key}`;
        db.exec(
          `CREATE TEMP TRIGGER IF NOT EXISTS centrex_cache_${table}_${event.toLowerCase()}
             AFTER ${event} ON main.${table} BEGIN SELECT centrex_row_changed('${table}', ${k}); END`,
        );
      }
    }
    this.#dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
    this.#version = this.#dataVersion.get()!;
  }

  on(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /** Reports `"*"` if another connection committed since the last check. */
  sync(): void {
    if (this.#fresh) return;
    if (this.#perTurn) {
      this.#fresh = true;
      setImmediate(this.#stale);
    }
    const v = this.#dataVersion.get()!;
    if (v !== this.#version) {
      this.#version = v;
      this.#emit("*", null);
    }
  }

  /** Runs a cache's own write without reporting it back to the caches. */
  quietly<T>(fn: () => T): T {
    this.#quiet++;
    try {
      return fn();
    } finally {
      this.#quiet--;
    }
  }

  #emit(table: ChangedTable, key: number | null): void {
    for (const l of this.#listeners) l(table, key);
  }
}
