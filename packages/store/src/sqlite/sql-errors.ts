import { ConflictError, StoreError, ValidationError } from "../errors.js";

/*
 * Turns SQLite constraint failures into typed errors naming the caller's field. Uniqueness
 * messages look like "UNIQUE constraint failed: extensions.customer_id, extensions.number";
 * the last column is the one the caller chose (the others scope it). Triggers raise
 * "conflict:<field>:<message>" or "validation:<field>:<message>".
 */

const FIELD_OVERRIDES: Record<string, string> = {
  "phone_numbers.customer_id": "isMain",
};

function camel(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function translateSqlError(err: unknown): unknown {
  if (!(err instanceof Error) || !("code" in err) || typeof err.code !== "string") return err;
  const code = err.code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const cols = err.message.replace(/^.*constraint failed: /, "").split(", ");
    const last = cols.at(-1) ?? "";
    const field = FIELD_OVERRIDES[last] ?? camel(last.slice(last.indexOf(".") + 1));
    const what = field === "isMain" ? "the customer already has a main number" : `${field} is already in use`;
    return new ConflictError(field, what);
  }
  if (code === "SQLITE_CONSTRAINT_TRIGGER") {
    const m = /^(conflict|validation):([A-Za-z]+):(.*)$/.exec(err.message);
    if (m) return m[1] === "conflict" ? new ConflictError(m[2]!, m[3]!) : new ValidationError(m[2]!, m[3]!);
  }
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    return new ValidationError("reference", "a referenced row does not exist");
  }
  if (code === "SQLITE_CONSTRAINT_CHECK") {
    return new ValidationError("value", err.message);
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT") {
    return new StoreError(`database is busy (another process holds the write lock): ${err.message}`);
  }
  return err;
}

/** Runs `fn`, translating SQLite errors; the async wrapper makes any throw a rejection. */
export function sql<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translateSqlError(err);
  }
}
