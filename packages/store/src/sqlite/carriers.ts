import { NotFoundError, ValidationError } from "../errors.js";
import type { CarrierRepository } from "../repositories.js";
import type {
  Carrier,
  CarrierCandidate,
  CarrierHealth,
  CarrierHealthInput,
  CarrierPatch,
  CarrierRoute,
  CarrierTransport,
  NewCarrier,
  NumberFormat,
} from "../types.js";
import { checkHost, checkId, checkInteger, checkOneOf, checkPrefix, checkText } from "../validate.js";
import { bool, type Ctx, type Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

const TRANSPORTS: readonly CarrierTransport[] = ["udp", "tcp", "tls"];
const FORMATS: readonly NumberFormat[] = ["e164", "national"];

interface Row {
  id: number;
  name: string;
  host: string;
  port: number;
  transport: CarrierTransport;
  username: string | null;
  password: string | null;
  number_format: NumberFormat;
  priority: number;
  weight: number;
  enabled: number;
  register: number;
  created_at: number;
}

interface HealthRow {
  carrier_id: number;
  node: string;
  state: "up" | "demoted";
  reason: string | null;
  since: number;
  registration: string | null;
  updated_at: number;
}

interface RouteRow {
  id: number;
  carrier_id: number;
  prefix: string;
  created_at: number;
}

type CandidateRow = Row & { route_id: number; route_prefix: string; route_created_at: number };

interface Values {
  name: string;
  host: string;
  port: number;
  transport: CarrierTransport;
  username: string | null;
  password: string | null;
  number_format: NumberFormat;
  priority: number;
  weight: number;
  enabled: number;
  register: number;
}

const toCarrier = (r: Row): Carrier => ({
  id: r.id,
  name: r.name,
  host: r.host,
  port: r.port,
  transport: r.transport,
  username: r.username,
  password: r.password,
  numberFormat: r.number_format,
  priority: r.priority,
  weight: r.weight,
  enabled: bool(r.enabled),
  register: bool(r.register),
  createdAt: r.created_at,
});

const toRoute = (r: RouteRow): CarrierRoute => ({
  id: r.id,
  carrierId: r.carrier_id,
  prefix: r.prefix,
  createdAt: r.created_at,
});

function values(c: NewCarrier): Values {
  return {
    name: checkText(c.name, "name", { max: 100 }),
    host: checkHost(c.host),
    port: checkInteger(c.port ?? 5060, "port", 1, 65535),
    transport: checkOneOf(c.transport ?? "udp", TRANSPORTS, "transport"),
    username: c.username == null ? null : checkText(c.username, "username", { max: 256 }),
    password: c.password == null ? null : checkText(c.password, "password", { max: 256 }),
    number_format: checkOneOf(c.numberFormat ?? "e164", FORMATS, "numberFormat"),
    priority: checkInteger(c.priority ?? 10, "priority", 0, 65535),
    weight: checkInteger(c.weight ?? 1, "weight", 0, 65535),
    enabled: (c.enabled ?? true) ? 1 : 0,
    register: registerFlag(c),
  };
}

/** Registration needs credentials: refused here too, so no caller can store a carrier that cannot register. */
function registerFlag(c: NewCarrier): number {
  if (c.register !== true) return 0;
  if (c.username == null || c.password == null) {
    throw new ValidationError("register", "register needs a username and a password");
  }
  return 1;
}

export class SqliteCarriers implements CarrierRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[Values & { now: number }], Row>;
  readonly #update: Stmt<[Values & { id: number }], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #byName: Stmt<[string], Row>;
  readonly #all: Stmt<[], Row>;
  readonly #delete: Stmt<[number]>;
  readonly #addRoute: Stmt<[number, string, number], RouteRow>;
  readonly #removeRoute: Stmt<[number]>;
  readonly #routes: Stmt<[number], RouteRow>;
  readonly #candidates: Stmt<[string], CandidateRow>;
  readonly #setHealth: Stmt<[HealthRow]>;
  readonly #health: Stmt<[], HealthRow>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO carriers (name, host, port, transport, username, password, number_format, priority, weight,
         enabled, register, created_at)
       VALUES (@name, @host, @port, @transport, @username, @password, @number_format, @priority, @weight,
         @enabled, @register, @now) RETURNING *`,
    );
    this.#update = db.prepare(
      `UPDATE carriers SET name = @name, host = @host, port = @port, transport = @transport,
         username = @username, password = @password, number_format = @number_format, priority = @priority,
         weight = @weight, enabled = @enabled, register = @register
       WHERE id = @id RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM carriers WHERE id = ?");
    this.#byName = db.prepare("SELECT * FROM carriers WHERE name = ?");
    this.#all = db.prepare("SELECT * FROM carriers ORDER BY priority, id");
    this.#delete = db.prepare("DELETE FROM carriers WHERE id = ?");
    this.#addRoute = db.prepare(
      "INSERT INTO carrier_routes (carrier_id, prefix, created_at) VALUES (?, ?, ?) RETURNING *",
    );
    this.#removeRoute = db.prepare("DELETE FROM carrier_routes WHERE id = ?");
    this.#routes = db.prepare("SELECT * FROM carrier_routes WHERE carrier_id = ? ORDER BY prefix");
    // The destination's prefixes are passed as a JSON list so the lookup uses the prefix index.
    this.#candidates = db.prepare(
      `SELECT c.*, r.id AS route_id, r.prefix AS route_prefix, r.created_at AS route_created_at
       FROM carrier_routes r JOIN carriers c ON c.id = r.carrier_id
       WHERE c.enabled = 1 AND r.prefix IN (SELECT value FROM json_each(?))
       ORDER BY length(r.prefix) DESC, c.priority ASC, c.weight DESC, c.id ASC`,
    );
    this.#setHealth = db.prepare(
      `INSERT INTO carrier_health (carrier_id, node, state, reason, since, registration, updated_at)
       SELECT @carrier_id, @node, @state, @reason, @since, @registration, @updated_at
       WHERE EXISTS (SELECT 1 FROM carriers WHERE id = @carrier_id)
       ON CONFLICT (carrier_id, node) DO UPDATE SET state = excluded.state, reason = excluded.reason,
         since = excluded.since, registration = excluded.registration, updated_at = excluded.updated_at`,
    );
    this.#health = db.prepare("SELECT * FROM carrier_health ORDER BY carrier_id, node");
  }

  async setHealth(h: CarrierHealthInput): Promise<void> {
    checkId(h.carrierId, "carrierId");
    const row: HealthRow = {
      carrier_id: h.carrierId,
      node: checkText(h.node, "node", { max: 100 }),
      state: checkOneOf(h.state, ["up", "demoted"] as const, "state"),
      reason: h.reason === null ? null : checkText(h.reason, "reason", { max: 500 }),
      since: checkInteger(h.since, "since", 0, Number.MAX_SAFE_INTEGER),
      registration: h.registration,
      updated_at: this.#ctx.now(),
    };
    sql(() => this.#setHealth.run(row));
  }

  async health(): Promise<CarrierHealth[]> {
    return this.#health.all().map((r) => ({
      carrierId: r.carrier_id,
      node: r.node,
      state: r.state,
      reason: r.reason,
      since: r.since,
      registration: r.registration,
      updatedAt: r.updated_at,
    }));
  }

  async create(input: NewCarrier): Promise<Carrier> {
    const v = values(input);
    return sql(() => toCarrier(this.#insert.get({ ...v, now: this.#ctx.now() })!));
  }

  async get(id: number): Promise<Carrier> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("carrier", id);
    return toCarrier(row);
  }

  async findByName(name: string): Promise<Carrier | undefined> {
    const row = this.#byName.get(name);
    return row ? toCarrier(row) : undefined;
  }

  async list(): Promise<Carrier[]> {
    return this.#all.all().map(toCarrier);
  }

  async update(id: number, patch: CarrierPatch): Promise<Carrier> {
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const cur = this.#byId.get(id);
          if (!cur) throw new NotFoundError("carrier", id);
          const v = values({ ...toCarrier(cur), ...patch });
          return toCarrier(this.#update.get({ ...v, id })!);
        })
        .immediate(),
    );
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("carrier", id);
  }

  async addRoute(carrierId: number, prefix: string): Promise<CarrierRoute> {
    checkId(carrierId, "carrierId");
    const p = checkPrefix(prefix);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          if (!this.#byId.get(carrierId)) throw new NotFoundError("carrier", carrierId);
          return toRoute(this.#addRoute.get(carrierId, p, this.#ctx.now())!);
        })
        .immediate(),
    );
  }

  async removeRoute(routeId: number): Promise<void> {
    if (this.#removeRoute.run(routeId).changes === 0) throw new NotFoundError("carrier route", routeId);
  }

  async listRoutes(carrierId: number): Promise<CarrierRoute[]> {
    return this.#routes.all(carrierId).map(toRoute);
  }

  async candidatesFor(e164: string): Promise<CarrierCandidate[]> {
    const digits = checkPrefix(e164, "e164");
    const prefixes: string[] = [];
    for (let i = 0; i <= digits.length; i++) prefixes.push(digits.slice(0, i));
    const seen = new Set<number>();
    const out: CarrierCandidate[] = [];
    // Rows come longest prefix first: keep each carrier's most specific route only.
    for (const r of this.#candidates.all(JSON.stringify(prefixes))) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push({
        carrier: toCarrier(r),
        route: { id: r.route_id, carrierId: r.id, prefix: r.route_prefix, createdAt: r.route_created_at },
      });
    }
    return out;
  }
}
