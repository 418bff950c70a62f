import { NotFoundError } from "../errors.js";
import { computeHa1 } from "../ha1.js";
import type { ExtensionRepository } from "../repositories.js";
import type {
  CustomerStatus,
  Extension,
  ExtensionCredentials,
  ExtensionPatch,
  NewExtension,
} from "../types.js";
import { checkId, checkInternalNumber, checkPassword, checkText } from "../validate.js";
import { bool, type Ctx, int, type Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

/** Bound on each lookup map (negative entries included): past it, it starts over. */
const CREDENTIALS_CACHED = 100_000;

interface Row {
  id: number;
  customer_id: number;
  number: string;
  display_name: string;
  ha1_md5: string | null;
  ha1_sha256: string | null;
  enabled: number;
  created_at: number;
}

interface CredRow {
  id: number;
  customer_id: number;
  number: string;
  domain: string;
  enabled: number;
  status: CustomerStatus;
  ha1_md5: string | null;
  ha1_sha256: string | null;
}

const toCredentials = (r: CredRow): ExtensionCredentials => ({
  extensionId: r.id,
  customerId: r.customer_id,
  number: r.number,
  realm: r.domain,
  enabled: bool(r.enabled),
  customerStatus: r.status,
  ha1Md5: r.ha1_md5,
  ha1Sha256: r.ha1_sha256,
});

const toExtension = (r: Row): Extension => ({
  id: r.id,
  customerId: r.customer_id,
  number: r.number,
  displayName: r.display_name,
  enabled: bool(r.enabled),
  hasPassword: r.ha1_md5 !== null || r.ha1_sha256 !== null,
  createdAt: r.created_at,
});

export class SqliteExtensions implements ExtensionRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, string | null, string | null, number, number], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #find: Stmt<[number, string], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #count: Stmt<[number], { n: number }>;
  readonly #update: Stmt<[string, number, number], Row>;
  readonly #setHa1: Stmt<[string, string, number]>;
  readonly #domainOf: Stmt<[number], { domain: string }>;
  readonly #domainByExt: Stmt<[number], { domain: string; number: string }>;
  readonly #allCredentials: Stmt<[], CredRow>;
  /** Every extension's credentials are in `#cached` (loaded in one pass): a miss is "no such user". */
  #credentialsComplete = false;
  readonly #delete: Stmt<[number]>;
  /** (domain, number) → credentials, every extension (see `findCredentials`). */
  readonly #cached = new Map<string, ExtensionCredentials>();
  /** (customer id, number) → extension, or null; dropped with `#cached`. */
  readonly #found = new Map<string, Extension | null>();

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO extensions (customer_id, number, display_name, ha1_md5, ha1_sha256, enabled, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM extensions WHERE id = ?");
    this.#find = db.prepare("SELECT * FROM extensions WHERE customer_id = ? AND number = ?");
    this.#byCustomer = db.prepare("SELECT * FROM extensions WHERE customer_id = ? ORDER BY number");
    this.#count = db.prepare("SELECT count(*) AS n FROM extensions WHERE customer_id = ?");
    this.#update = db.prepare("UPDATE extensions SET display_name = ?, enabled = ? WHERE id = ? RETURNING *");
    this.#setHa1 = db.prepare("UPDATE extensions SET ha1_md5 = ?, ha1_sha256 = ? WHERE id = ?");
    this.#domainOf = db.prepare("SELECT domain FROM customers WHERE id = ?");
    this.#domainByExt = db.prepare(
      "SELECT c.domain, e.number FROM extensions e JOIN customers c ON c.id = e.customer_id WHERE e.id = ?",
    );
    this.#allCredentials = db.prepare(
      `SELECT e.id, e.customer_id, e.number, c.domain, e.enabled, c.status, e.ha1_md5, e.ha1_sha256
       FROM customers c JOIN extensions e ON e.customer_id = c.id`,
    );
    this.#delete = db.prepare("DELETE FROM extensions WHERE id = ?");
    ctx.feed.on((table) => {
      if (table === "bindings" || table === "extension_features") return;
      this.#cached.clear();
      this.#credentialsComplete = false;
      this.#found.clear();
    });
  }

  async create(input: NewExtension): Promise<Extension> {
    const customerId = checkId(input.customerId, "customerId");
    const number = checkInternalNumber(input.number);
    const displayName =
      input.displayName === undefined ? "" : checkText(input.displayName, "displayName", { min: 0 });
    const password = input.password === undefined ? undefined : checkPassword(input.password);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const customer = this.#domainOf.get(customerId);
          if (!customer) throw new NotFoundError("customer", customerId);
          const md5 = password === undefined ? null : computeHa1("md5", number, customer.domain, password);
          const sha = password === undefined ? null : computeHa1("sha256", number, customer.domain, password);
          return toExtension(
            this.#insert.get(
              customerId,
              number,
              displayName,
              md5,
              sha,
              int(input.enabled, true),
              this.#ctx.now(),
            )!,
          );
        })
        .immediate(),
    );
  }

  async get(id: number): Promise<Extension> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("extension", id);
    return toExtension(row);
  }

  /** Hot path (the callee of every internal call): from memory, like `findCredentials`. */
  async find(customerId: number, number: string): Promise<Extension | undefined> {
    this.#ctx.feed.sync();
    const key = `${customerId}\n${number}`;
    let e = this.#found.get(key);
    if (e === undefined) {
      const row = this.#find.get(customerId, number);
      e = row ? toExtension(row) : null;
      if (this.#found.size >= CREDENTIALS_CACHED) this.#found.clear();
      this.#found.set(key, e);
    }
    return e ?? undefined;
  }

  async listByCustomer(customerId: number): Promise<Extension[]> {
    return this.#byCustomer.all(customerId).map(toExtension);
  }

  async countByCustomer(customerId: number): Promise<number> {
    return this.#count.get(customerId)!.n;
  }

  async update(id: number, patch: ExtensionPatch): Promise<Extension> {
    const displayName =
      patch.displayName === undefined ? undefined : checkText(patch.displayName, "displayName", { min: 0 });
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const cur = this.#byId.get(id);
          if (!cur) throw new NotFoundError("extension", id);
          const enabled = patch.enabled === undefined ? cur.enabled : int(patch.enabled, true);
          return toExtension(this.#update.get(displayName ?? cur.display_name, enabled, id)!);
        })
        .immediate(),
    );
  }

  async setPassword(id: number, password: string): Promise<void> {
    checkPassword(password);
    sql(() =>
      // IMMEDIATE: the realm read and the HA1 write must not straddle a concurrent domain change.
      this.#ctx.db
        .transaction(() => {
          const ext = this.#domainByExt.get(id);
          if (!ext) throw new NotFoundError("extension", id);
          this.#setHa1.run(
            computeHa1("md5", ext.number, ext.domain, password),
            computeHa1("sha256", ext.number, ext.domain, password),
            id,
          );
        })
        .immediate(),
    );
  }

  /**
   * From memory, like Kamailio's htable of subscribers: every extension's credentials are read
   * in one pass, and read again in one pass after an extension or customer row changed — on this
   * connection (TEMP triggers) or another (`PRAGMA data_version`, read here first) — so a password
   * change, a disabled extension or a suspended customer counts on the very next REGISTER or
   * INVITE. An unknown user (a scanner's guess) costs a map miss, no query.
   */
  async findCredentials(domain: string, number: string): Promise<ExtensionCredentials | undefined> {
    this.#ctx.feed.sync();
    if (!this.#credentialsComplete) this.#loadCredentials();
    return this.#cached.get(`${domain.toLowerCase()}\n${number}`) ?? undefined;
  }

  #loadCredentials(): void {
    this.#cached.clear();
    for (const r of this.#allCredentials.iterate())
      this.#cached.set(`${r.domain}\n${r.number}`, toCredentials(r));
    this.#credentialsComplete = true;
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("extension", id);
  }
}
