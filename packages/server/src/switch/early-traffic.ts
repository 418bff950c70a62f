import type { SipTrafficObserver } from "@centrex/sip";

/** What the metrics count from the SIP stack and the registrar (SwitchMetrics's feed). */
export interface TrafficSink {
  readonly sip: SipTrafficObserver;
  registerOutcome(outcome: string): void;
}

/**
 * The SIP stack's traffic counts from the moment it binds, before prom-client is loaded:
 * `start` answers first and loads the metrics (prom-client and its OpenTelemetry import cost
 * ~80 ms of CPU) with the rest of the switch. What was counted meanwhile is handed over, so
 * /metrics misses nothing.
 */
export class EarlyTraffic implements TrafficSink {
  #sink: TrafficSink | undefined;
  readonly #requests = new Map<string, number>();
  readonly #responses = new Map<string, { method: string; status: number; n: number }>();
  readonly #outcomes = new Map<string, number>();

  readonly sip: SipTrafficObserver = {
    requestReceived: (method) => {
      if (this.#sink !== undefined) this.#sink.sip.requestReceived(method);
      else this.#requests.set(method, (this.#requests.get(method) ?? 0) + 1);
    },
    responseSent: (method, status) => {
      if (this.#sink !== undefined) {
        this.#sink.sip.responseSent(method, status);
        return;
      }
      const key = `${method} ${status}`;
      const seen = this.#responses.get(key);
      if (seen !== undefined) seen.n++;
      else this.#responses.set(key, { method, status, n: 1 });
    },
  };

  registerOutcome(outcome: string): void {
    if (this.#sink !== undefined) this.#sink.registerOutcome(outcome);
    else this.#outcomes.set(outcome, (this.#outcomes.get(outcome) ?? 0) + 1);
  }

  /** From now on everything goes to `sink`, which is first told what was counted so far. */
  handOver(sink: TrafficSink): void {
    for (const [method, n] of this.#requests) for (let i = 0; i < n; i++) sink.sip.requestReceived(method);
    for (const { method, status, n } of this.#responses.values())
      for (let i = 0; i < n; i++) sink.sip.responseSent(method, status);
    for (const [outcome, n] of this.#outcomes) for (let i = 0; i < n; i++) sink.registerOutcome(outcome);
    this.#requests.clear();
    this.#responses.clear();
    this.#outcomes.clear();
    this.#sink = sink;
  }
}
