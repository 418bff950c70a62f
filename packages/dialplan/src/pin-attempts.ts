export interface PinAttemptOptions {
  /** Wrong PINs within `windowMs` that lock the phone out (default 3). */
  readonly maxFailures?: number;
  /** Sliding window for counting wrong PINs (default 10 minutes). */
  readonly windowMs?: number;
  /** How long PIN dialling stays locked (default 30 minutes). */
  readonly lockoutMs?: number;
}

export interface PinFailureResult {
  /** Failures counted in the current window, this one included. */
  readonly failures: number;
  /** Set when this failure started a lockout. */
  readonly lockedUntil: number | undefined;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/**
 * Wrong-PIN counting and lockout per phone (key: customer + extension). No I/O and no timers:
 * every call takes `now` (ms since epoch), so the proxy owns the clock and tests can move it.
 * State lives in memory; `prune` drops entries with nothing left to remember.
 */
export class PinAttemptTracker {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: PinAttemptOptions = {}) {
    this.maxFailures = options.maxFailures ?? 3;
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.lockoutMs = options.lockoutMs ?? 30 * 60_000;
  }

  static key(customerId: string, extension: string): string {
    return `${customerId}\u0000${extension}`;
  }

  /** End of the lockout for this phone, or undefined if PIN dialling is open. */
  lockedUntil(key: string, now: number): number | undefined {
    const e = this.#entries.get(key);
    return e !== undefined && e.lockedUntil > now ? e.lockedUntil : undefined;
  }

  recordFailure(key: string, now: number): PinFailureResult {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = { failures: [], lockedUntil: 0 };
      this.#entries.set(key, e);
    }
    const since = now - this.windowMs;
    e.failures = e.failures.filter((t) => t > since);
    e.failures.push(now);
    const failures = e.failures.length;
    if (failures >= this.maxFailures) {
      e.lockedUntil = now + this.lockoutMs;
      e.failures = [];
      return { failures, lockedUntil: e.lockedUntil };
    }
    return { failures, lockedUntil: undefined };
  }

  /** A correct PIN clears the failure count (a lockout in force is not lifted: it was checked first). */
  recordSuccess(key: string): void {
    const e = this.#entries.get(key);
    if (e !== undefined) e.failures = [];
  }

  /** Administrator unlock. */
  unlock(key: string): void {
    this.#entries.delete(key);
  }

  /** Forget entries whose failures and lockout have all expired; call now and then. */
  prune(now: number): void {
    const since = now - this.windowMs;
    for (const [key, e] of this.#entries) {
      if (e.lockedUntil <= now && e.failures.every((t) => t <= since)) this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
