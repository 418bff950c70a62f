import type Database from "better-sqlite3";
import { translateSqlError } from "./sql-errors.js";

interface Outcome {
  readonly ok: boolean;
  readonly value: unknown;
}

interface Pending {
  readonly fn: () => unknown;
  /** `fn` runs exactly one statement: SQLite undoes a failed statement by itself, no savepoint needed. */
  readonly oneStatement: boolean;
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
  #queue: Pending[] = [];
  #scheduled = false;
  /**
   * The transaction wrappers, made once: `db.transaction(fn)` builds a function with its
   * variants per call, which per write cost as much as the write's own statement (profiled:
   * better-sqlite3's `transaction` 2.8 % of the REGISTER phase).
   */
  readonly #alone: Database.Transaction<(fn: () => unknown) => unknown>;
  readonly #batch: Database.Transaction<(batch: Pending[], outcomes: Outcome[]) => void>;
  /** Called inside `#batch`, better-sqlite3 runs it as a SAVEPOINT: that write alone rolls back on error. */
  readonly #savepoint: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(db: Database.Database) {
    this.#alone = db.transaction((fn: () => unknown) => fn());
    this.#savepoint = db.transaction((fn: () => unknown) => fn());
    this.#batch = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const p of batch) {
        try {
          outcomes.push({ ok: true, value: p.oneStatement ? p.fn() : this.#savepoint(p.fn) });
        } catch (err) {
          outcomes.push({ ok: false, value: translateSqlError(err) });
        }
      }
    });
  }

  run<T>(fn: () => T): Promise<T> {
    return this.#enqueue(fn, false);
  }

  /**
   * As `run`, for a write that is exactly one SQL statement with nothing after it that can throw
   * (a call's open-call row, its answer time): a statement that fails is rolled back by SQLite
   * alone, the transaction going on, so the write needs no SAVEPOINT/RELEASE of its own in a
   * batch — two statements fewer per write (counted: 6 of a call's 12 statements were these).
   */
  runOneStatement<T>(fn: () => T): Promise<T> {
    return this.#enqueue(fn, true);
  }

  #enqueue<T>(fn: () => T, oneStatement: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, oneStatement, resolve: resolve as (v: unknown) => void, reject });
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
        only.resolve(this.#alone.immediate(only.fn));
      } catch (err) {
        only.reject(translateSqlError(err));
      }
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      this.#batch.immediate(batch, outcomes);
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
