import type { SqliteDatabase } from "@centrex/store";
import { ReplicationSchemaError } from "./errors.js";
import { REPL_PREFIX } from "./meta.js";
import type { SqlValue, WireValue } from "./values.js";
import { decodeRow, decodeValue, encodeRow, encodeValue } from "./values.js";

/*
 * Table-generic, trigger-based change capture.
 *
 * Why triggers and not WAL/page shipping: the standby is a live SQLite file that its own
 * centrex process keeps open, and page images cannot be applied under an open connection
 * without stopping it; WAL frames are also tied to one checkpoint history, which a restore or a
 * role swap breaks. Row-level capture survives both, needs no schema knowledge (tables are found
 * in sqlite_master at start, so the CDR tables another migration adds are picked up as they
 * come), and stays within the store's one connection.
 *
 * The triggers record only *which* row changed (table + rowid, or the primary key of a WITHOUT
 * ROWID table). The source ships the row's current image, read in the same read transaction as
 * the changelog range, so every batch carries the source's state at one instant for every key it
 * names; the standby applies a batch in one transaction. Intermediate states are skipped, never
 * mixed.
 */

export interface TableInfo {
  readonly name: string;
  readonly withoutRowid: boolean;
  /** Ordinary columns, in declaration order (generated/hidden columns excluded). */
  readonly columns: readonly string[];
  /** Primary-key columns in key order (WITHOUT ROWID tables). */
  readonly pk: readonly string[];
  /** The table has an INTEGER PRIMARY KEY, so inserting its columns sets the rowid too. */
  readonly rowidAlias: boolean;
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const TRIGGER_PREFIX = `${REPL_PREFIX}t_`;

/** User tables in creation order (parents usually before children), skipping `_repl_*`. */
export function listUserTables(db: SqliteDatabase): TableInfo[] {
  const rows = db
    .prepare(
      `SELECT m.name AS name, t.wr AS wr FROM sqlite_master m
       JOIN pragma_table_list t ON t.name = m.name AND t.schema = 'main'
       WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         AND m.name NOT LIKE '\\_repl\\_%' ESCAPE '\\' AND t.type = 'table'
       ORDER BY m.rowid`,
    )
    .all() as { name: string; wr: number }[];
  return rows.map((r) => {
    const cols = db.prepare("SELECT name, type, pk FROM pragma_table_info(?)").all(r.name) as {
      name: string;
      type: string;
      pk: number;
    }[];
    const pkCols = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const withoutRowid = r.wr === 1;
    return {
      name: r.name,
      withoutRowid,
      columns: cols.map((c) => c.name),
      pk: pkCols.map((c) => c.name),
      rowidAlias: !withoutRowid && pkCols.length === 1 && pkCols[0]?.type.toUpperCase() === "INTEGER",
    };
  });
}

const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

function keyExpr(t: TableInfo, row: "NEW" | "OLD"): string {
  if (!t.withoutRowid) return `${row}.rowid`;
  return `json_array(${t.pk.map((c) => `${row}.${quoteIdent(c)}`).join(", ")})`;
}

/** Creates the capture triggers on every user table (idempotent). Returns the tables covered. */
export function installCaptureTriggers(db: SqliteDatabase): TableInfo[] {
  const tables = listUserTables(db);
  const log = (t: TableInfo, row: "NEW" | "OLD"): string =>
    `INSERT INTO _repl_changelog (tbl, key, at) VALUES ('${t.name.replaceAll("'", "''")}', ${keyExpr(t, row)}, ${NOW_MS});`;
  db.transaction(() => {
    for (const t of tables) {
      const q = quoteIdent(t.name);
      const base = `${TRIGGER_PREFIX}${t.name}`;
      db.exec(
        `CREATE TRIGGER IF NOT EXISTS ${quoteIdent(`${base}_ins`)} AFTER INSERT ON ${q} BEGIN ${log(t, "NEW")} END;
         CREATE TRIGGER IF NOT EXISTS ${quoteIdent(`${base}_upd`)} AFTER UPDATE ON ${q} BEGIN ${log(t, "OLD")} ${log(t, "NEW")} END;
         CREATE TRIGGER IF NOT EXISTS ${quoteIdent(`${base}_del`)} AFTER DELETE ON ${q} BEGIN ${log(t, "OLD")} END;`,
      );
    }
  })();
  return tables;
}

/** Removes every capture trigger: a standby must not log the changes it applies. */
export function dropCaptureTriggers(db: SqliteDatabase): void {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_repl\\_t\\_%' ESCAPE '\\'`,
    )
    .pluck()
    .all() as string[];
  for (const n of names) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(n)}`);
}

/** The changes to one table inside a batch or a snapshot, as sent on the wire. */
export interface WireTableChanges {
  tbl: string;
  cols: string[];
  /** true: each row starts with its rowid, and keys are rowids. */
  rowid: boolean;
  /** Keys whose rows must be removed before `rows` are inserted (every key the batch touched). */
  keys: WireValue[];
  rows: WireValue[][];
}

export interface ChangeBatch {
  fromSeq: number;
  toSeq: number;
  /** Time the last change in the batch was committed on the source (epoch ms). */
  lastAt: number;
  tables: WireTableChanges[];
}

function selectSql(t: TableInfo): string {
  const cols = t.columns.map(quoteIdent).join(", ");
  return t.withoutRowid
    ? `SELECT ${cols} FROM ${quoteIdent(t.name)}`
    : `SELECT rowid, ${cols} FROM ${quoteIdent(t.name)}`;
}

function whereKey(t: TableInfo): string {
  return t.withoutRowid ? t.pk.map((c) => `${quoteIdent(c)} = ?`).join(" AND ") : "rowid = ?";
}

function keyParams(t: TableInfo, key: SqlValue): SqlValue[] {
  if (!t.withoutRowid) return [key];
  const parsed = JSON.parse(String(key)) as unknown;
  if (!Array.isArray(parsed) || parsed.length !== t.pk.length)
    throw new ReplicationSchemaError(`bad key ${String(key)} for ${t.name}`);
  return parsed as SqlValue[];
}

/** Reads the rows for `keys` (now, from this connection) and shapes them as a table change. */
function readRows(db: SqliteDatabase, t: TableInfo, keys: SqlValue[]): WireTableChanges {
  const stmt = db
    .prepare(`${selectSql(t)} WHERE ${whereKey(t)}`)
    .raw(true)
    .safeIntegers(true);
  const rows: WireValue[][] = [];
  for (const k of keys) {
    const row = stmt.get(...keyParams(t, k)) as SqlValue[] | undefined;
    if (row !== undefined) rows.push(encodeRow(row));
  }
  return { tbl: t.name, cols: [...t.columns], rowid: !t.withoutRowid, keys: keys.map(encodeValue), rows };
}

/**
 * Reads the next batch after `afterSeq` (at most `limit` changelog entries) with the current
 * images of the rows it names, all in one read transaction. Undefined when nothing is pending.
 */
export function readBatch(
  db: SqliteDatabase,
  tables: ReadonlyMap<string, TableInfo>,
  afterSeq: number,
  limit: number,
): ChangeBatch | undefined {
  return db.transaction((): ChangeBatch | undefined => {
    const entries = db
      .prepare("SELECT seq, tbl, key, at FROM _repl_changelog WHERE seq > ? ORDER BY seq LIMIT ?")
      .safeIntegers(true)
      .all(afterSeq, limit) as { seq: bigint; tbl: string; key: SqlValue; at: bigint }[];
    const last = entries[entries.length - 1];
    if (last === undefined) return undefined;
    const byTable = new Map<string, Map<string, SqlValue>>();
    for (const e of entries) {
      let keys = byTable.get(e.tbl);
      if (keys === undefined) {
        keys = new Map();
        byTable.set(e.tbl, keys);
      }
      keys.set(typeof e.key === "bigint" ? `i${e.key}` : `s${String(e.key)}`, e.key);
    }
    const out: WireTableChanges[] = [];
    for (const [name, keys] of byTable) {
      const t = tables.get(name);
      if (t === undefined) throw new ReplicationSchemaError(`changelog names unknown table ${name}`);
      out.push(readRows(db, t, [...keys.values()]));
    }
    return { fromSeq: afterSeq, toSeq: Number(last.seq), lastAt: Number(last.at), tables: out };
  })();
}

/** Every row of every user table, read in the caller's transaction. */
export function readSnapshotTables(db: SqliteDatabase, tables: readonly TableInfo[]): WireTableChanges[] {
  return tables.map((t) => {
    const rows = (db.prepare(selectSql(t)).raw(true).safeIntegers(true).all() as SqlValue[][]).map(encodeRow);
    return { tbl: t.name, cols: [...t.columns], rowid: !t.withoutRowid, keys: [], rows };
  });
}

/**
 * Applies table changes in the caller's transaction: first every touched key is deleted (all
 * tables), then the rows are inserted in the sink's table-creation order, so a row that moved a
 * UNIQUE value to another row never collides with a stale image. With `truncate`, each listed
 * table is emptied first (snapshot). Foreign keys must be off on the connection: the source
 * already enforced them and its cascades arrive as changes of their own.
 */
export function applyTableChanges(
  db: SqliteDatabase,
  tables: ReadonlyMap<string, TableInfo>,
  order: readonly string[],
  changes: readonly WireTableChanges[],
  truncate: boolean,
): number {
  const byName = new Map<string, WireTableChanges[]>();
  for (const c of changes) {
    const t = tables.get(c.tbl);
    if (t === undefined) throw new ReplicationSchemaError(`no table ${c.tbl} on this node`);
    const list = byName.get(c.tbl);
    if (list === undefined) byName.set(c.tbl, [c]);
    else list.push(c);
    if (truncate && list === undefined) db.prepare(`DELETE FROM ${quoteIdent(t.name)}`).run();
    if (c.keys.length > 0) {
      const del = db.prepare(`DELETE FROM ${quoteIdent(t.name)} WHERE ${whereKey(t)}`);
      for (const k of c.keys) del.run(...keyParams(t, decodeValue(k)));
    }
  }
  let applied = 0;
  for (const name of order) {
    const list = byName.get(name);
    if (list === undefined) continue;
    for (const c of list) {
      const t = tables.get(name) as TableInfo;
      const explicitRowid = c.rowid && !t.rowidAlias;
      const cols = (explicitRowid ? ["rowid", ...c.cols.map(quoteIdent)] : c.cols.map(quoteIdent)).join(", ");
      const n = c.cols.length + (explicitRowid ? 1 : 0);
      const sql = `INSERT INTO ${quoteIdent(t.name)} (${cols}) VALUES (${Array.from({ length: n }, () => "?").join(", ")})`;
      const ins = prepareOrSchemaError(db, sql, t.name);
      for (const w of c.rows) {
        const row = decodeRow(w);
        ins.run(...(c.rowid && !explicitRowid ? row.slice(1) : row));
        applied++;
      }
    }
  }
  return applied;
}

function prepareOrSchemaError(db: SqliteDatabase, sql: string, table: string) {
  try {
    return db.prepare<SqlValue[]>(sql);
  } catch (err) {
    throw new ReplicationSchemaError(`cannot insert into ${table}: ${(err as Error).message}`);
  }
}
