import { BoundedMap } from "./bounded-map.js";

/** Counts within a window that restarts at the first event after the previous one ended. */
interface Tally {
  count: number;
  windowStart: number;
  /** Distinct sources seen (per-extension tallies only; capped). */
  sources?: Set<string>;
  /** Per-extension: no new alert before this. */
  quietUntil?: number;
}

export interface AuthFailureOptions {
  /** Failed digest answers from one source within `windowMs` that get it banned. Default 10. */
  readonly maxPerSource?: number;
  /** Failed answers for one extension (from any sources) that alert its owner and the operator. Default 20. */
  readonly alertPerExtension?: number;
  /** Counting window (ms). Default 10 minutes. */
  readonly windowMs?: number;
  /** Sources and extensions tracked at most each. Default 100 000. */
  readonly capacity?: number;
}

/** What an extension's failures add up to when they cross the alert threshold. */
export interface ExtensionAlert {
  /** "number@domain" as the guard was told. */
  readonly extension: string;
  readonly failures: number;
  readonly windowMs: number;
  /** Some of the addresses the failures came from (at most 16). */
  readonly sources: readonly string[];
}

export interface AuthFailureVerdict {
  /** Set when this failure takes the source over its threshold: ban it. */
  readonly banSource: number | undefined;
  /** Set when this failure takes the extension over its alert threshold (once per window). */
  readonly alert: ExtensionAlert | undefined;
}

const MAX_SOURCES_KEPT = 16;

/**
 * Failed digest authentications, counted per source address and per extension.
 *
 * The two counts do different things on purpose. Past its threshold a SOURCE is banned: the
 * guesses come from it. An EXTENSION's count only raises an alert: the failures may come from
 * an attacker anywhere, and blocking the account would hand that attacker a way to lock the
 * real phone (on its own address, with the right password) out of service.
 */
export class AuthFailureTracker {
  readonly maxPerSource: number;
  readonly alertPerExtension: number;
  readonly windowMs: number;
  readonly #sources: BoundedMap<string, Tally>;
  readonly #extensions: BoundedMap<string, Tally>;

  constructor(opts: AuthFailureOptions = {}) {
    this.maxPerSource = opts.maxPerSource ?? 10;
    this.alertPerExtension = opts.alertPerExtension ?? 20;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    const capacity = opts.capacity ?? 100_000;
    this.#sources = new BoundedMap(capacity);
    this.#extensions = new BoundedMap(capacity);
  }

  /** One failed answer from `address` for `extension` ("number@domain", or the bare username). */
  failed(address: string, extension: string, now: number): AuthFailureVerdict {
    const s = this.#bump(this.#sources, address, now);
    const banSource = s.count === this.maxPerSource ? s.count : undefined;
    if (banSource !== undefined) this.#sources.delete(address); // counting restarts after the ban
    const e = this.#bump(this.#extensions, extension, now);
    if (e.sources === undefined) e.sources = new Set();
    if (e.sources.size < MAX_SOURCES_KEPT) e.sources.add(address);
    let alert: ExtensionAlert | undefined;
    if (e.count >= this.alertPerExtension && (e.quietUntil ?? 0) <= now) {
      e.quietUntil = now + this.windowMs;
      alert = { extension, failures: e.count, windowMs: this.windowMs, sources: [...e.sources] };
    }
    return { banSource, alert };
  }

  /** Failures counted against `address` in its current window. */
  sourceFailures(address: string, now: number): number {
    const t = this.#sources.get(address);
    return t !== undefined && now - t.windowStart < this.windowMs ? t.count : 0;
  }

  extensionFailures(extension: string, now: number): number {
    const t = this.#extensions.get(extension);
    return t !== undefined && now - t.windowStart < this.windowMs ? t.count : 0;
  }

  /** Forgets a source's count (the operator cleared its ban). */
  forgetSource(address?: string): void {
    if (address === undefined) this.#sources.clear();
    else this.#sources.delete(address);
  }

  /** Drops tallies whose window has ended. */
  sweep(now: number): void {
    const stale = (t: Tally) => now - t.windowStart >= this.windowMs && (t.quietUntil ?? 0) <= now;
    this.#sources.prune(stale);
    this.#extensions.prune(stale);
  }

  get size(): { sources: number; extensions: number } {
    return { sources: this.#sources.size, extensions: this.#extensions.size };
  }

  #bump(map: BoundedMap<string, Tally>, key: string, now: number): Tally {
    let t = map.get(key);
    if (t === undefined || now - t.windowStart >= this.windowMs) {
      const quietUntil = t?.quietUntil;
      t = { count: 0, windowStart: now, ...(quietUntil !== undefined && { quietUntil }) };
      map.set(key, t);
    }
    t.count++;
    return t;
  }
}
