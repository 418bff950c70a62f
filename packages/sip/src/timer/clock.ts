/**
 * Time sources for the timer wheel. Milliseconds, monotonic, arbitrary origin.
 *
 * A clock that implements `attach` drives the wheels attached to it itself (tests use
 * `FakeClock`); otherwise the wheel arms one real, unref'ed Node timer.
 */

/** What a driving clock needs from a wheel: peek at the next deadline and fire what is due. */
export interface ClockDriven {
  /** The earliest deadline `<= limit` among scheduled timers, or undefined. */
  nextDeadline(limit: number): number | undefined;
  /** Fire every timer whose deadline is `<= now`, in deadline order; returns how many fired. */
  expire(now: number): number;
}

export interface Clock {
  now(): number;
  /** Present on clocks that drive time themselves; the wheel then arms no Node timer. */
  attach?(wheel: ClockDriven): void;
  detach?(wheel: ClockDriven): void;
}

/** `performance.now()`: monotonic, immune to wall-clock steps. */
export const systemClock: Clock = {
  now: () => performance.now(),
};

/** Guards a test against a callback that re-schedules itself at delay 0 forever. */
const MAX_STEPS_PER_ADVANCE = 10_000_000;

/**
 * A manual clock for tests: `advance(ms)` walks time forward deadline by deadline, so each
 * callback sees `now()` equal to its own deadline and timers it schedules fire in order too.
 */
export class FakeClock implements Clock {
  #t: number;
  readonly #wheels: ClockDriven[] = [];

  constructor(start = 0) {
    this.#t = start;
  }

  now(): number {
    return this.#t;
  }

  attach(wheel: ClockDriven): void {
    if (!this.#wheels.includes(wheel)) this.#wheels.push(wheel);
  }

  detach(wheel: ClockDriven): void {
    const i = this.#wheels.indexOf(wheel);
    if (i >= 0) this.#wheels.splice(i, 1);
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. Returns timers fired. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: bad duration ${ms}`);
    const end = this.#t + ms;
    let fired = 0;
    for (let steps = 0; ; steps++) {
      if (steps > MAX_STEPS_PER_ADVANCE)
        throw new Error("FakeClock.advance: timers keep re-scheduling at 0 ms");
      let next: number | undefined;
      for (const w of this.#wheels) {
        const d = w.nextDeadline(end);
        if (d !== undefined && (next === undefined || d < next)) next = d;
      }
      if (next === undefined) break;
      if (next > this.#t) this.#t = next;
      for (const w of this.#wheels) fired += w.expire(this.#t);
    }
    this.#t = end;
    return fired;
  }
}
