import type { Logger } from "pino";
import { type Clock, type ClockDriven, systemClock } from "./clock.js";

/**
 * A hashed timing wheel: thousands of transaction timers cost one Node timer.
 *
 * Timers hang in intrusive doubly linked lists, one per slot (`tick & mask`), so schedule and
 * cancel are O(1) and allocate one small entry, no closure. Expiry compares exact millisecond
 * deadlines, so the tick only bounds how much of the wheel a pass visits; timers further than
 * one rotation away simply stay in their slot until their deadline comes round.
 */

/** Receives its timers: one object serves all its timer kinds, so no closure per timer. */
export interface TimerTarget {
  onTimer(kind: number): void;
}

/** Opaque handle for `cancel`. */
export interface TimerHandle {
  /** Absolute deadline on the wheel's clock (ms). */
  readonly deadline: number;
  /** True until the timer fires or is cancelled. */
  readonly active: boolean;
}

export interface TimerWheelOptions {
  clock?: Clock;
  /** Slot width in ms (default 10). */
  tickMs?: number;
  /** Slots per rotation, rounded up to a power of two (default 512: 5.12 s at 10 ms). */
  slots?: number;
  /** Where a throwing `onTimer` is reported; without a logger the first error is re-thrown after the pass. */
  logger?: Logger;
}

const IDLE = -1; // not scheduled (fired or cancelled)
const FIRING = -2; // taken off the wheel for the current pass, not yet called

class TimerEntry implements TimerHandle {
  prev: TimerEntry | null = null;
  next: TimerEntry | null = null;
  slot: number;

  constructor(
    readonly owner: TimerWheel,
    readonly deadline: number,
    readonly tick: number,
    readonly seq: number,
    public target: TimerTarget | null,
    readonly kind: number,
    slot: number,
  ) {
    this.slot = slot;
  }

  get active(): boolean {
    return this.slot !== IDLE;
  }
}

function byDeadline(a: TimerEntry, b: TimerEntry): number {
  return a.deadline - b.deadline || a.seq - b.seq;
}

export class TimerWheel implements ClockDriven {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #mask: number;
  readonly #slots: (TimerEntry | null)[];
  readonly #logger: Logger | undefined;
  readonly #driven: boolean;
  readonly #due: TimerEntry[] = [];
  #cursor: number; // tick of the last expiry pass; every entry has tick >= cursor
  #count = 0;
  #seq = 0;
  #firing = false;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #onNodeTimer = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.expire(this.#clock.now());
    this.#arm();
  };

  constructor(opts: TimerWheelOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#tickMs = opts.tickMs ?? 10;
    if (!(this.#tickMs > 0)) throw new RangeError(`TimerWheel: bad tickMs ${opts.tickMs}`);
    let n = 1;
    while (n < (opts.slots ?? 512)) n <<= 1;
    this.#mask = n - 1;
    this.#slots = new Array<TimerEntry | null>(n).fill(null);
    this.#logger = opts.logger;
    this.#cursor = Math.floor(this.#clock.now() / this.#tickMs);
    this.#driven = typeof this.#clock.attach === "function";
    if (this.#driven) this.#clock.attach?.(this);
  }

  /** Number of scheduled timers. */
  get size(): number {
    return this.#count;
  }

  now(): number {
    return this.#clock.now();
  }

  /** True while a Node timer is pending (real clock only; the wheel keeps none when empty). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Call `target.onTimer(kind)` after `delayMs` (negative or NaN counts as 0). */
  schedule(delayMs: number, target: TimerTarget, kind: number): TimerHandle {
    const now = this.#clock.now();
    if (this.#count === 0 && !this.#firing) this.#cursor = Math.floor(now / this.#tickMs);
    const deadline = delayMs > 0 ? now + delayMs : now;
    let tick = Math.floor(deadline / this.#tickMs);
    if (tick < this.#cursor) tick = this.#cursor;
    const slot = tick & this.#mask;
    const e = new TimerEntry(this, deadline, tick, this.#seq++, target, kind, slot);
    const head = this.#slots[slot] ?? null;
    e.next = head;
    if (head !== null) head.prev = e;
    this.#slots[slot] = e;
    this.#count++;
    if (!this.#driven && !this.#firing && deadline < this.#armedFor) this.#armAt(deadline, now);
    return e;
  }

  /** Stop a timer; returns false if it had already fired or been cancelled. */
  cancel(handle: TimerHandle | undefined | null): boolean {
    if (!(handle instanceof TimerEntry) || handle.owner !== this) return false;
    const e = handle;
    if (e.slot === IDLE) return false;
    if (e.slot === FIRING) {
      e.slot = IDLE; // still in the pass's list: the pass skips it
      e.target = null;
      return true;
    }
    this.#unlink(e);
    e.target = null;
    if (this.#count === 0 && this.#timer !== undefined) this.#disarm();
    return true;
  }

  nextDeadline(limit: number): number | undefined {
    if (this.#count === 0) return undefined;
    const limitTick = Math.floor(limit / this.#tickMs);
    const last = Math.min(limitTick, this.#cursor + this.#mask);
    // The first tick, in order, holding a timer of this rotation holds the earliest deadline.
    for (let t = this.#cursor; t <= last; t++) {
      let min = Number.POSITIVE_INFINITY;
      for (let e = this.#slots[t & this.#mask] ?? null; e !== null; e = e.next) {
        if (e.tick === t && e.deadline < min) min = e.deadline;
      }
      if (min !== Number.POSITIVE_INFINITY) return min <= limit ? min : undefined;
    }
    if (limitTick - this.#cursor <= this.#mask) return undefined;
    // Nothing within a rotation: the earliest is somewhere further out.
    let min = Number.POSITIVE_INFINITY;
    for (const head of this.#slots) {
      for (let e = head; e !== null; e = e.next) if (e.deadline < min) min = e.deadline;
    }
    return min <= limit ? min : undefined;
  }

  expire(now: number): number {
    if (this.#firing) return 0;
    const nowTick = Math.floor(now / this.#tickMs);
    if (this.#count === 0) {
      if (nowTick > this.#cursor) this.#cursor = nowTick;
      return 0;
    }
    this.#firing = true;
    let fired = 0;
    let firstError: unknown;
    let failed = false;
    const due = this.#due;
    try {
      // Callbacks may schedule timers already due at `now` (delay 0): go round until none is.
      for (;;) {
        this.#collect(now, nowTick, due);
        if (due.length === 0) break;
        if (due.length > 1) due.sort(byDeadline);
        for (let i = 0; i < due.length; i++) {
          const e = due[i]!;
          if (e.slot !== FIRING) continue; // cancelled by an earlier callback of this pass
          const target = e.target!;
          e.slot = IDLE;
          e.target = null;
          fired++;
          try {
            target.onTimer(e.kind);
          } catch (err) {
            if (this.#logger !== undefined) this.#logger.error({ err, kind: e.kind }, "timer callback threw");
            else if (!failed) {
              failed = true;
              firstError = err;
            }
          }
        }
        due.length = 0;
      }
    } finally {
      due.length = 0;
      this.#firing = false;
    }
    if (!this.#driven) this.#arm();
    if (failed) throw firstError;
    return fired;
  }

  /** Cancel everything and release the Node timer / the driving clock. */
  close(): void {
    for (let s = 0; s <= this.#mask; s++) {
      for (let e = this.#slots[s] ?? null; e !== null; ) {
        const next = e.next;
        e.prev = e.next = null;
        e.slot = IDLE;
        e.target = null;
        e = next;
      }
      this.#slots[s] = null;
    }
    this.#count = 0;
    this.#disarm();
    this.#clock.detach?.(this);
  }

  #collect(now: number, nowTick: number, due: TimerEntry[]): void {
    // A gap of a rotation or more visits every slot once; exact deadlines decide.
    const span = nowTick - this.#cursor;
    const first = span > this.#mask ? nowTick - this.#mask : this.#cursor;
    for (let t = first; t <= nowTick; t++) {
      for (let e = this.#slots[t & this.#mask] ?? null; e !== null; ) {
        const next = e.next;
        if (e.deadline <= now) {
          this.#unlink(e);
          e.slot = FIRING;
          due.push(e);
        }
        e = next;
      }
    }
    if (nowTick > this.#cursor) this.#cursor = nowTick;
  }

  #unlink(e: TimerEntry): void {
    if (e.prev !== null) e.prev.next = e.next;
    else this.#slots[e.slot] = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    e.prev = e.next = null;
    e.slot = IDLE;
    this.#count--;
  }

  #arm(): void {
    if (this.#count === 0) {
      this.#disarm();
      return;
    }
    const now = this.#clock.now();
    const horizon = now + (this.#mask + 1) * this.#tickMs;
    const next = this.nextDeadline(horizon) ?? horizon;
    if (this.#timer !== undefined && this.#armedFor <= next) return;
    this.#armAt(next, now);
  }

  #armAt(deadline: number, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#onNodeTimer, Math.max(1, Math.ceil(deadline - now)));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}
