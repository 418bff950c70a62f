import type { AuditLog } from "../repositories.js";
import type { AuditEntry, AuditEntryInput, AuditQuery } from "../types.js";
import { checkInteger, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  at: number;
  actor: string;
  action: string;
  customer_id: number | null;
  detail: string;
}

const toEntry = (r: Row): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  customerId: r.customer_id,
  detail: JSON.parse(r.detail) as unknown,
});

interface ListParams {
  customer_id: number | null;
  domain: string | null;
  since: number;
  limit: number;
}

/** Append-only: there is deliberately no update or delete. */
export class SqliteAuditLog implements AuditLog {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, number | null, string], Row>;
  readonly #list: Stmt<[ListParams], Row>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      "INSERT INTO audit_log (at, actor, action, customer_id, detail) VALUES (?, ?, ?, ?, ?) RETURNING *",
    );
    this.#list = db.prepare(
      `SELECT * FROM audit_log
       WHERE (@customer_id IS NULL OR customer_id = @customer_id)
         AND (@domain IS NULL OR json_extract(detail, '$.customer') = @domain)
         AND at >= @since
       ORDER BY at DESC, id DESC LIMIT @limit`,
    );
  }

  async append(entry: AuditEntryInput): Promise<AuditEntry> {
    const actor = checkText(entry.actor, "actor", { max: 200 });
    const action = checkText(entry.action, "action", { max: 100 });
    const customerId =
      entry.customerId == null
        ? null
        : checkInteger(entry.customerId, "customerId", 1, Number.MAX_SAFE_INTEGER);
    const detail = JSON.stringify(entry.detail ?? null);
    return sql(() => toEntry(this.#insert.get(this.#ctx.now(), actor, action, customerId, detail)!));
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#list
      .all({
        customer_id: query.customerId ?? null,
        domain: query.domain ?? null,
        since: query.since ?? 0,
        limit: checkInteger(query.limit ?? 100, "limit", 1, 10_000),
      })
      .map(toEntry);
  }
}
