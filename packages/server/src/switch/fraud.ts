import { type FraudEvent, FraudMonitor } from "@centrex/billing";
import type { Operations } from "@centrex/operations";
import type { PstnGuard } from "@centrex/proxy";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/**
 * Live fraud detection on PSTN calls (rules 16, 20): the billing package's
 * monitors, with their verdicts made real — a critical breach suspends the
 * customer's PSTN access in the store (internal and emergency calls keep
 * working), is audited, logged and posted to the operator's webhook.
 * An operator who lifts the suspension (`centrex resume`) lifts it here too.
 */
export class FraudGuard implements PstnGuard {
  readonly monitor: FraudMonitor;
  /** Customers this guard suspended: lifted here once the operator lifts it in the store. */
  readonly #suspended = new Set<number>();

  constructor(
    readonly store: Store,
    readonly config: CentrexConfig,
    readonly logger: Logger,
    /** The suspension goes through the operations layer like an operator's (rules, since, audit). */
    readonly ops: Operations,
  ) {
    this.monitor = new FraudMonitor({
      delegate: {
        suspendPstn: (customerId, reason) => this.#suspend(customerId, reason),
        alert: (event) => this.#alert(event),
      },
    });
  }

  async admit(call: {
    callId: string;
    customerId: number;
    extension: string;
    destinationClass: string;
    called: string;
  }): Promise<boolean> {
    if (this.#suspended.has(call.customerId)) {
      const policy = await this.store.policies.get(call.customerId);
      if (policy.pstnSuspension === "none") {
        this.#suspended.delete(call.customerId);
        this.monitor.resume(call.customerId);
      }
    }
    return this.monitor.callStarted({ ...call, at: Date.now() }).allowed;
  }

  ended(callId: string): void {
    // Spend per hour needs the call's price; rating happens at invoice time, so the live
    // monitors here are the rate, concurrency, destination and hour ones.
    this.monitor.callEnded({ callId, at: Date.now(), costMillicents: 0 });
  }

  async #suspend(customerId: number, reason: string): Promise<void> {
    // Logged when decided: calls are refused from this moment on (the monitor says so), while
    // the durable suspension below may wait on the store.
    this.#suspended.add(customerId);
    this.logger.error(
      { event: "fraud-suspension", customerId, reason },
      "PSTN access suspended by fraud detection",
    );
    try {
      const c = await this.store.customers.get(customerId);
      await this.ops.suspend("system:fraud", c.domain, { pstn: "total", reason: `fraud: ${reason}` });
    } catch (err) {
      // The monitor keeps refusing this customer's PSTN calls in memory; only the durable
      // record (visible to the operator, kept across a restart) is missing.
      this.logger.error({ err, customerId }, "fraud suspension not recorded in the store");
    }
  }

  #alert(event: FraudEvent): void {
    this.logger.warn(
      { ...event, event: "fraud-alert", level: event.level },
      `fraud ${event.level}: ${event.monitor}`,
    );
    const url = this.config.billing.fraudWebhook;
    if (url === undefined) return;
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "fraud-alert", ...event }),
      signal: AbortSignal.timeout(5000),
    }).catch((err: unknown) => this.logger.warn({ err, url }, "fraud webhook failed"));
  }
}
