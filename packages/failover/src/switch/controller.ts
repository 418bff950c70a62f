import type { DnsLogger as FailoverLogger } from "../dns/logger.js";
import { silentLogger } from "../dns/logger.js";
import { PublishRetry } from "../dns/publish-retry.js";
import type { FailoverDnsPublisher } from "../dns/publisher.js";
import type { ActiveAddresses } from "../dns/records.js";
import type { FailoverRole, HealthProbe, HealthStatus, ProbeResult } from "../health/types.js";
import type { EpochStore } from "./epoch-store.js";

export type TakeoverReason = "missed-probes" | "manual" | "failback";

export interface TakeoverEvent {
  reason: TakeoverReason;
  previousEpoch: number;
  epoch: number;
  /** First missed round of the streak that led here (missed-probes), else the promotion time. */
  detectedAt: number;
  /** When the role changed to primary. */
  promotedAt: number;
  /** When the DNS name pointed here (undefined if publishing failed; it is retried on each tick). */
  dnsSwitchedAt: number | undefined;
  dnsError: Error | undefined;
}

export interface FencedEvent {
  ownEpoch: number;
  peerEpoch: number;
  at: number;
}

export interface ControllerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FailoverControllerOptions {
  /** This node's name (health status, logs). */
  name: string;
  /** This node's addresses: what the DNS name points at when it becomes active. */
  self: ActiveAddresses;
  /** Role at start. A node that was fenced restarts as whatever the operator says, usually standby. */
  role: "primary" | "standby";
  epoch: EpochStore;
  /** Vantages on the peer; a round is missed when none of them sees a serving primary. */
  probes: readonly HealthProbe[];
  /** Consecutive missed rounds before a standby takes over. Default 3. */
  missesBeforeTakeover?: number;
  /** Probe round period. Default 1000 ms. */
  intervalMs?: number;
  /**
   * Each round waits `intervalMs` ± this fraction, at random (default 0.2), so the two nodes'
   * probes do not fall into lock-step with each other or with a periodic stall of the peer.
   */
  jitter?: number;
  /**
   * Two primaries with the same epoch (split brain): whether this node steps down in favour of
   * `peerNode`. Default: the node whose name sorts first stays.
   */
  yieldsOnTie?: (peerNode: string) => boolean;
  dns?: FailoverDnsPublisher;
  /**
   * Runs after the role changed to primary and the DNS was published: stop the replication sink,
   * start serving, close the calls that were up on the dead node as interrupted
   * (billing's `closeInterruptedCalls`), start a replication source for the repaired node.
   */
  onTakeover?: (e: TakeoverEvent) => void | Promise<void>;
  /** Runs before the role changes to primary (e.g. stop applying the old primary's changes). */
  beforeTakeover?: (reason: TakeoverReason) => void | Promise<void>;
  /** This node learnt of a higher epoch while primary: stop serving at once. */
  onFenced?: (e: FencedEvent) => void;
  onRoleChange?: (role: FailoverRole, previous: FailoverRole) => void;
  /** Extra fields for the health status (replication lag…). */
  statusExtra?: () => Record<string, unknown>;
  now?: () => number;
  timers?: ControllerTimers;
  logger?: FailoverLogger;
}

/**
 * The pair's state machine.
 *
 *   standby ──N missed rounds / promote()──► primary   (epoch := max(own, peer) + 1, DNS → self)
 *   primary ──peer is primary with higher epoch──► fenced   (stops serving; no split brain)
 *   fenced/primary ──rejoinAsStandby() / demote()──► standby
 *
 * The epoch is the fencing token: a node takes over only by raising it, stores it before it
 * serves, and shows it on its health endpoint and in replication, so a primary that comes back
 * after being replaced sees a higher epoch on its first probe (or replication handshake) and
 * fences itself rather than serving from stale state.
 *
 * Time and probes are injected: `tick()` runs one round, and unit tests drive it directly.
 */
export class FailoverController {
  readonly #o: FailoverControllerOptions;
  readonly #log: FailoverLogger;
  readonly #now: () => number;
  readonly #timers: ControllerTimers;
  #role: FailoverRole;
  #misses = 0;
  #firstMissAt: number | undefined;
  #peerEpoch = 0;
  #peerRole: FailoverRole | undefined;
  readonly #dnsRetry: PublishRetry;
  #timer: unknown;
  #running = false;
  #ticking: Promise<void> | undefined;
  #dnsPending = false;
  #lastRound: ProbeResult[] = [];
  #inHook = false;

  constructor(opts: FailoverControllerOptions) {
    this.#o = opts;
    this.#role = opts.role;
    this.#dnsRetry = new PublishRetry(opts.intervalMs ?? 1000);
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    this.#timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
  }

  get role(): FailoverRole {
    return this.#role;
  }

  get epoch(): number {
    return this.#o.epoch.get();
  }

  /** Consecutive missed rounds so far. */
  get misses(): number {
    return this.#misses;
  }

  /** Whether this node may serve calls and registrations now. */
  get serving(): boolean {
    return this.#role === "primary";
  }

  get lastRound(): readonly ProbeResult[] {
    return this.#lastRound;
  }

  /** For the health endpoint. */
  status(): HealthStatus {
    return {
      ...this.#o.statusExtra?.(),
      node: this.#o.name,
      role: this.#role,
      epoch: this.epoch,
      misses: this.#misses,
    };
  }

  /** Starts probe rounds; the first runs at once (a restarting primary checks it was not replaced). */
  start(): Promise<void> {
    this.#running = true;
    return this.#loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    // From inside a hook the round in progress is our caller: waiting for it would deadlock.
    if (!this.#inHook) await this.#ticking;
  }

  async #loop(): Promise<void> {
    if (!this.#running) return;
    await this.tick();
    if (this.#running) this.#timer = this.#timers.setTimeout(() => void this.#loop(), this.#nextDelay());
  }

  #nextDelay(): number {
    const interval = this.#o.intervalMs ?? 1000;
    const jitter = this.#o.jitter ?? 0.2;
    return Math.max(1, Math.round(interval * (1 + jitter * (2 * Math.random() - 1))));
  }

  /** One probe round and its consequences. Rounds never overlap. */
  tick(): Promise<void> {
    if (this.#ticking !== undefined) return this.#ticking;
    this.#ticking = this.#round().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #round(): Promise<void> {
    if (this.#role === "fenced") return;
    const results = await Promise.all(
      this.#o.probes.map((p) =>
        p.probe().catch((err: Error): ProbeResult => ({ reachable: false, error: err.message })),
      ),
    );
    // When the miss was seen (a round that began just before the peer died still counts after).
    const at = this.#now();
    this.#lastRound = results;
    let alive = false;
    for (const r of results) {
      if (!r.reachable) continue;
      if (r.epoch !== undefined) this.observePeer(r.epoch, r.role, r.node);
      // A probe that cannot tell the role (SIP OPTIONS) counts as a live primary.
      if (r.role === undefined || r.role === "primary") alive = true;
    }
    if (this.#role === "primary") {
      this.#misses = 0;
      if (this.#dnsPending) await this.#publish();
      return;
    }
    if (this.#role !== "standby") return;
    if (alive) {
      if (this.#misses > 0) this.#log.info({ misses: this.#misses }, "primary answers again");
      this.#misses = 0;
      this.#firstMissAt = undefined;
      return;
    }
    if (this.#misses === 0) this.#firstMissAt = at;
    this.#misses++;
    this.#log.warn(
      {
        misses: this.#misses,
        errors: results.map((r, i) => `${this.#o.probes[i]?.name}: ${r.error ?? r.role}`),
      },
      "primary missed a health round",
    );
    if (this.#misses >= (this.#o.missesBeforeTakeover ?? 3)) await this.promote("missed-probes");
  }

  /**
   * What the peer says about itself (health body, replication handshake). A higher epoch held by
   * a primary fences this node if it is primary; a standby just remembers it, so its own
   * takeover goes above it.
   */
  observePeer(peerEpoch: number, peerRole?: FailoverRole, peerNode?: string): void {
    this.#peerEpoch = Math.max(this.#peerEpoch, peerEpoch);
    const own = this.epoch;
    const previousPeerRole = this.#peerRole;
    this.#peerRole = peerRole;
    // A peer that just stepped down may have been the last to publish: name ourselves again.
    if (this.#role === "primary" && peerRole === "fenced" && previousPeerRole !== "fenced")
      this.#dnsPending = true;
    if (this.#role === "primary" && peerRole === "primary" && peerEpoch <= own) {
      // Split brain: both serve. A lower epoch fences itself when it sees ours; on a tie the
      // node that yields by `yieldsOnTie` steps down. The one that stays names itself in DNS
      // again, since the other may have published last.
      if (peerEpoch === own && peerNode !== undefined && this.#yieldsTo(peerNode)) {
        this.#log.error({ ownEpoch: own, peer: peerNode }, "split brain at the same epoch: stepping down");
        this.fence(peerEpoch);
        return;
      }
      if (!this.#dnsPending)
        this.#log.error(
          { ownEpoch: own, peerEpoch, peer: peerNode },
          "split brain: the peer also serves; it must step down",
        );
      this.#dnsPending = true;
      return;
    }
    if (peerEpoch <= own) return;
    if (this.#role === "primary" && (peerRole === undefined || peerRole === "primary")) this.fence(peerEpoch);
    else if (this.#role === "standby") this.#o.epoch.set(peerEpoch);
  }

  #yieldsTo(peerNode: string): boolean {
    const own = this.#o.name;
    return this.#o.yieldsOnTie?.(peerNode) ?? peerNode < own;
  }

  /** Stops serving: another node holds a higher epoch. */
  fence(peerEpoch: number): void {
    if (this.#role === "fenced") return;
    const ownEpoch = this.epoch;
    this.#log.error({ ownEpoch, peerEpoch }, "a newer primary exists: fenced, not serving");
    this.#setRole("fenced");
    this.#o.onFenced?.({ ownEpoch, peerEpoch, at: this.#now() });
  }

  /**
   * Becomes primary: raises the epoch above everything seen, stores it, points the DNS name here,
   * then runs `onTakeover`. Used by the miss counter, by an operator, and by `failback()`.
   */
  async promote(reason: TakeoverReason): Promise<TakeoverEvent> {
    const detectedAt = reason === "missed-probes" ? (this.#firstMissAt ?? this.#now()) : this.#now();
    await this.#o.beforeTakeover?.(reason);
    const previousEpoch = this.epoch;
    const epoch = this.#o.epoch.set(Math.max(previousEpoch, this.#peerEpoch) + 1);
    this.#misses = 0;
    this.#firstMissAt = undefined;
    this.#setRole("primary");
    const promotedAt = this.#now();
    this.#log.warn({ reason, previousEpoch, epoch }, "taking over as primary");
    this.#dnsPending = true;
    const dnsError = await this.#publish(true);
    const e: TakeoverEvent = {
      reason,
      previousEpoch,
      epoch,
      detectedAt,
      promotedAt,
      dnsSwitchedAt: dnsError === undefined ? this.#now() : undefined,
      dnsError,
    };
    this.#inHook = true;
    try {
      await this.#o.onTakeover?.(e);
    } catch (err) {
      this.#log.error({ err }, "onTakeover hook failed");
    } finally {
      this.#inHook = false;
    }
    return e;
  }

  /** Hands the active role back (failback) and watches the new primary as a standby. */
  demote(): void {
    if (this.#role === "standby") return;
    this.#misses = 0;
    this.#firstMissAt = undefined;
    this.#setRole("standby");
  }

  /** A fenced (repaired) node rejoins as standby, to catch up before any failback. */
  rejoinAsStandby(): void {
    this.demote();
  }

  async #publish(force = false): Promise<Error | undefined> {
    const dns = this.#o.dns;
    if (dns === undefined) {
      this.#dnsPending = false;
      return undefined;
    }
    if (!force && !this.#dnsRetry.due(this.#now())) return undefined;
    try {
      await dns.publishActive(this.#o.self);
      this.#dnsPending = false;
      const recovered = this.#dnsRetry.succeeded();
      this.#log.info({ recovered }, "DNS name points at this node");
      return undefined;
    } catch (err) {
      const e = err as Error;
      if (this.#dnsRetry.failed(e, this.#now()))
        this.#log.error({ err: e }, "DNS publish failed; retrying with back-off (logged again on a change)");
      return e;
    }
  }

  #setRole(role: FailoverRole): void {
    const previous = this.#role;
    if (previous === role) return;
    this.#role = role;
    this.#o.onRoleChange?.(role, previous);
  }
}
