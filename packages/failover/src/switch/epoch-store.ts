import type { SqliteDatabase } from "@centrex/store";
import { readEpoch, writeEpoch } from "../replication/meta.js";

/**
 * Where a node keeps its fencing epoch. `set` never lowers it and returns the stored value, so
 * a node that was fenced cannot be talked back into an older epoch.
 */
export interface EpochStore {
  get(): number;
  set(epoch: number): number;
}

/** The epoch in the node's own database (`_repl_meta`), carried by replication and health. */
export function sqliteEpochStore(db: SqliteDatabase): EpochStore {
  return { get: () => readEpoch(db), set: (n) => writeEpoch(db, n) };
}

/** For unit tests and nodes without a database. */
export function memoryEpochStore(initial = 0): EpochStore {
  let epoch = initial;
  return {
    get: () => epoch,
    set: (n) => {
      epoch = Math.max(epoch, n);
      return epoch;
    },
  };
}
