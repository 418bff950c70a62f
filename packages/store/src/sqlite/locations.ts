import { NotFoundError, ValidationError } from "../errors.js";
import type { LocationRepository } from "../repositories.js";
import type { Binding, BindingInput, BindingTransport } from "../types.js";
import { checkContactUri, checkId, checkInteger, checkOneOf, checkText } from "../validate.js";
import type { Ctx, Stmt } from "./context.js";

const TRANSPORTS: readonly BindingTransport[] = ["udp", "tcp", "tls", "ws", "wss"];

interface Row {
  id: number;
  extension_id: number;
  contact: string;
  q: number;
  expires_at: number;
  call_id: string;
  cseq: number;
  transport: BindingTransport;
  source_address: string;
  source_port: number;
  local_address: string | null;
  local_port: number | null;
  connection_id: string | null;
  instance_id: string | null;
  reg_id: number | null;
  user_agent: string | null;
  path: string;
  updated_at: number;
}

/** Statement parameters: the row's columns (keyed by AOR rather than extension id) and the time. */
type Params = Omit<Row, "id" | "extension_id" | "updated_at"> & { aor: number; now: number };

const toBinding = (r: Row): Binding => ({
  id: r.id,
  aor: r.extension_id,
  contact: r.contact,
  q: r.q,
  expiresAt: r.expires_at,
  callId: r.call_id,
  cseq: r.cseq,
  transport: r.transport,
  sourceAddress: r.source_address,
  sourcePort: r.source_port,
  localAddress: r.local_address,
  localPort: r.local_port,
  connectionId: r.connection_id,
  instanceId: r.instance_id,
  regId: r.reg_id,
  userAgent: r.user_agent,
  path: JSON.parse(r.path) as string[],
  updatedAt: r.updated_at,
});

function params(b: BindingInput, now: number): Params {
  const q = b.q ?? 1;
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) throw new ValidationError("q", "q must be from 0 to 1");
  const path = b.path ?? [];
  if (!Array.isArray(path) || !path.every((p) => typeof p === "string")) {
    throw new ValidationError("path", "path must be a list of strings");
  }
  return {
    aor: checkId(b.aor, "aor"),
    contact: checkContactUri(b.contact),
    q,
    expires_at: checkInteger(b.expiresAt, "expiresAt", 0, Number.MAX_SAFE_INTEGER),
    call_id: checkText(b.callId, "callId", { max: 512 }),
    cseq: checkInteger(b.cseq, "cseq", 0, 2 ** 32 - 1),
    transport: checkOneOf(b.transport, TRANSPORTS, "transport"),
    source_address: checkText(b.sourceAddress, "sourceAddress", { max: 64 }),
    source_port: checkInteger(b.sourcePort, "sourcePort", 1, 65535),
    local_address: b.localAddress ?? null,
    local_port:
      b.localPort === undefined || b.localPort === null
        ? null
        : checkInteger(b.localPort, "localPort", 0, 65535),
    connection_id: b.connectionId ?? null,
    instance_id: b.instanceId ?? null,
    reg_id: b.regId === undefined || b.regId === null ? null : checkInteger(b.regId, "regId", 0, 2 ** 31 - 1),
    user_agent: b.userAgent ?? null,
    path: JSON.stringify(path),
    now,
  };
}

export class SqliteLocations implements LocationRepository {
  readonly #ctx: Ctx;
  readonly #upsert: Stmt<[Params], Row>;
  readonly #dropOtherFlow: Stmt<[number, string, number, string]>;
  readonly #extExists: Stmt<[number], { id: number }>;
  readonly #get: Stmt<[number, string], Row>;
  readonly #remove: Stmt<[number, string]>;
  readonly #removeAll: Stmt<[number], Row>;
  readonly #current: Stmt<[number, number], Row>;
  readonly #purge: Stmt<[number], Row>;
  readonly #count: Stmt<[number, number], { n: number }>;
  readonly #countAll: Stmt<[number], { n: number }>;
  readonly #page: Stmt<[number, number, number], Row>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#upsert = db.prepare(
      `INSERT INTO bindings (extension_id, contact, q, expires_at, call_id, cseq, transport, source_address,
         source_port, local_address, local_port, connection_id, instance_id, reg_id, user_agent, path, updated_at)
       VALUES (@aor, @contact, @q, @expires_at, @call_id, @cseq, @transport, @source_address, @source_port,
         @local_address, @local_port, @connection_id, @instance_id, @reg_id, @user_agent, @path, @now)
       ON CONFLICT (extension_id, contact) DO UPDATE SET
         q = excluded.q, expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,
         transport = excluded.transport, source_address = excluded.source_address,
         source_port = excluded.source_port, local_address = excluded.local_address,
         local_port = excluded.local_port, connection_id = excluded.connection_id,
         instance_id = excluded.instance_id, reg_id = excluded.reg_id, user_agent = excluded.user_agent,
         path = excluded.path, updated_at = excluded.updated_at
       RETURNING *`,
    );
    this.#dropOtherFlow = db.prepare(
      "DELETE FROM bindings WHERE extension_id = ? AND instance_id = ? AND reg_id = ? AND contact <> ?",
    );
    this.#extExists = db.prepare("SELECT id FROM extensions WHERE id = ?");
    this.#get = db.prepare("SELECT * FROM bindings WHERE extension_id = ? AND contact = ?");
    this.#remove = db.prepare("DELETE FROM bindings WHERE extension_id = ? AND contact = ?");
    this.#removeAll = db.prepare("DELETE FROM bindings WHERE extension_id = ? RETURNING *");
    this.#current = db.prepare(
      "SELECT * FROM bindings WHERE extension_id = ? AND expires_at > ? ORDER BY q DESC, updated_at DESC",
    );
    this.#purge = db.prepare("DELETE FROM bindings WHERE expires_at <= ? RETURNING *");
    this.#count = db.prepare("SELECT count(*) AS n FROM bindings WHERE extension_id = ? AND expires_at > ?");
    this.#countAll = db.prepare("SELECT count(*) AS n FROM bindings WHERE expires_at > ?");
    this.#page = db.prepare("SELECT * FROM bindings WHERE expires_at > ? AND id > ? ORDER BY id LIMIT ?");
  }

  async upsert(input: BindingInput): Promise<Binding> {
    const p = params(input, this.#ctx.now());
    return this.#ctx.group.run(() => {
      if (!this.#extExists.get(p.aor)) throw new NotFoundError("extension", p.aor);
      if (p.instance_id !== null && p.reg_id !== null) {
        this.#dropOtherFlow.run(p.aor, p.instance_id, p.reg_id, p.contact);
      }
      return toBinding(this.#upsert.get(p)!);
    });
  }

  async get(aor: number, contact: string): Promise<Binding | undefined> {
    const row = this.#get.get(aor, contact);
    return row ? toBinding(row) : undefined;
  }

  async remove(aor: number, contact: string): Promise<boolean> {
    return this.#remove.run(aor, contact).changes > 0;
  }

  async removeAll(aor: number): Promise<Binding[]> {
    return this.#removeAll.all(aor).map(toBinding);
  }

  async current(aor: number, now: number): Promise<Binding[]> {
    return this.#current.all(aor, now).map(toBinding);
  }

  async purgeExpired(now: number): Promise<Binding[]> {
    return this.#purge.all(now).map(toBinding);
  }

  async count(aor: number, now: number): Promise<number> {
    return this.#count.get(aor, now)!.n;
  }

  async countAll(now: number): Promise<number> {
    return this.#countAll.get(now)!.n;
  }

  async page(now: number, afterId: number, limit: number): Promise<Binding[]> {
    return this.#page.all(now, afterId, limit).map(toBinding);
  }
}
