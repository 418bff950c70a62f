import { NotFoundError } from "../errors.js";
import { HashedPin, hashPin, verifyPinHash } from "../pin-hash.js";
import type { PinRepository } from "../repositories.js";
import type { Pin } from "../types.js";
import { checkId, checkPin, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  customer_id: number;
  label: string;
  hash: string;
  created_at: number;
  updated_at: number;
}

const toPin = (r: Row): Pin => ({
  id: r.id,
  customerId: r.customer_id,
  label: r.label,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SqlitePins implements PinRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, number, number], Row>;
  readonly #change: Stmt<[string, number, number], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #customerExists: Stmt<[number], { id: number }>;
  readonly #delete: Stmt<[number]>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      "INSERT INTO pins (customer_id, label, hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
    );
    this.#change = db.prepare("UPDATE pins SET hash = ?, updated_at = ? WHERE id = ? RETURNING *");
    this.#byCustomer = db.prepare("SELECT * FROM pins WHERE customer_id = ? ORDER BY label");
    this.#customerExists = db.prepare("SELECT id FROM customers WHERE id = ?");
    this.#delete = db.prepare("DELETE FROM pins WHERE id = ?");
  }

  async hash(pin: string): Promise<HashedPin> {
    return new HashedPin(await hashPin(checkPin(pin)));
  }

  // A HashedPin writes without awaiting anything, so it can run inside `Store.transaction`.
  async create(customerId: number, label: string, pin: string | HashedPin): Promise<Pin> {
    checkId(customerId, "customerId");
    const l = checkText(label, "label", { max: 100 });
    const hash = pin instanceof HashedPin ? pin.stored : await hashPin(checkPin(pin));
    return sql(() => {
      if (!this.#customerExists.get(customerId)) throw new NotFoundError("customer", customerId);
      const now = this.#ctx.now();
      return toPin(this.#insert.get(customerId, l, hash, now, now)!);
    });
  }

  async change(id: number, pin: string | HashedPin): Promise<Pin> {
    const hash = pin instanceof HashedPin ? pin.stored : await hashPin(checkPin(pin));
    const row = this.#change.get(hash, this.#ctx.now(), id);
    if (!row) throw new NotFoundError("pin", id);
    return toPin(row);
  }

  async list(customerId: number): Promise<Pin[]> {
    return this.#byCustomer.all(customerId).map(toPin);
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("pin", id);
  }

  async verify(customerId: number, pin: string): Promise<Pin | undefined> {
    if (!/^[0-9]{4}$/.test(pin)) return undefined;
    for (const row of this.#byCustomer.all(customerId)) {
      if (await verifyPinHash(pin, row.hash)) return toPin(row);
    }
    return undefined;
  }
}
