/**
 * When to try a failing DNS update again, and when that is worth a log line: retries back off
 * from `minMs` doubling to `maxMs`, and a failure is logged once per change of state (a new
 * error, or recovery), not on every attempt — an unreachable DNS server must not fill the log
 * every probe round.
 */
export class PublishRetry {
  readonly #minMs: number;
  readonly #maxMs: number;
  #delayMs: number;
  #nextAt = 0;
  #lastError: string | undefined;
  #attempts = 0;

  constructor(minMs: number, maxMs = 30_000) {
    this.#minMs = Math.max(1, minMs);
    this.#maxMs = Math.max(this.#minMs, maxMs);
    this.#delayMs = this.#minMs;
  }

  /** Whether an attempt may run at `now` (always, unless the last one failed recently). */
  due(now: number): boolean {
    return now >= this.#nextAt;
  }

  /** The wait before the next attempt, after a failure. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** Failed attempts since the last success. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Records a failure; true when it is a new state (first failure, or a different error). */
  failed(err: Error, now: number): boolean {
    this.#attempts++;
    this.#nextAt = now + this.#delayMs;
    this.#delayMs = Math.min(this.#maxMs, this.#delayMs * 2);
    const text = `${err.name}: ${err.message}`;
    const changed = text !== this.#lastError;
    this.#lastError = text;
    return changed;
  }

  /** Records a success; true when it ends a run of failures (worth saying it recovered). */
  succeeded(): boolean {
    const recovered = this.#lastError !== undefined;
    this.#lastError = undefined;
    this.#attempts = 0;
    this.#delayMs = this.#minMs;
    this.#nextAt = 0;
    return recovered;
  }
}
