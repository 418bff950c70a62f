import type { NumberingPlan } from "@centrex/dialplan";
import type { SipStack } from "@centrex/sip";
import type { Carrier, Store } from "@centrex/store";
import { registersWithCredentials, Trunk } from "@centrex/trunk";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/**
 * The carriers, with their health probe, registrations and a periodic reload of CLI changes.
 * Each carrier's state (up or demoted, why, since when, registration) is written to the store
 * as it changes, for `carrier list` and the API.
 */
export class TrunkService {
  readonly trunk: Trunk;
  readonly reloadMs: number;
  readonly #store: Store;
  readonly #node: string;
  /** Carriers whose current state is in the store. */
  readonly #published = new Set<number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    config: CentrexConfig,
    stack: SipStack,
    store: Store,
    plan: NumberingPlan,
    advertisedAddress: string | undefined,
    readonly logger: Logger,
  ) {
    const t = config.trunk;
    this.#store = store;
    this.#node = config.node.name;
    if (t.registration === "auto") {
      logger.warn(
        "trunk.registration: auto registers every carrier with a username and password; " +
          "prefer the default (per-carrier) and `centrex carrier add … --register` for the carriers that require it",
      );
    }
    this.trunk = new Trunk({
      stack,
      store,
      plan,
      ...(t.dnsServers.length > 0 && { dns: { servers: t.dnsServers } }),
      probe: t.probeSeconds === 0 ? false : { intervalMs: t.probeSeconds * 1000 },
      noResponseTimeoutMs: t.noResponseTimeoutMs,
      health: { demoteMs: t.demoteSeconds * 1000 },
      ...(t.registration === "off" && { shouldRegister: () => false }),
      ...(t.registration === "auto" && { shouldRegister: registersWithCredentials }),
      onRegistrationState: (c) => this.#publish(c),
      ...(advertisedAddress !== undefined && { advertisedAddress }),
      logger: logger.child({ component: "trunk" }),
    });
    this.trunk.directory.addListener({
      onCarrierDown: (c) => this.#publish(c),
      onCarrierUp: (c) => this.#publish(c),
    });
    this.reloadMs = t.reloadSeconds * 1000;
  }

  async start(): Promise<void> {
    await this.trunk.start();
    this.#publishNew();
    this.#timer = setInterval(() => {
      this.trunk
        .reload()
        .then(() => this.#publishNew())
        .catch((err) => this.logger.error({ err }, "carrier reload failed"));
    }, this.reloadMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.trunk.stop();
  }

  /** Carriers not yet shown since this process started (new ones, or all at start: old rows are stale). */
  #publishNew(): void {
    const present = new Set<number>();
    for (const c of this.trunk.directory.list()) {
      present.add(c.id);
      if (!this.#published.has(c.id)) this.#publish(c);
    }
    for (const id of this.#published) if (!present.has(id)) this.#published.delete(id);
  }

  #publish(c: Carrier): void {
    this.#published.add(c.id);
    const s = this.trunk.directory.health.status(c.id);
    this.#store.carriers
      .setHealth({
        carrierId: c.id,
        node: this.#node,
        state: s.state,
        reason: s.reason,
        since: s.since,
        registration: this.trunk.registrationState(c.id) ?? null,
      })
      .catch((err) => this.logger.warn({ err, carrier: c.name }, "could not record carrier state"));
  }
}
