/** A warning and a critical level; a critical breach suspends the customer's PSTN access. */
export interface Threshold {
  readonly warning: number;
  readonly critical: number;
}

export interface FraudThresholds {
  /** Simultaneous outgoing PSTN calls of one extension. */
  readonly concurrentPerExtension: Threshold;
  /** Simultaneous outgoing PSTN calls of one customer. */
  readonly concurrentPerCustomer: Threshold;
  /** PSTN calls started by one extension in the last 60 s. */
  readonly callsPerMinute: Threshold;
  /** Distinct expensive destinations (prefix of 4 digits) never called before, per customer per hour. */
  readonly newExpensiveDestinations: Threshold;
  /** PSTN calls started outside business hours, per customer per hour. */
  readonly unusualHourCalls: Threshold;
  /**
   * Spend (millicents) per customer over the last hour, as a multiple of the customer's own
   * average hourly spend, and never below `floorMillicents`.
   */
  readonly spendPerHourFactor: Threshold;
  readonly spendPerHourFloorMillicents: Threshold;
}

export const DEFAULT_FRAUD_THRESHOLDS: FraudThresholds = {
  concurrentPerExtension: { warning: 2, critical: 4 },
  concurrentPerCustomer: { warning: 10, critical: 30 },
  callsPerMinute: { warning: 4, critical: 8 },
  newExpensiveDestinations: { warning: 1, critical: 3 },
  unusualHourCalls: { warning: 3, critical: 10 },
  spendPerHourFactor: { warning: 3, critical: 10 },
  spendPerHourFloorMillicents: { warning: 1_000_000, critical: 3_000_000 },
};

/** Classes whose calls cost enough to be a toll-fraud target. */
export const EXPENSIVE_CLASSES: ReadonlySet<string> = new Set([
  "fr-premium",
  "fr-directory",
  "fr-short",
  "fr-overseas-collectivity",
  "intl-europe",
  "intl-north-america",
  "intl-world",
]);

/** What a customer did before: the yardstick for its own unusual behaviour. */
export interface CustomerBaseline {
  readonly hourlySpendMillicents: number;
  /** Destination keys (`+` and the first 4 digits) the customer already called. */
  readonly knownDestinations: ReadonlySet<string>;
}

export type FraudMonitorName =
  | "concurrent-extension"
  | "concurrent-customer"
  | "calls-per-minute"
  | "new-expensive-destinations"
  | "unusual-hours"
  | "spend-per-hour";

export interface FraudEvent {
  readonly level: "warning" | "critical";
  readonly monitor: FraudMonitorName;
  readonly customerId: number;
  readonly extension: string | null;
  readonly value: number;
  readonly threshold: number;
  readonly at: number;
  readonly callId: string;
}

export interface FraudDelegate {
  /** Rules 16 and 20: suspend PSTN access (internal calls keep working). Called once per episode. */
  suspendPstn(customerId: number, reason: string): void | Promise<void>;
  alert(event: FraudEvent): void;
}

export interface PstnCallStart {
  readonly callId: string;
  readonly customerId: number;
  readonly extension: string | null;
  readonly destinationClass: string;
  /** E.164. */
  readonly called: string;
  readonly at: number;
}

export interface FraudVerdict {
  /** false once the customer is suspended: refuse the call (403 PSTN access suspended). */
  readonly allowed: boolean;
  readonly events: readonly FraudEvent[];
}

export interface FraudMonitorOptions {
  delegate: FraudDelegate;
  thresholds?: Partial<FraudThresholds>;
  baseline?: (customerId: number) => CustomerBaseline | undefined;
  /** Business hours, local time: calls outside [start, end) or on weekends are "unusual". */
  businessHours?: { start: number; end: number; timeZone: string };
}

const HOUR = 3_600_000;

interface CustomerState {
  concurrent: number;
  spend: { at: number; millicents: number }[];
  newDestinations: Map<string, number>;
  unusual: number[];
  suspended: boolean;
}

/**
 * Live toll-fraud monitors, in the manner of OpenSIPS fraud_detection: per customer and
 * extension, checked when a PSTN call starts (the proxy asks before routing) and fed with the
 * cost when it ends. Sliding windows are plain arrays pruned on each event; no timers.
 */
export class FraudMonitor {
  readonly #delegate: FraudDelegate;
  readonly #t: FraudThresholds;
  readonly #baseline: (customerId: number) => CustomerBaseline | undefined;
  readonly #hours: { start: number; end: number; timeZone: string };
  readonly #hourFormat: Intl.DateTimeFormat;
  readonly #customers = new Map<number, CustomerState>();
  readonly #extensions = new Map<string, { concurrent: number; starts: number[] }>();
  readonly #calls = new Map<string, { customerId: number; extKey: string }>();

  constructor(opts: FraudMonitorOptions) {
    this.#delegate = opts.delegate;
    this.#t = { ...DEFAULT_FRAUD_THRESHOLDS, ...opts.thresholds };
    this.#baseline = opts.baseline ?? (() => undefined);
    this.#hours = opts.businessHours ?? { start: 7, end: 21, timeZone: "Europe/Paris" };
    this.#hourFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: this.#hours.timeZone,
      hour: "numeric",
      hourCycle: "h23",
      weekday: "short",
    });
  }

  #customer(id: number): CustomerState {
    let s = this.#customers.get(id);
    if (!s) {
      s = { concurrent: 0, spend: [], newDestinations: new Map(), unusual: [], suspended: false };
      this.#customers.set(id, s);
    }
    return s;
  }

  isSuspended(customerId: number): boolean {
    return this.#customers.get(customerId)?.suspended ?? false;
  }

  /** The operator lifted the suspension (after checking with the customer). */
  resume(customerId: number): void {
    const s = this.#customers.get(customerId);
    if (s) {
      s.suspended = false;
      s.newDestinations.clear();
      s.unusual.length = 0;
      s.spend.length = 0;
    }
  }

  #unusual(at: number): boolean {
    let hour = 0;
    let weekday = "";
    for (const p of this.#hourFormat.formatToParts(at)) {
      if (p.type === "hour") hour = Number(p.value);
      else if (p.type === "weekday") weekday = p.value;
    }
    return weekday === "Sat" || weekday === "Sun" || hour < this.#hours.start || hour >= this.#hours.end;
  }

  #judge(
    events: FraudEvent[],
    monitor: FraudMonitorName,
    t: Threshold,
    value: number,
    base: Omit<FraudEvent, "level" | "monitor" | "value" | "threshold">,
  ): void {
    if (value >= t.critical)
      events.push({ ...base, level: "critical", monitor, value, threshold: t.critical });
    else if (value >= t.warning)
      events.push({ ...base, level: "warning", monitor, value, threshold: t.warning });
  }

  #raise(events: FraudEvent[], s: CustomerState, customerId: number): void {
    for (const e of events) this.#delegate.alert(e);
    const critical = events.find((e) => e.level === "critical");
    if (critical && !s.suspended) {
      s.suspended = true;
      void this.#delegate.suspendPstn(
        customerId,
        `fraud monitor ${critical.monitor}: ${critical.value} >= ${critical.threshold}`,
      );
    }
  }

  /** Checks a PSTN call about to be routed. A refused call (`allowed: false`) must not be routed. */
  callStarted(c: PstnCallStart): FraudVerdict {
    const s = this.#customer(c.customerId);
    if (s.suspended) return { allowed: false, events: [] };
    const extKey = `${c.customerId}/${c.extension ?? ""}`;
    let ext = this.#extensions.get(extKey);
    if (!ext) {
      ext = { concurrent: 0, starts: [] };
      this.#extensions.set(extKey, ext);
    }
    const base = { customerId: c.customerId, extension: c.extension, at: c.at, callId: c.callId };
    const events: FraudEvent[] = [];
    while (ext.starts.length > 0 && ext.starts[0]! <= c.at - 60_000) ext.starts.shift();
    ext.starts.push(c.at);
    ext.concurrent++;
    s.concurrent++;
    this.#calls.set(c.callId, { customerId: c.customerId, extKey });
    this.#judge(events, "concurrent-extension", this.#t.concurrentPerExtension, ext.concurrent, base);
    this.#judge(events, "concurrent-customer", this.#t.concurrentPerCustomer, s.concurrent, base);
    this.#judge(events, "calls-per-minute", this.#t.callsPerMinute, ext.starts.length, base);
    if (EXPENSIVE_CLASSES.has(c.destinationClass)) {
      const key = c.called.slice(0, 5);
      for (const [k, at] of s.newDestinations) if (at <= c.at - HOUR) s.newDestinations.delete(k);
      if (!this.#baseline(c.customerId)?.knownDestinations.has(key) && !s.newDestinations.has(key)) {
        s.newDestinations.set(key, c.at);
        this.#judge(
          events,
          "new-expensive-destinations",
          this.#t.newExpensiveDestinations,
          s.newDestinations.size,
          base,
        );
      }
    }
    if (this.#unusual(c.at)) {
      while (s.unusual.length > 0 && s.unusual[0]! <= c.at - HOUR) s.unusual.shift();
      s.unusual.push(c.at);
      this.#judge(events, "unusual-hours", this.#t.unusualHourCalls, s.unusual.length, base);
    }
    this.#raise(events, s, c.customerId);
    if (s.suspended) {
      this.#release(c.callId);
      return { allowed: false, events };
    }
    return { allowed: true, events };
  }

  #release(callId: string): { customerId: number; extKey: string } | undefined {
    const call = this.#calls.get(callId);
    if (!call) return undefined;
    this.#calls.delete(callId);
    const ext = this.#extensions.get(call.extKey);
    if (ext) ext.concurrent--;
    const s = this.#customers.get(call.customerId);
    if (s) s.concurrent--;
    return call;
  }

  /** A PSTN call ended; `costMillicents` is its rated price. */
  callEnded(e: { callId: string; at: number; costMillicents: number }): FraudEvent[] {
    const call = this.#release(e.callId);
    if (!call) return [];
    const s = this.#customer(call.customerId);
    while (s.spend.length > 0 && s.spend[0]!.at <= e.at - HOUR) s.spend.shift();
    s.spend.push({ at: e.at, millicents: e.costMillicents });
    const spent = s.spend.reduce((sum, x) => sum + x.millicents, 0);
    const usual = this.#baseline(call.customerId)?.hourlySpendMillicents ?? 0;
    const limit = {
      warning: Math.max(
        this.#t.spendPerHourFloorMillicents.warning,
        this.#t.spendPerHourFactor.warning * usual,
      ),
      critical: Math.max(
        this.#t.spendPerHourFloorMillicents.critical,
        this.#t.spendPerHourFactor.critical * usual,
      ),
    };
    const events: FraudEvent[] = [];
    const [extension] = call.extKey.split("/").slice(1);
    this.#judge(events, "spend-per-hour", limit, spent, {
      customerId: call.customerId,
      extension: extension || null,
      at: e.at,
      callId: e.callId,
    });
    this.#raise(events, s, call.customerId);
    return events;
  }
}

/**
 * A customer's baseline from its past records: average spend per hour over `days` days and
 * the destinations already called. `cost` prices one record (e.g. with rateCall).
 */
export function baselineFromRecords(
  records: readonly { called: string | null; destinationClass: string; direction: string }[],
  cost: (i: number) => number,
  days: number,
): CustomerBaseline {
  let total = 0;
  const known = new Set<string>();
  records.forEach((r, i) => {
    if (r.direction !== "outbound") return;
    total += cost(i);
    if (r.called?.startsWith("+")) known.add(r.called.slice(0, 5));
  });
  return { hourlySpendMillicents: Math.round(total / (days * 24)), knownDestinations: known };
}
