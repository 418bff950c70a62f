/**
 * Per-source request counting in the style of Kamailio's `pike` module: messages from each
 * source address are counted over a sampling window; a source that sends more than the
 * threshold within one window is reported (the caller bans it). Fixed windows, so a burst
 * straddling two windows can reach twice the threshold before it is caught — still within a
 * couple of windows of the start of a flood, which is what matters.
 *
 * Memory is bounded: at most `capacity` sources are counted per window; sources seen after
 * the table is full in a window are not counted (admitted) and are tallied in `untracked`.
 * The table is emptied at each window start, so a spoofed-address flood cannot grow it.
 */
export interface RateLimiterOptions {
  /** Sampling window (ms). Default 2000 (pike's sampling_time_unit). */
  readonly windowMs?: number;
  /** Messages allowed per source per window; one more and the source is reported. */
  readonly maxPerWindow: number;
  /** Sources counted per window at most. Default 100 000. */
  readonly capacity?: number;
}

export class RateLimiter {
  readonly windowMs: number;
  readonly maxPerWindow: number;
  readonly capacity: number;
  #counts = new Map<string, number>();
  #windowStart = Number.NEGATIVE_INFINITY;
  /** Messages from sources that did not fit in the table (admitted uncounted). */
  untracked = 0;

  constructor(opts: RateLimiterOptions) {
    this.windowMs = opts.windowMs ?? 2000;
    this.maxPerWindow = opts.maxPerWindow;
    this.capacity = opts.capacity ?? 100_000;
    if (!(this.windowMs > 0) || !(this.maxPerWindow >= 1)) throw new RangeError("rate limiter: bad window");
  }

  /**
   * Counts one message from `address`; returns the count in this window when it has just gone
   * over the threshold (exactly once per window and source), otherwise 0.
   */
  hit(address: string, now: number): number {
    if (now - this.#windowStart >= this.windowMs) {
      this.#counts.clear();
      this.#windowStart = now;
    }
    const prior = this.#counts.get(address);
    if (prior === undefined) {
      if (this.#counts.size >= this.capacity) {
        this.untracked++;
        return 0;
      }
      this.#counts.set(address, 1);
      return 1 > this.maxPerWindow ? 1 : 0;
    }
    const n = prior + 1;
    this.#counts.set(address, n);
    return n === this.maxPerWindow + 1 ? n : 0;
  }

  /** Forgets `address`'s count (after a ban is lifted by the operator). */
  forget(address?: string): void {
    if (address === undefined) this.#counts.clear();
    else this.#counts.delete(address);
  }

  /** Sources counted in the current window. */
  get size(): number {
    return this.#counts.size;
  }
}
