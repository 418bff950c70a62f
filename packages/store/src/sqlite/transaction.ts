import { StoreError } from "../errors.js";
import { HashedPin } from "../pin-hash.js";
import type { Store } from "../repositories.js";
import type { Ctx } from "./context.js";
import { translateSqlError } from "./sql-errors.js";

/*
 * `Store.transaction` for SQLite. One connection serves the whole process (the SIP side's
 * writes, the admin API, the switch's own actions), so a transaction left open across a turn
 * of the event loop would take in whatever another request wrote meanwhile — and roll it back
 * with its own failure. The repositories' calls settle at once (better-sqlite3 is
 * synchronous), so a transaction made only of them runs within one drain of the microtask
 * queue. Its end is observed exactly: a microtask queued at BEGIN schedules a process tick,
 * and Node runs ticks only once the microtask queue is empty — so if `fn` is still pending
 * then, it is waiting on something else (a hash on the libuv pool, the network), and the
 * transaction is rolled back there and then, before any other callback can write. The store
 * handed to `fn` refuses every call from that moment on, so nothing `fn` does later is
 * written outside the transaction it thinks it is in.
 */

interface TxState {
  open: boolean;
  stalled: boolean;
}

const STALLED =
  "store transaction rolled back: it waited on something other than the store (only store calls may run inside one)";

export function sqliteTransactions(ctx: Ctx, store: () => Store): Store["transaction"] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: (tx: Store) => Promise<T>): Promise<T> => {
    // One at a time: a second transaction waits for the first to finish (it cannot nest in it).
    const run = tail.then(() => once(ctx, store(), fn));
    tail = run.catch(() => undefined);
    return run;
  };
}

async function once<T>(ctx: Ctx, store: Store, fn: (tx: Store) => Promise<T>): Promise<T> {
  const db = ctx.db;
  if (db.inTransaction) throw new StoreError("a store transaction cannot start inside another");
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (err) {
    throw translateSqlError(err);
  }
  const state: TxState = { open: true, stalled: false };
  queueMicrotask(() =>
    process.nextTick(() => {
      if (!state.open) return;
      state.open = false;
      state.stalled = true;
      db.exec("ROLLBACK");
    }),
  );
  try {
    const result = await fn(guarded(store, state));
    if (state.stalled) throw new StoreError(STALLED);
    db.exec("COMMIT");
    state.open = false;
    return result;
  } catch (err) {
    if (state.open) {
      state.open = false;
      if (db.inTransaction) db.exec("ROLLBACK");
    }
    throw translateSqlError(err);
  }
}

/**
 * A plain code is hashed on the libuv pool before the row is written: called inside a
 * transaction, the write would land after the transaction had been rolled back for the wait.
 */
function pinsIn(pins: Store["pins"]): Store["pins"] {
  const hashFirst = () =>
    Promise.reject(new StoreError("inside a store transaction, give a PIN hashed beforehand (pins.hash)"));
  return new Proxy(pins, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t) as unknown;
      if (prop !== "create" && prop !== "change") return v;
      const write = v as (...a: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) =>
        args[prop === "create" ? 2 : 1] instanceof HashedPin ? write(...args) : hashFirst();
    },
  });
}

/** The store as `fn` sees it: every call refused once the transaction is over. */
function guarded(store: Store, state: TxState): Store {
  const refuse = () => Promise.reject(new StoreError(state.stalled ? STALLED : "store transaction is over"));
  const repo = <R extends object>(target: R): R =>
    new Proxy(target, {
      get(t, prop) {
        const v = Reflect.get(t, prop, t) as unknown;
        if (typeof v !== "function") return v;
        return (...args: unknown[]) =>
          state.open ? (v as (...a: unknown[]) => unknown).apply(t, args) : refuse();
      },
    });
  return {
    customers: repo(store.customers),
    extensions: repo(store.extensions),
    numbers: repo(store.numbers),
    ringGroups: repo(store.ringGroups),
    features: repo(store.features),
    locations: repo(store.locations),
    carriers: repo(store.carriers),
    policies: repo(store.policies),
    pins: pinsIn(repo(store.pins)),
    phones: repo(store.phones),
    audit: repo(store.audit),
    cdrs: repo(store.cdrs),
    invoices: repo(store.invoices),
    schemaVersion: store.schemaVersion,
    transaction: () => Promise.reject(new StoreError("a store transaction cannot start inside another")),
    close: () => Promise.reject(new StoreError("the store cannot be closed inside a transaction")),
  };
}
