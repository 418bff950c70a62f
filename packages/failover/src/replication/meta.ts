import { randomUUID } from "node:crypto";
import type { SqliteDatabase } from "@centrex/store";

/*
 * Replication bookkeeping lives in tables named `_repl_*`, created at run time (CREATE TABLE IF
 * NOT EXISTS) rather than by a store migration: they belong to failover, not to the data model,
 * and replication itself skips every `_repl_*` table, so each node keeps its own.
 *
 *   _repl_meta       key/value: `generation` (this database's changelog identity), `epoch`
 *   _repl_changelog  one row per changed row key: (seq, tbl, key, at)
 *   _repl_state      on a standby: which source generation it follows and the last seq applied
 */
export const REPL_PREFIX = "_repl_";

export function ensureReplTables(db: SqliteDatabase): void {
  db.exec(`
CREATE TABLE IF NOT EXISTS _repl_meta (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _repl_changelog (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl  TEXT    NOT NULL,
  key  BLOB    NOT NULL, -- no affinity: a rowid stays an integer, a JSON key stays text
  at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _repl_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  generation  TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  epoch       INTEGER NOT NULL,
  applied_at  INTEGER NOT NULL
);`);
}

export function readMeta(db: SqliteDatabase, k: string): unknown {
  const row = db.prepare("SELECT v FROM _repl_meta WHERE k = ?").get(k) as { v: unknown } | undefined;
  return row?.v;
}

export function writeMeta(db: SqliteDatabase, k: string, v: string | number): void {
  db.prepare("INSERT INTO _repl_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v").run(
    k,
    v,
  );
}

/** The fencing epoch stored in this database (0 when never set). */
export function readEpoch(db: SqliteDatabase): number {
  ensureReplTables(db);
  const v = readMeta(db, "epoch");
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0;
}

/** Stores a new epoch; never lowers it (a stale writer cannot un-fence itself). */
export function writeEpoch(db: SqliteDatabase, epoch: number): number {
  ensureReplTables(db);
  const next = Math.max(readEpoch(db), epoch);
  writeMeta(db, "epoch", next);
  return next;
}

/**
 * A fresh changelog identity. A standby remembers (generation, seq); rotating the generation
 * makes every follower resynchronise from a snapshot, which is what must happen when the seq
 * numbers no longer describe the data (a restart after a restore, a node that was a standby).
 */
export function rotateGeneration(db: SqliteDatabase): string {
  ensureReplTables(db);
  const g = randomUUID();
  writeMeta(db, "generation", g);
  return g;
}

export interface SinkState {
  generation: string;
  seq: number;
  epoch: number;
}

export function readSinkState(db: SqliteDatabase): SinkState | undefined {
  const row = db.prepare("SELECT generation, seq, epoch FROM _repl_state WHERE id = 1").get() as
    | { generation: string; seq: number; epoch: number }
    | undefined;
  return row === undefined ? undefined : { generation: row.generation, seq: row.seq, epoch: row.epoch };
}

export function writeSinkState(db: SqliteDatabase, s: SinkState, now: number): void {
  db.prepare(
    `INSERT INTO _repl_state (id, generation, seq, epoch, applied_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, seq = excluded.seq,
       epoch = excluded.epoch, applied_at = excluded.applied_at`,
  ).run(s.generation, s.seq, s.epoch, now);
}
