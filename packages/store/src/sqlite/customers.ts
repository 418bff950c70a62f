import { ConflictError, NotFoundError } from "../errors.js";
import type { CustomerRepository } from "../repositories.js";
import type { Customer, CustomerPatch, CustomerStatus, NewCustomer } from "../types.js";
import { checkDomain, checkId, checkOneOf, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

const STATUSES: readonly CustomerStatus[] = ["active", "suspended", "terminated"];

interface Row {
  id: number;
  name: string;
  domain: string;
  status: CustomerStatus;
  created_at: number;
}

const toCustomer = (r: Row): Customer => ({
  id: r.id,
  name: r.name,
  domain: r.domain,
  status: r.status,
  createdAt: r.created_at,
});

export class SqliteCustomers implements CustomerRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, string, number], Row>;
  readonly #nextId: Stmt<[], { next: number }>;
  readonly #raiseHighWater: Stmt<[number]>;
  readonly #byId: Stmt<[number], Row>;
  readonly #byDomain: Stmt<[string], Row>;
  readonly #all: Stmt<[], Row>;
  readonly #update: Stmt<[string, string, number], Row>;
  readonly #setDomain: Stmt<[string, number], Row>;
  readonly #withPasswords: Stmt<[number], { n: number }>;
  readonly #clearHa1: Stmt<[number]>;
  readonly #delete: Stmt<[number]>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      "INSERT INTO customers (id, name, domain, status, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
    );
    this.#nextId = db.prepare(
      `SELECT max(coalesce((SELECT last FROM id_high_water WHERE name = 'customers'), 0),
                  coalesce((SELECT max(id) FROM customers), 0)) + 1 AS next`,
    );
    this.#raiseHighWater = db.prepare(
      "INSERT OR REPLACE INTO id_high_water (name, last) VALUES ('customers', ?)",
    );
    this.#byId = db.prepare("SELECT * FROM customers WHERE id = ?");
    this.#byDomain = db.prepare("SELECT * FROM customers WHERE domain = ?");
    this.#all = db.prepare("SELECT * FROM customers ORDER BY id");
    this.#update = db.prepare("UPDATE customers SET name = ?, status = ? WHERE id = ? RETURNING *");
    this.#setDomain = db.prepare("UPDATE customers SET domain = ? WHERE id = ? RETURNING *");
    this.#withPasswords = db.prepare(
      "SELECT count(*) AS n FROM extensions WHERE customer_id = ? AND (ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL)",
    );
    this.#clearHa1 = db.prepare(
      "UPDATE extensions SET ha1_md5 = NULL, ha1_sha256 = NULL WHERE customer_id = ?",
    );
    this.#delete = db.prepare("DELETE FROM customers WHERE id = ?");
  }

  async create(input: NewCustomer): Promise<Customer> {
    const name = checkText(input.name, "name");
    const domain = checkDomain(input.domain);
    const status = checkOneOf(input.status ?? "active", STATUSES, "status");
    // Ids are never reused (see migration 5): audit rows and call records outlive the customer.
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const id = this.#nextId.get()!.next;
          const row = this.#insert.get(id, name, domain, status, this.#ctx.now())!;
          this.#raiseHighWater.run(id);
          return toCustomer(row);
        })
        .immediate(),
    );
  }

  async get(id: number): Promise<Customer> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("customer", id);
    return toCustomer(row);
  }

  async findByDomain(domain: string): Promise<Customer | undefined> {
    const row = this.#byDomain.get(domain.toLowerCase());
    return row ? toCustomer(row) : undefined;
  }

  async list(): Promise<Customer[]> {
    return this.#all.all().map(toCustomer);
  }

  async update(id: number, patch: CustomerPatch): Promise<Customer> {
    checkId(id, "id");
    const name = patch.name === undefined ? undefined : checkText(patch.name, "name");
    const status = patch.status === undefined ? undefined : checkOneOf(patch.status, STATUSES, "status");
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const cur = this.#byId.get(id);
          if (!cur) throw new NotFoundError("customer", id);
          return toCustomer(this.#update.get(name ?? cur.name, status ?? cur.status, id)!);
        })
        .immediate(),
    );
  }

  async changeDomain(
    id: number,
    domain: string,
    opts: { clearCredentials?: boolean } = {},
  ): Promise<Customer> {
    const d = checkDomain(domain);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const cur = this.#byId.get(id);
          if (!cur) throw new NotFoundError("customer", id);
          if (cur.domain === d) return toCustomer(cur);
          if (this.#withPasswords.get(id)!.n > 0) {
            if (!opts.clearCredentials) {
              throw new ConflictError(
                "domain",
                "the domain is the digest realm of this customer's extensions: changing it invalidates their " +
                  "passwords; retry with clearCredentials and set new passwords",
              );
            }
            this.#clearHa1.run(id);
          }
          return toCustomer(this.#setDomain.get(d, id)!);
        })
        .immediate(),
    );
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("customer", id);
  }
}
