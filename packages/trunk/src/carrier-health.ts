import type { Carrier } from "@centrex/store";
import type { Logger } from "pino";

/** Why a carrier is demoted: its OPTIONS probes, or real calls (5xx, timeouts). */
export type DemotionSource = "probe" | "calls";

/** How this node sees one carrier. */
export interface CarrierStatus {
  readonly state: "up" | "demoted";
  /** Why it is demoted (null when up). */
  readonly reason: string | null;
  /** When it entered this state (ms since epoch); the start of this process for a carrier never demoted. */
  readonly since: number;
  readonly source: DemotionSource | null;
  /** A demotion by calls ends by itself at this time (ms); null otherwise. */
  readonly until: number | null;
}

/** Carriers that changed state. */
export interface CarrierHealthListener {
  onCarrierDown?(carrier: Carrier, reason: string): void;
  onCarrierUp?(carrier: Carrier): void;
}

export interface CarrierHealthOptions {
  /** How long failed calls keep a carrier demoted (ms); default 60 s. */
  readonly demoteMs?: number;
  /** Consecutive failed calls (5xx, 408, silence) that demote a carrier; default 1. */
  readonly failuresToDemote?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/**
 * Carrier health as the call path uses it. A demoted carrier is not dropped: it is tried after
 * every carrier in rotation, so that when all are demoted calls still try them in order (last
 * resort) instead of failing at once. Demotions come from the OPTIONS probe (lifted by the next
 * answered probe) and from real calls (lifted after `demoteMs`, or by a call it carries).
 */
export class CarrierHealth {
  readonly #o: CarrierHealthOptions;
  readonly #status = new Map<number, CarrierStatus>();
  readonly #failures = new Map<number, number>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #listeners = new Set<CarrierHealthListener>();
  readonly #startedAt: number;

  constructor(opts: CarrierHealthOptions = {}) {
    this.#o = opts;
    this.#startedAt = this.#now();
  }

  status(carrierId: number): CarrierStatus {
    return (
      this.#status.get(carrierId) ?? {
        state: "up",
        reason: null,
        since: this.#startedAt,
        source: null,
        until: null,
      }
    );
  }

  isUp(carrierId: number): boolean {
    return this.status(carrierId).state === "up";
  }

  /** Takes a carrier out of the first rank. Calls demote it for `demoteMs`; the probe until it answers. */
  demote(c: Carrier, reason: string, source: DemotionSource): void {
    const cur = this.status(c.id);
    const until = source === "calls" ? this.#now() + (this.#o.demoteMs ?? 60_000) : null;
    const since = cur.state === "demoted" ? cur.since : this.#now();
    this.#status.set(c.id, { state: "demoted", reason, since, source, until });
    this.#clearTimer(c.id);
    if (until !== null) {
      const t = setTimeout(() => this.restore(c, "calls"), until - this.#now());
      t.unref();
      this.#timers.set(c.id, t);
    }
    if (cur.state === "demoted" && cur.reason === reason) return;
    this.#o.logger?.warn({ carrier: c.name, reason, source }, "carrier demoted");
    for (const l of this.#listeners) l.onCarrierDown?.(c, reason);
  }

  /** Back in rotation; with `source`, only when that is what demoted it. */
  restore(c: Carrier, source?: DemotionSource): void {
    const cur = this.#status.get(c.id);
    if (cur === undefined || cur.state === "up") return;
    if (source !== undefined && cur.source !== source) return;
    this.#clearTimer(c.id);
    this.#failures.delete(c.id);
    this.#status.set(c.id, { state: "up", reason: null, since: this.#now(), source: null, until: null });
    this.#o.logger?.info({ carrier: c.name }, "carrier back in rotation");
    for (const l of this.#listeners) l.onCarrierUp?.(c);
  }

  /** A real call's outcome at this carrier: `failure` says why it failed (5xx, 408, silence), undefined when it worked. */
  callOutcome(c: Carrier, failure: string | undefined): void {
    if (failure === undefined) {
      this.#failures.delete(c.id);
      this.restore(c);
      return;
    }
    const n = (this.#failures.get(c.id) ?? 0) + 1;
    this.#failures.set(c.id, n);
    if (n >= (this.#o.failuresToDemote ?? 1)) this.demote(c, failure, "calls");
  }

  /** Forgets carriers no longer configured. */
  retain(ids: ReadonlySet<number>): void {
    for (const id of [...this.#status.keys()]) {
      if (ids.has(id)) continue;
      this.#status.delete(id);
      this.#failures.delete(id);
      this.#clearTimer(id);
    }
  }

  addListener(l: CarrierHealthListener): void {
    this.#listeners.add(l);
  }

  removeListener(l: CarrierHealthListener): void {
    this.#listeners.delete(l);
  }

  /** Stops the timers that would lift demotions (shutdown). */
  close(): void {
    for (const id of [...this.#timers.keys()]) this.#clearTimer(id);
  }

  #clearTimer(id: number): void {
    const t = this.#timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(id);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
