import { NotFoundError, ValidationError } from "../errors.js";
import { computeHa1 } from "../ha1.js";
import type { PhoneRepository } from "../repositories.js";
import type { NewPhone, Phone, PhoneKey, ProvisionedPassword, SealedSecret } from "../types.js";
import { checkId, checkMac, checkPassword, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  customer_id: number;
  mac: string;
  model: string;
  credential_hash: string;
  created_at: number;
}

interface KeyRow {
  kind: "line" | "blf";
  extension_id: number;
  number: string;
}

const MAX_KEYS = 100;

function checkKeys(ids: readonly number[] | undefined, field: string, min: number): readonly number[] {
  const list = ids ?? [];
  if (list.length < min) throw new ValidationError(field, `a phone needs at least ${min} ${field} key`);
  if (list.length > MAX_KEYS) throw new ValidationError(field, `at most ${MAX_KEYS} ${field} keys`);
  for (const id of list) checkId(id, field);
  return list;
}

function checkHash(value: string): string {
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value))
    throw new ValidationError("credentialHash", "credentialHash must be 64 lower-case hex digits (SHA-256)");
  return value;
}

export class SqlitePhones implements PhoneRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, string, number], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #byMac: Stmt<[string], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #count: Stmt<[number], { n: number }>;
  readonly #keys: Stmt<[number], KeyRow>;
  readonly #insertKey: Stmt<[number, string, number, number]>;
  readonly #clearKeys: Stmt<[number]>;
  readonly #setHash: Stmt<[string, number]>;
  readonly #delete: Stmt<[number]>;
  readonly #customerExists: Stmt<[number], { id: number }>;
  readonly #extRealm: Stmt<[number], { number: string; domain: string; customer_id: number }>;
  readonly #setHa1: Stmt<[string, string, number]>;
  readonly #upsertSecret: Stmt<[number, string, string, number]>;
  readonly #secret: Stmt<[number], { sealed: string; current: number }>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO phones (customer_id, mac, model, credential_hash, created_at)
       VALUES (?, ?, ?, ?, ?) RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM phones WHERE id = ?");
    this.#byMac = db.prepare("SELECT * FROM phones WHERE mac = ?");
    this.#byCustomer = db.prepare("SELECT * FROM phones WHERE customer_id = ? ORDER BY mac");
    this.#count = db.prepare(
      `SELECT count(*) AS n FROM phones p WHERE p.customer_id = ?
       AND EXISTS (SELECT 1 FROM phone_keys k WHERE k.phone_id = p.id AND k.kind = 'line')`,
    );
    this.#keys = db.prepare(
      `SELECT k.kind, k.extension_id, e.number FROM phone_keys k JOIN extensions e ON e.id = k.extension_id
       WHERE k.phone_id = ? ORDER BY k.kind, k.position`,
    );
    this.#insertKey = db.prepare(
      "INSERT INTO phone_keys (phone_id, kind, position, extension_id) VALUES (?, ?, ?, ?)",
    );
    this.#clearKeys = db.prepare("DELETE FROM phone_keys WHERE phone_id = ?");
    this.#setHash = db.prepare("UPDATE phones SET credential_hash = ? WHERE id = ?");
    this.#delete = db.prepare("DELETE FROM phones WHERE id = ?");
    this.#customerExists = db.prepare("SELECT id FROM customers WHERE id = ?");
    this.#extRealm = db.prepare(
      "SELECT e.number, c.domain, e.customer_id FROM extensions e JOIN customers c ON c.id = e.customer_id WHERE e.id = ?",
    );
    this.#setHa1 = db.prepare("UPDATE extensions SET ha1_md5 = ?, ha1_sha256 = ? WHERE id = ?");
    this.#upsertSecret = db.prepare(
      `INSERT INTO provisioning_secrets (extension_id, sealed, ha1_md5, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (extension_id) DO UPDATE SET sealed = excluded.sealed, ha1_md5 = excluded.ha1_md5,
       updated_at = excluded.updated_at`,
    );
    this.#secret = db.prepare(
      `SELECT s.sealed, (e.ha1_md5 IS s.ha1_md5) AS current FROM provisioning_secrets s
       JOIN extensions e ON e.id = s.extension_id WHERE s.extension_id = ?`,
    );
  }

  #toPhone(r: Row): Phone {
    const lines: PhoneKey[] = [];
    const blf: PhoneKey[] = [];
    for (const k of this.#keys.all(r.id)) {
      (k.kind === "line" ? lines : blf).push({ extensionId: k.extension_id, number: k.number });
    }
    return {
      id: r.id,
      customerId: r.customer_id,
      mac: r.mac,
      model: r.model,
      lines,
      blf,
      credentialHash: r.credential_hash,
      createdAt: r.created_at,
    };
  }

  #writeKeys(phoneId: number, lines: readonly number[], blf: readonly number[]): void {
    for (const [i, ext] of lines.entries()) this.#insertKey.run(phoneId, "line", i + 1, ext);
    for (const [i, ext] of blf.entries()) this.#insertKey.run(phoneId, "blf", i + 1, ext);
  }

  /** Sets each password's HA1s and its sealed copy; only for extensions of `customerId`. */
  #writePasswords(customerId: number, passwords: readonly ProvisionedPassword[]): void {
    const now = this.#ctx.now();
    for (const p of passwords) {
      const ext = this.#extRealm.get(p.extensionId);
      if (!ext) throw new NotFoundError("extension", p.extensionId);
      if (ext.customer_id !== customerId)
        throw new ValidationError("extension", "extension belongs to another customer");
      const md5 = computeHa1("md5", ext.number, ext.domain, p.password);
      this.#setHa1.run(md5, computeHa1("sha256", ext.number, ext.domain, p.password), p.extensionId);
      this.#upsertSecret.run(p.extensionId, p.sealed, md5, now);
    }
  }

  async create(input: NewPhone): Promise<Phone> {
    const customerId = checkId(input.customerId, "customerId");
    const mac = checkMac(input.mac);
    const model = checkText(input.model, "model", { max: 64 });
    const lines = checkKeys(input.lines, "line", 1);
    const blf = checkKeys(input.blf, "blf", 0);
    const hash = checkHash(input.credentialHash);
    const passwords = input.passwords ?? [];
    for (const p of passwords) checkPassword(p.password);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          if (!this.#customerExists.get(customerId)) throw new NotFoundError("customer", customerId);
          const row = this.#insert.get(customerId, mac, model, hash, this.#ctx.now())!;
          this.#writeKeys(row.id, lines, blf);
          this.#writePasswords(customerId, passwords);
          return this.#toPhone(row);
        })
        .immediate(),
    );
  }

  async get(id: number): Promise<Phone> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("phone", id);
    return this.#toPhone(row);
  }

  async findByMac(mac: string): Promise<Phone | undefined> {
    let key: string;
    try {
      key = checkMac(mac);
    } catch {
      return undefined;
    }
    const row = this.#byMac.get(key);
    return row ? this.#toPhone(row) : undefined;
  }

  async listByCustomer(customerId: number): Promise<Phone[]> {
    return this.#byCustomer.all(customerId).map((r) => this.#toPhone(r));
  }

  async countByCustomer(customerId: number): Promise<number> {
    return this.#count.get(customerId)!.n;
  }

  async setKeys(
    id: number,
    keys: { lines: readonly number[]; blf?: readonly number[] },
    passwords: readonly ProvisionedPassword[] = [],
  ): Promise<Phone> {
    const lines = checkKeys(keys.lines, "line", 1);
    const blf = checkKeys(keys.blf, "blf", 0);
    for (const p of passwords) checkPassword(p.password);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const row = this.#byId.get(id);
          if (!row) throw new NotFoundError("phone", id);
          this.#clearKeys.run(id);
          this.#writeKeys(id, lines, blf);
          this.#writePasswords(row.customer_id, passwords);
          return this.#toPhone(row);
        })
        .immediate(),
    );
  }

  async setCredentialHash(id: number, credentialHash: string): Promise<void> {
    const hash = checkHash(credentialHash);
    if (this.#setHash.run(hash, id).changes === 0) throw new NotFoundError("phone", id);
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("phone", id);
  }

  async sealedSecret(extensionId: number): Promise<SealedSecret | undefined> {
    const r = this.#secret.get(extensionId);
    return r ? { extensionId, sealed: r.sealed, current: r.current === 1 } : undefined;
  }
}
