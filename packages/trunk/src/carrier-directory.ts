import type { Carrier, CarrierCandidate, Store } from "@centrex/store";
import type { Logger } from "pino";
import { CarrierHealth, type CarrierHealthListener, type CarrierHealthOptions } from "./carrier-health.js";
import { CarrierResolutionError } from "./errors.js";
import {
  defaultPort,
  type SipResolver,
  type SipTarget,
  type SipTransport,
  unbracket,
  weightedOrder,
} from "./resolver.js";

export interface CarrierDirectoryOptions {
  readonly store: Pick<Store, "carriers">;
  readonly resolver: SipResolver;
  /**
   * Also require the source port to be the carrier's (configured or SRV) port. Off by default:
   * carriers send from other ports than they listen on (TCP always does).
   */
  readonly matchSourcePort?: boolean;
  readonly random?: () => number;
  /** Passive health: how long failed calls demote a carrier, and after how many. */
  readonly health?: Omit<CarrierHealthOptions, "logger">;
  readonly logger?: Logger;
}

/** Where requests for a carrier go: its configured transport, and an explicit port when it is not the default. */
export function carrierTransport(c: Carrier): SipTransport {
  return c.transport === "tls" ? "TLS" : c.transport === "tcp" ? "TCP" : "UDP";
}

/**
 * The carriers as the call path sees them: their resolved addresses (to accept calls only from
 * them), which are in rotation (health), and the ordered choice for a destination.
 */
export class CarrierDirectory {
  readonly #o: CarrierDirectoryOptions;
  #carriers: Carrier[] = [];
  /** address → carriers sending from it, with their ports. */
  #sources = new Map<string, { carrier: Carrier; ports: Set<number> }[]>();
  /** Which carriers are in rotation or demoted, and why. */
  readonly health: CarrierHealth;

  constructor(opts: CarrierDirectoryOptions) {
    this.#o = opts;
    this.health = new CarrierHealth({
      ...opts.health,
      ...(opts.logger !== undefined && { logger: opts.logger }),
    });
  }

  get resolver(): SipResolver {
    return this.#o.resolver;
  }

  /** Reloads carriers from the store and resolves their hosts (a name that fails keeps no address). */
  async refresh(): Promise<void> {
    const carriers = await this.#o.store.carriers.list();
    const sources = new Map<string, { carrier: Carrier; ports: Set<number> }[]>();
    for (const c of carriers) {
      if (!c.enabled) continue;
      let targets: SipTarget[] = [];
      try {
        targets = await this.targets(c);
      } catch (err) {
        this.#o.logger?.warn({ err, carrier: c.name, host: c.host }, "carrier host does not resolve");
      }
      for (const t of targets) addSource(sources, t.address, c, t.port);
    }
    this.#carriers = carriers;
    this.#sources = sources;
    this.health.retain(new Set(carriers.map((c) => c.id)));
  }

  /** Carriers loaded by the last `refresh`, enabled or not. */
  list(): readonly Carrier[] {
    return this.#carriers;
  }

  /** Calls from carriers are accepted only from their addresses (literal, or what their name resolved to). */
  isCarrierSource(address: string, port?: number): boolean {
    return this.carrierAt(address, port) !== undefined;
  }

  /** The carrier a packet from `address` (and `port`, when ports are matched) comes from. */
  carrierAt(address: string, port?: number): Carrier | undefined {
    const entries = this.#sources.get(normaliseAddress(address));
    if (entries === undefined) return undefined;
    for (const e of entries) {
      if (this.#o.matchSourcePort !== true || port === undefined || e.ports.has(port)) return e.carrier;
    }
    return undefined;
  }

  /** Addresses and ports to try for a carrier, in RFC 3263 order; remembers them as carrier sources. */
  async targets(c: Carrier): Promise<SipTarget[]> {
    const transport = carrierTransport(c);
    const explicitPort = c.port === defaultPort(transport) ? undefined : c.port;
    const targets = await this.#o.resolver.resolve(c.host, { transport, port: explicitPort });
    for (const t of targets) addSource(this.#sources, t.address, c, t.port);
    if (targets.length === 0) throw new CarrierResolutionError(c.host);
    return targets;
  }

  isUp(carrierId: number): boolean {
    return this.health.isUp(carrierId);
  }

  /** Demotes a carrier until its probe answers again (the health probe, or the operator). */
  markDown(c: Carrier, reason: string): void {
    this.health.demote(c, reason, "probe");
  }

  markUp(c: Carrier): void {
    this.health.restore(c);
  }

  /** What a real call saw at this carrier (passive health): `failure` undefined when it worked. */
  report(c: Carrier, failure: string | undefined): void {
    this.health.callOutcome(c, failure);
  }

  addListener(l: CarrierHealthListener): void {
    this.health.addListener(l);
  }

  removeListener(l: CarrierHealthListener): void {
    this.health.removeListener(l);
  }

  /**
   * Carriers for an E.164 destination, in the order to try them: longest matching prefix
   * first (as Kamailio's drouting), then priority ascending, then a weighted random order among
   * equal priorities (RFC 2782 style, so weights share the load). Shorter prefixes follow as
   * the last resort rather than being dropped. Demoted carriers come after every carrier in
   * rotation, in the same order: when all are demoted the call still tries them.
   */
  async candidates(e164: string): Promise<Carrier[]> {
    const rows = await this.#o.store.carriers.candidatesFor(e164);
    const random = this.#o.random ?? Math.random;
    return [
      ...orderCandidates(
        rows.filter((r) => this.isUp(r.carrier.id)),
        random,
      ),
      ...orderCandidates(
        rows.filter((r) => !this.isUp(r.carrier.id)),
        random,
      ),
    ];
  }
}

/** Pure ordering of store candidates (already filtered for health); exported for tests. */
export function orderCandidates(rows: readonly CarrierCandidate[], random: () => number): Carrier[] {
  const groups = new Map<string, Carrier[]>();
  for (const r of rows) {
    const key = `${r.route.prefix.length}/${r.carrier.priority}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r.carrier]);
    else g.push(r.carrier);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [la, pa] = a.split("/").map(Number) as [number, number];
    const [lb, pb] = b.split("/").map(Number) as [number, number];
    return lb - la || pa - pb;
  });
  const out: Carrier[] = [];
  for (const k of keys) out.push(...weightedOrder(groups.get(k) ?? [], random));
  return out;
}

function normaliseAddress(a: string): string {
  const s = unbracket(a).toLowerCase();
  return s.startsWith("::ffff:") && s.includes(".") ? s.slice(7) : s;
}

function addSource(
  map: Map<string, { carrier: Carrier; ports: Set<number> }[]>,
  address: string,
  carrier: Carrier,
  port: number,
): void {
  const key = normaliseAddress(address);
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  const e = list.find((x) => x.carrier.id === carrier.id);
  if (e === undefined) list.push({ carrier, ports: new Set([port]) });
  else e.ports.add(port);
}
