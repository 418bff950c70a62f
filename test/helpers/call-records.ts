import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { centrex } from "./centrex.js";

/**
 * The latest call record of a switch's database, these columns of it (SQL, e.g. `extension,
 * called`). Waits a little first: the record is written as the call's BYE is answered.
 */
export async function lastRecord(
  db: string,
  columns = "extension, dialled, called, disposition, sip_status AS status, direction",
): Promise<Record<string, string | number | null>> {
  await new Promise((r) => setTimeout(r, 300));
  const store = openSqliteStore(db);
  try {
    return sqliteHandle(store)
      .prepare(`SELECT ${columns} FROM cdrs ORDER BY seq DESC LIMIT 1`)
      .get() as Record<string, string | number | null>;
  } finally {
    await store.close();
  }
}

/** Today's call records of a customer, as `centrex cdr export --format json` gives them. */
export async function exportedRecords(db: string, domain: string): Promise<Array<Record<string, string>>> {
  const day = new Date().toISOString().slice(0, 10);
  const r = await centrex([
    "cdr",
    "export",
    "--customer",
    domain,
    "--from",
    day,
    "--to",
    day,
    "--format",
    "json",
    "--db",
    db,
  ]);
  if (r.code !== 0) throw new Error(`centrex cdr export failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, string>>;
}
