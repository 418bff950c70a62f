import { openSqliteStore, sqliteHandle } from "@centrex/store";

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
