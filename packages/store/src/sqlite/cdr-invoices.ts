import { NotFoundError, ValidationError } from "../errors.js";
import type { InvoiceRepository, NewStoredInvoice, StoredInvoice } from "../repositories.js";
import { checkId, checkInteger, checkIsoDate, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  customer_id: number;
  period_start: string;
  period_end: string;
  issued_on: string;
  total_cents: number;
  document: string;
  paid_at: number | null;
  created_at: number;
}

const toInvoice = (r: Row): StoredInvoice => ({
  id: r.id,
  customerId: r.customer_id,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  issuedOn: r.issued_on,
  totalCents: r.total_cents,
  document: JSON.parse(r.document) as unknown,
  paidAt: r.paid_at,
  createdAt: r.created_at,
});

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export class SqliteInvoices implements InvoiceRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, string, number, string, number], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #covering: Stmt<[number, string, string], Row>;
  readonly #paid: Stmt<[number, number], Row>;
  readonly #withdraw: Stmt<[number, string, string, number]>;
  readonly #withdrawn: Stmt<[number], { month: string }>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO invoices (customer_id, period_start, period_end, issued_on, total_cents, document, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM invoices WHERE id = ?");
    this.#byCustomer = db.prepare("SELECT * FROM invoices WHERE customer_id = ? ORDER BY period_start");
    this.#covering = db.prepare(
      "SELECT * FROM invoices WHERE customer_id = ? AND period_start <= ? AND period_end > ? ORDER BY period_start LIMIT 1",
    );
    this.#paid = db.prepare("UPDATE invoices SET paid_at = ? WHERE id = ? RETURNING *");
    this.#withdraw = db.prepare(
      `INSERT INTO fair_use_withdrawals (customer_id, month, actor, confirmed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (customer_id, month) DO NOTHING`,
    );
    this.#withdrawn = db.prepare(
      "SELECT month FROM fair_use_withdrawals WHERE customer_id = ? ORDER BY month LIMIT 1",
    );
  }

  async create(input: NewStoredInvoice): Promise<StoredInvoice> {
    const customerId = checkId(input.customerId, "customerId");
    const start = checkIsoDate(input.periodStart, "periodStart");
    const end = checkIsoDate(input.periodEnd, "periodEnd");
    const issued = checkIsoDate(input.issuedOn, "issuedOn");
    const total = checkInteger(
      input.totalCents,
      "totalCents",
      -Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    );
    const doc = JSON.stringify(input.document);
    return sql(() =>
      toInvoice(this.#insert.get(customerId, start, end, issued, total, doc, this.#ctx.now())!),
    );
  }

  async get(id: number): Promise<StoredInvoice> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("invoice", id);
    return toInvoice(row);
  }

  async listByCustomer(customerId: number): Promise<StoredInvoice[]> {
    return this.#byCustomer.all(customerId).map(toInvoice);
  }

  async covering(customerId: number, day: string): Promise<StoredInvoice | undefined> {
    const row = this.#covering.get(customerId, day, day);
    return row ? toInvoice(row) : undefined;
  }

  async markPaid(id: number, at: number): Promise<StoredInvoice> {
    const row = sql(() => this.#paid.get(at, id));
    if (!row) throw new NotFoundError("invoice", id);
    return toInvoice(row);
  }

  async withdrawUnlimited(customerId: number, month: string, actor: string): Promise<void> {
    checkId(customerId, "customerId");
    if (!MONTH.test(month)) throw new ValidationError("month", 'month must be "YYYY-MM"');
    sql(() =>
      this.#withdraw.run(customerId, month, checkText(actor, "actor", { max: 200 }), this.#ctx.now()),
    );
  }

  async unlimitedWithdrawnSince(customerId: number): Promise<string | undefined> {
    return this.#withdrawn.get(customerId)?.month;
  }
}
