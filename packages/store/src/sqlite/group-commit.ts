import type Database from "better-sqlite3";
import { translateSqlError } from "./sql-errors.js";

interface Pending {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit: the hot-path writes issued during one turn of the event loop
 * (bindings of a burst of REGISTERs, call records of a burst of hang-ups) are
 * applied in ONE transaction, so they share one fsync, and each caller's
 * promise resolves only after that commit — a write is still on disk before
 * its SIP answer goes out. Each write runs in its own savepoint, so one that
 * fails (a constraint, a missing row) rolls back alone and rejects alone.
 */
export class GroupCommit {
  readonly #db: Database.Database;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    const only = batch.length === 1 ? batch[0]! : undefined;
    if (only !== undefined) {
      // Alone in its transaction, which is then its savepoint (no SAVEPOINT/RELEASE of its own):
      // a failure, of its statements or of the commit, is this one caller's.
      try {
        only.resolve(this.#db.transaction(only.fn).immediate());
      } catch (err) {
        only.reject(translateSqlError(err));
      }
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.#db
        .transaction(() => {
          for (const p of batch) {
            try {
              // A nested better-sqlite3 transaction is a SAVEPOINT: this write alone rolls back on error.
              outcomes.push({ ok: true, value: this.#db.transaction(p.fn)() });
            } catch (err) {
              outcomes.push({ ok: false, value: translateSqlError(err) });
            }
          }
        })
        .immediate();
    } catch (err) {
      // The commit itself failed (disk full, lock timeout): nothing of the batch is durable.
      const e = translateSqlError(err);
      for (const p of batch) p.reject(e);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      if (o.ok) batch[i]!.resolve(o.value);
      else batch[i]!.reject(o.value);
    }
  }
}
