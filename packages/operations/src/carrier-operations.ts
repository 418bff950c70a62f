import type {
  Carrier,
  CarrierHealth,
  CarrierPatch,
  CarrierTransport,
  NumberFormat,
  Store,
} from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { invalid, notFound, OperationError, storeCall } from "./errors.js";
import { type CarrierView, carrierView } from "./views.js";

export interface NewCarrierRequest {
  name: string;
  host: string;
  port?: number;
  transport?: CarrierTransport;
  username?: string;
  password?: string;
  numberFormat?: NumberFormat;
  priority?: number;
  weight?: number;
  /** The carrier requires an outbound REGISTER (refused without username and password). */
  register?: boolean;
}

export type CarrierUpdate = Omit<CarrierPatch, "name">;

/**
 * The carriers calls to the public network go out through, and the destinations each takes
 * (longest prefix first, then priority and weight). Their passwords are written, never shown
 * nor audited (only whether one is set); every change is one transaction with its audit entry.
 */
export class CarrierOperations {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Carriers with their routes and their state on each running node. */
  async list(): Promise<CarrierView[]> {
    const out: CarrierView[] = [];
    const health = await this.#store.carriers.health();
    for (const c of await this.#store.carriers.list()) out.push(await carrierViewOf(this.#store, c, health));
    return out;
  }

  async show(name: string): Promise<CarrierView> {
    return carrierViewOf(
      this.#store,
      await carrierNamed(this.#store, name),
      await this.#store.carriers.health(),
    );
  }

  async add(actor: Actor, input: NewCarrierRequest): Promise<CarrierView> {
    checkActor(actor);
    const { password: _secret, ...shown } = input;
    return this.#store.transaction(async (tx) => {
      const c = await storeCall(() => tx.carriers.create(input), {}, shown);
      const view = await carrierViewOf(tx, c);
      await appendAudit(tx, actor, "carrier.add", null, { after: auditable(view) });
      return view;
    });
  }

  async update(actor: Actor, name: string, patch: CarrierUpdate): Promise<CarrierView> {
    checkActor(actor);
    if (Object.values(patch).every((v) => v === undefined))
      throw invalid("name", `nothing to change on carrier "${name}"`);
    const { password: _secret, ...shown } = patch;
    return this.#store.transaction(async (tx) => {
      const c = await carrierNamed(tx, name);
      const before = auditable(await carrierViewOf(tx, c));
      const u = await storeCall(() => tx.carriers.update(c.id, patch), {}, shown);
      const view = await carrierViewOf(tx, u);
      await appendAudit(tx, actor, "carrier.update", null, { name: c.name, before, after: auditable(view) });
      return view;
    });
  }

  async remove(actor: Actor, name: string): Promise<void> {
    checkActor(actor);
    await this.#store.transaction(async (tx) => {
      const c = await carrierNamed(tx, name);
      const before = auditable(await carrierViewOf(tx, c));
      await storeCall(() => tx.carriers.delete(c.id));
      await appendAudit(tx, actor, "carrier.remove", null, { before });
    });
  }

  /** Lets a carrier take destinations starting with `prefix` (E.164 digits, "+" optional; "any" or "" for all). */
  async addRoute(actor: Actor, name: string, prefix: string): Promise<CarrierView> {
    checkActor(actor);
    const p = routePrefix(prefix);
    return this.#store.transaction(async (tx) => {
      const c = await carrierNamed(tx, name);
      if ((await tx.carriers.listRoutes(c.id)).some((r) => r.prefix === p))
        throw new OperationError(
          "conflict",
          `carrier ${c.name} already takes ${p === "" ? "any destination" : `+${p}`}`,
          "prefix",
        );
      await storeCall(() => tx.carriers.addRoute(c.id, p));
      await appendAudit(tx, actor, "carrier.route.add", null, { name: c.name, prefix: p });
      return carrierViewOf(tx, c);
    });
  }

  async removeRoute(actor: Actor, name: string, prefix: string): Promise<CarrierView> {
    checkActor(actor);
    const p = routePrefix(prefix);
    return this.#store.transaction(async (tx) => {
      const c = await carrierNamed(tx, name);
      const r = (await tx.carriers.listRoutes(c.id)).find((x) => x.prefix === p);
      if (r === undefined) throw notFound(`carrier ${c.name} has no route "${prefix}"`, "prefix");
      await storeCall(() => tx.carriers.removeRoute(r.id));
      await appendAudit(tx, actor, "carrier.route.remove", null, { name: c.name, prefix: p });
      return carrierViewOf(tx, c);
    });
  }
}

async function carrierNamed(s: Store, name: string): Promise<Carrier> {
  const c = typeof name === "string" ? await s.carriers.findByName(name) : undefined;
  if (c === undefined) throw notFound(`no carrier "${String(name)}"`, "name");
  return c;
}

async function carrierViewOf(s: Store, c: Carrier, health?: readonly CarrierHealth[]): Promise<CarrierView> {
  return carrierView(c, await s.carriers.listRoutes(c.id), health);
}

/** A carrier for the audit trail: everything but the password (only whether one is set). */
function auditable(v: CarrierView) {
  return {
    name: v.name,
    host: v.host,
    port: v.port,
    transport: v.transport,
    username: v.username,
    password: v.hasPassword ? "set" : "none",
    numberFormat: v.numberFormat,
    priority: v.priority,
    weight: v.weight,
    enabled: v.enabled,
    routes: v.routes.map((r) => r.prefix),
  };
}

function routePrefix(prefix: string): string {
  const p = prefix === "any" ? "" : typeof prefix === "string" ? prefix.replace(/^\+/, "") : "";
  if (typeof prefix !== "string" || !/^[0-9]{0,15}$/.test(p))
    throw invalid("prefix", `prefix must be E.164 digits (e.g. 33) or "any", got "${String(prefix)}"`);
  return p;
}
