import type { NumberingPlan } from "@centrex/dialplan";
import type { SipStack } from "@centrex/sip";
import type { Store } from "@centrex/store";
import { Trunk } from "@centrex/trunk";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/** The carriers, with their health probe, registrations and a periodic reload of CLI changes. */
export class TrunkService {
  readonly trunk: Trunk;
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
    this.trunk = new Trunk({
      stack,
      store,
      plan,
      ...(t.dnsServers.length > 0 && { dns: { servers: t.dnsServers } }),
      probe: t.probeSeconds === 0 ? false : { intervalMs: t.probeSeconds * 1000 },
      noResponseTimeoutMs: t.noResponseTimeoutMs,
      ...(t.registration === "off" && { shouldRegister: () => false }),
      ...(advertisedAddress !== undefined && { advertisedAddress }),
      logger: logger.child({ component: "trunk" }),
    });
    this.reloadMs = t.reloadSeconds * 1000;
  }

  readonly reloadMs: number;

  async start(): Promise<void> {
    await this.trunk.start();
    this.#timer = setInterval(() => {
      this.trunk.reload().catch((err) => this.logger.error({ err }, "carrier reload failed"));
    }, this.reloadMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.trunk.stop();
  }
}
