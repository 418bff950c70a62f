import { BlockList, isIPv6 } from "node:net";
import { AuthFailureTracker, type ExtensionAlert } from "./auth-failures.js";
import { type Ban, type BanDuration, BanList, type BanReason } from "./ban-list.js";
import { type Now, systemNow } from "./clock.js";
import { RateLimiter } from "./rate-limiter.js";
import { DEFAULT_SCANNER_USER_AGENTS, ScannerFilter } from "./scanner-filter.js";

export interface SourceGuardOptions {
  /** Addresses or CIDR blocks never limited nor banned (carriers, the operator's own offices). */
  readonly allow?: readonly string[];
  /** Pike-style flood limit: messages per source per window. */
  readonly rate?: { readonly windowMs?: number; readonly maxPerWindow: number };
  readonly auth?: {
    readonly maxFailures?: number;
    readonly windowMs?: number;
    readonly extensionAlertFailures?: number;
  };
  /** Scanner User-Agent signatures; empty turns the filter off. */
  readonly scannerUserAgents?: readonly string[];
  /** Ban durations per reason (first offence; doubled per repeat up to the maximum). */
  readonly bans?: Partial<Record<Exclude<BanReason, "manual">, BanDuration>>;
  /** Sources remembered at most in each table. Default 100 000. */
  readonly capacity?: number;
  readonly now?: Now;
}

/** What the guard tells its owner; each is called once per event, never per dropped packet. */
export interface SourceGuardEvents {
  /** A source was banned (log it at warn, once). */
  onBan?(ban: Ban): void;
  /** An extension crossed its failed-authentication alert threshold (alert owner and operator). */
  onExtensionAlert?(alert: ExtensionAlert): void;
  /** The operator lifted one ban (or all: undefined). */
  onClear?(address: string | undefined): void;
}

export interface SourceGuardStats {
  /** Messages dropped because their source was banned. */
  droppedBanned: number;
  /** Requests dropped for a scanner User-Agent. */
  droppedScanner: number;
  bans: number;
  extensionAlerts: number;
}

export const DEFAULT_BANS: Readonly<Record<Exclude<BanReason, "manual">, BanDuration>> = Object.freeze({
  flood: { baseMs: 60_000, maxMs: 3600_000 },
  "auth-failures": { baseMs: 15 * 60_000, maxMs: 7 * 24 * 3600_000 },
  scanner: { baseMs: 3600_000, maxMs: 7 * 24 * 3600_000 },
});

/**
 * The defences in front of the SIP stack, keyed by source address: bans, the flood limiter,
 * the auth-failure tracker and the scanner filter. Knows nothing of SIP: it is told addresses,
 * User-Agent strings and failed logins.
 */
export class SourceGuard {
  readonly bans: BanList;
  readonly limiter: RateLimiter;
  readonly auth: AuthFailureTracker;
  readonly scanners: ScannerFilter;
  readonly stats: SourceGuardStats = { droppedBanned: 0, droppedScanner: 0, bans: 0, extensionAlerts: 0 };
  events: SourceGuardEvents;
  readonly #allow: BlockList;
  readonly #allowAny: boolean;
  readonly #durations: Record<Exclude<BanReason, "manual">, BanDuration>;
  readonly #now: Now;
  #nextSweep = 0;

  constructor(opts: SourceGuardOptions, events: SourceGuardEvents = {}) {
    this.#now = opts.now ?? systemNow;
    const capacity = opts.capacity ?? 100_000;
    this.bans = new BanList({ capacity, now: this.#now });
    this.limiter = new RateLimiter({
      maxPerWindow: opts.rate?.maxPerWindow ?? 300,
      ...(opts.rate?.windowMs !== undefined && { windowMs: opts.rate.windowMs }),
      capacity,
    });
    this.auth = new AuthFailureTracker({
      capacity,
      ...(opts.auth?.maxFailures !== undefined && { maxPerSource: opts.auth.maxFailures }),
      ...(opts.auth?.windowMs !== undefined && { windowMs: opts.auth.windowMs }),
      ...(opts.auth?.extensionAlertFailures !== undefined && {
        alertPerExtension: opts.auth.extensionAlertFailures,
      }),
    });
    this.scanners = new ScannerFilter(opts.scannerUserAgents ?? DEFAULT_SCANNER_USER_AGENTS);
    this.#durations = { ...DEFAULT_BANS, ...opts.bans };
    this.#allow = new BlockList();
    for (const a of opts.allow ?? []) addToBlockList(this.#allow, a);
    this.#allowAny = (opts.allow ?? []).length > 0;
    this.events = events;
  }

  /**
   * Every inbound message, before it is parsed: false means drop it silently (banned, or this
   * message took its source over the flood limit and got it banned).
   */
  admit(address: string): boolean {
    const now = this.#now();
    if (now >= this.#nextSweep) this.#sweep(now);
    if (this.bans.isBanned(address, now)) {
      this.stats.droppedBanned++;
      return false;
    }
    const over = this.limiter.hit(address, now);
    if (over === 0 || this.isAllowed(address)) return true;
    this.#ban(address, "flood", `${over} messages in ${this.limiter.windowMs} ms`, now);
    this.stats.droppedBanned++;
    return false;
  }

  /** A new TCP/TLS connection: refused while its source is banned. */
  admitConnection(address: string): boolean {
    if (!this.bans.isBanned(address)) return true;
    this.stats.droppedBanned++;
    return false;
  }

  /**
   * A request's User-Agent: false (drop it, and ban the source) when it names a scanner.
   */
  admitUserAgent(address: string, userAgent: string | undefined): boolean {
    const hit = this.scanners.match(userAgent);
    if (hit === undefined || this.isAllowed(address)) return true;
    this.stats.droppedScanner++;
    this.#ban(address, "scanner", `User-Agent ${JSON.stringify(userAgent)} matches "${hit}"`, this.#now());
    return false;
  }

  /**
   * A wrong digest answer (bad password, or a user that does not exist — both look the same
   * from outside and count the same). Bans the source past its threshold; alerts on the
   * extension past its own. The extension itself is never blocked.
   */
  authFailed(address: string, extension: string): void {
    const now = this.#now();
    const v = this.auth.failed(address, extension, now);
    if (v.banSource !== undefined && !this.isAllowed(address)) {
      this.#ban(address, "auth-failures", `${v.banSource} failed authentications (last: ${extension})`, now);
    }
    if (v.alert !== undefined) {
      this.stats.extensionAlerts++;
      this.events.onExtensionAlert?.(v.alert);
    }
  }

  /** The operator's own ban (CLI/API). */
  banManually(address: string, minutes: number, detail = "banned by the operator"): Ban {
    const ms = minutes * 60_000;
    return this.#ban(address, "manual", detail, this.#now(), { baseMs: ms, maxMs: ms });
  }

  /** Lifts one ban (or all) and forgets the counts that led to it. */
  clear(address?: string): number {
    this.limiter.forget(address);
    this.auth.forgetSource(address);
    const n = this.bans.clear(address);
    this.events.onClear?.(address);
    return n;
  }

  list(): Ban[] {
    return this.bans.list();
  }

  isAllowed(address: string): boolean {
    return this.#allowAny && this.#allow.check(address, isIPv6(address) ? "ipv6" : "ipv4");
  }

  #ban(address: string, reason: BanReason, detail: string, now: number, duration?: BanDuration): Ban {
    const d = duration ?? this.#durations[reason as Exclude<BanReason, "manual">];
    const ban = this.bans.ban(address, reason, d, detail, now);
    this.stats.bans++;
    this.events.onBan?.(ban);
    return ban;
  }

  #sweep(now: number): void {
    this.#nextSweep = now + 60_000;
    this.bans.sweep(now);
    this.auth.sweep(now);
  }
}

/** "192.0.2.7", "2001:db8::1", "192.0.2.0/24", "2001:db8::/32". Throws on anything else. */
export function addToBlockList(list: BlockList, entry: string): void {
  const [addr, bits, extra] = entry.split("/");
  const type = isIPv6(addr ?? "") ? "ipv6" : "ipv4";
  if (addr === undefined || extra !== undefined)
    throw new RangeError(`not an address or CIDR block: ${entry}`);
  try {
    if (bits === undefined) list.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits)) throw new RangeError("prefix");
      list.addSubnet(addr, prefix, type);
    }
  } catch {
    throw new RangeError(`not an address or CIDR block: ${entry}`);
  }
}
