import { NotFoundError, ValidationError } from "../errors.js";
import type { NumberRepository } from "../repositories.js";
import type { NewPhoneNumber, NumberTarget, PhoneNumber } from "../types.js";
import { checkE164, checkId } from "../validate.js";
import { bool, type Ctx, int, type Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  e164: string;
  customer_id: number;
  target_extension_id: number | null;
  target_group_id: number | null;
  is_main: number;
  created_at: number;
}

function toNumber(r: Row): PhoneNumber {
  let target: NumberTarget | null = null;
  if (r.target_extension_id !== null) target = { kind: "extension", id: r.target_extension_id };
  else if (r.target_group_id !== null) target = { kind: "group", id: r.target_group_id };
  return {
    id: r.id,
    e164: r.e164,
    customerId: r.customer_id,
    target,
    isMain: bool(r.is_main),
    createdAt: r.created_at,
  };
}

/** Splits a target into the two nullable foreign-key columns. */
function columns(target: NumberTarget | null | undefined): [number | null, number | null] {
  if (target === null || target === undefined) return [null, null];
  if (target.kind === "extension") return [checkId(target.id, "target"), null];
  if (target.kind === "group") return [null, checkId(target.id, "target")];
  throw new ValidationError("target", 'target kind must be "extension" or "group"');
}

export class SqliteNumbers implements NumberRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[string, number, number | null, number | null, number, number], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #byE164: Stmt<[string], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #setTarget: Stmt<[number | null, number | null, number], Row>;
  readonly #clearMain: Stmt<[number]>;
  readonly #setMain: Stmt<[number], Row>;
  readonly #main: Stmt<[number], Row>;
  readonly #customerExists: Stmt<[number], { id: number }>;
  readonly #extExists: Stmt<[number], { id: number }>;
  readonly #groupExists: Stmt<[number], { id: number }>;
  readonly #delete: Stmt<[number]>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO phone_numbers (e164, customer_id, target_extension_id, target_group_id, is_main, created_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM phone_numbers WHERE id = ?");
    this.#byE164 = db.prepare("SELECT * FROM phone_numbers WHERE e164 = ?");
    this.#byCustomer = db.prepare("SELECT * FROM phone_numbers WHERE customer_id = ? ORDER BY e164");
    this.#setTarget = db.prepare(
      "UPDATE phone_numbers SET target_extension_id = ?, target_group_id = ? WHERE id = ? RETURNING *",
    );
    this.#clearMain = db.prepare(
      "UPDATE phone_numbers SET is_main = 0 WHERE customer_id = ? AND is_main = 1",
    );
    this.#setMain = db.prepare("UPDATE phone_numbers SET is_main = 1 WHERE id = ? RETURNING *");
    this.#main = db.prepare("SELECT * FROM phone_numbers WHERE customer_id = ? AND is_main = 1");
    this.#customerExists = db.prepare("SELECT id FROM customers WHERE id = ?");
    this.#extExists = db.prepare("SELECT id FROM extensions WHERE id = ?");
    this.#groupExists = db.prepare("SELECT id FROM ring_groups WHERE id = ?");
    this.#delete = db.prepare("DELETE FROM phone_numbers WHERE id = ?");
  }

  #checkTargetExists(ext: number | null, group: number | null): void {
    if (ext !== null && !this.#extExists.get(ext)) throw new NotFoundError("extension", ext);
    if (group !== null && !this.#groupExists.get(group)) throw new NotFoundError("ring group", group);
  }

  async create(input: NewPhoneNumber): Promise<PhoneNumber> {
    const e164 = checkE164(input.e164);
    const customerId = checkId(input.customerId, "customerId");
    const [ext, group] = columns(input.target);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          if (!this.#customerExists.get(customerId)) throw new NotFoundError("customer", customerId);
          this.#checkTargetExists(ext, group);
          return toNumber(
            this.#insert.get(e164, customerId, ext, group, int(input.isMain, false), this.#ctx.now())!,
          );
        })
        .immediate(),
    );
  }

  async get(id: number): Promise<PhoneNumber> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("number", id);
    return toNumber(row);
  }

  async findByE164(e164: string): Promise<PhoneNumber | undefined> {
    const row = this.#byE164.get(e164);
    return row ? toNumber(row) : undefined;
  }

  async listByCustomer(customerId: number): Promise<PhoneNumber[]> {
    return this.#byCustomer.all(customerId).map(toNumber);
  }

  async setTarget(id: number, target: NumberTarget | null): Promise<PhoneNumber> {
    const [ext, group] = columns(target);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          this.#checkTargetExists(ext, group);
          const row = this.#setTarget.get(ext, group, id);
          if (!row) throw new NotFoundError("number", id);
          return toNumber(row);
        })
        .immediate(),
    );
  }

  async setMain(id: number): Promise<PhoneNumber> {
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const cur = this.#byId.get(id);
          if (!cur) throw new NotFoundError("number", id);
          this.#clearMain.run(cur.customer_id);
          return toNumber(this.#setMain.get(id)!);
        })
        .immediate(),
    );
  }

  async findMain(customerId: number): Promise<PhoneNumber | undefined> {
    const row = this.#main.get(customerId);
    return row ? toNumber(row) : undefined;
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("number", id);
  }
}
