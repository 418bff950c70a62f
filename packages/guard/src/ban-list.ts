import { BoundedMap } from "./bounded-map.js";
import { type Now, systemNow } from "./clock.js";

/** Why a source was banned. */
export type BanReason = "flood" | "auth-failures" | "scanner" | "manual";

/** How long bans of one reason last: `baseMs` at the first offence, doubling with each repeat. */
export interface BanDuration {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** A ban as shown to the operator (CLI, API). */
export interface Ban {
  readonly address: string;
  readonly reason: BanReason;
  /** When this ban started and ends (ms since the epoch). */
  readonly since: number;
  readonly until: number;
  /** Bans this address has had (for any reason) while it was remembered, this one included. */
  readonly offences: number;
  /** What triggered it, for the log and the listing (e.g. "312 messages in 2000 ms"). */
  readonly detail: string;
}

interface Entry {
  reason: BanReason;
  since: number;
  until: number;
  offences: number;
  detail: string;
  /** Offences are forgotten (the next ban starts from `baseMs` again) after this. */
  forgetAt: number;
}

export interface BanListOptions {
  /** Addresses remembered at most (active bans plus offence history); oldest forgotten first. */
  readonly capacity?: number;
  /** After a ban ends, how long its offence count still makes the next ban longer. Default 24 h. */
  readonly memoryMs?: number;
  readonly now?: Now;
}

/**
 * Banned source addresses with expiry. A repeat offender's ban doubles each time (up to the
 * reason's maximum) while its past bans are remembered. Checking is one Map lookup: it sits
 * in front of everything else on the receive path.
 */
export class BanList {
  readonly #entries: BoundedMap<string, Entry>;
  readonly #memoryMs: number;
  readonly #now: Now;

  constructor(opts: BanListOptions = {}) {
    this.#entries = new BoundedMap(opts.capacity ?? 100_000);
    this.#memoryMs = opts.memoryMs ?? 24 * 3600_000;
    this.#now = opts.now ?? systemNow;
  }

  /** True while `address` is banned. */
  isBanned(address: string, now = this.#now()): boolean {
    const e = this.#entries.get(address);
    return e !== undefined && e.until > now;
  }

  /**
   * Bans `address` (or extends a running ban) and returns the ban. The duration is the
   * reason's base doubled per remembered earlier offence, capped at its maximum.
   */
  ban(address: string, reason: BanReason, duration: BanDuration, detail: string, now = this.#now()): Ban {
    const prior = this.#entries.get(address);
    const remembered = prior !== undefined && prior.forgetAt > now ? prior.offences : 0;
    const offences = remembered + 1;
    const ms = Math.min(duration.maxMs, duration.baseMs * 2 ** Math.min(remembered, 30));
    const until = Math.max(now + ms, prior !== undefined && prior.until > now ? prior.until : 0);
    const entry: Entry = { reason, since: now, until, offences, detail, forgetAt: until + this.#memoryMs };
    this.#entries.touch(address, entry);
    return toBan(address, entry);
  }

  /** The ban in force for `address`, if any. */
  get(address: string, now = this.#now()): Ban | undefined {
    const e = this.#entries.get(address);
    return e !== undefined && e.until > now ? toBan(address, e) : undefined;
  }

  /** Bans in force, soonest to end first. */
  list(now = this.#now()): Ban[] {
    const out: Ban[] = [];
    for (const [address, e] of this.#entries.entries()) if (e.until > now) out.push(toBan(address, e));
    return out.sort((a, b) => a.until - b.until);
  }

  /**
   * Lifts the ban on `address` (and forgets its offences), or on every address when none is
   * given. Returns how many bans in force were lifted.
   */
  clear(address?: string, now = this.#now()): number {
    if (address !== undefined) {
      const e = this.#entries.get(address);
      this.#entries.delete(address);
      return e !== undefined && e.until > now ? 1 : 0;
    }
    const n = this.list(now).length;
    this.#entries.clear();
    return n;
  }

  /** Forgets addresses whose offences are too old to matter; returns how many. */
  sweep(now = this.#now()): number {
    return this.#entries.prune((e) => e.forgetAt <= now);
  }

  /** Addresses remembered (bans in force and recent offenders). */
  get size(): number {
    return this.#entries.size;
  }
}

function toBan(address: string, e: Entry): Ban {
  return {
    address,
    reason: e.reason,
    since: e.since,
    until: e.until,
    offences: e.offences,
    detail: e.detail,
  };
}
