import { isIP } from "node:net";
import {
  type ActiveAddresses,
  type DailyBackups,
  DnsUpdateNotAuthError,
  DnsUpdateRefusedError,
  EmbeddedDnsServer,
  FailoverController,
  type FailoverDnsPublisher,
  type FailoverNode,
  type FailoverRole,
  type FailoverServiceConfig,
  type HealthStatus,
  httpHealthProbe,
  PublishRetry,
  ReplicationSink,
  ReplicationSource,
  Rfc2136Publisher,
  ServiceAddress,
  type SinkLag,
  type SourceLag,
  scheduleDailyBackups,
  sipOptionsProbe,
  sqliteEpochStore,
  type TakeoverEvent,
  type TakeoverReason,
} from "@centrex/failover";
import { type SqliteDatabase, type Store, sqliteHandle } from "@centrex/store";
import type { Logger } from "pino";
import { type FailoverConfig, FailoverConfigError } from "./config.js";
import { type ControlEndpoint, startControlEndpoint } from "./control-endpoint.js";
import { controlRoutes } from "./control-routes.js";
import { dnsNodes, type ServedTransport } from "./dns-nodes.js";
import { sharedAddress } from "./shared-address.js";

export interface FailoverServiceOptions {
  config: FailoverConfig;
  /** This node's `node.name`. */
  node: string;
  /** The sockets the SIP stack is bound to: DNS advertises only these transports. */
  served: readonly ServedTransport[];
  /** The node's SQLite store (its raw handle carries replication, epoch and backups). */
  store: Store;
  /**
   * At takeover: close the calls the dead peer had up (its open-call rows, replicated here) as
   * interrupted. Resolves with how many were closed. See `closePeerCalls`.
   */
  closeInterruptedCalls?: (peerNode: string, now: number) => Promise<number>;
  /** Serving started (promotion, or start as primary) or stopped (fenced, demoted). */
  onServingChange?: (serving: boolean) => void;
  logger?: Logger;
}

export interface FailoverAddresses {
  health: ControlEndpoint;
  /** The replication listener, while this node is primary. */
  replication: { address: string; port: number } | undefined;
  /** The embedded DNS server, when configured. */
  dns: { host: string; port: number } | undefined;
}

/**
 * One node of a primary/standby pair, around the running switch: replication of the store
 * (source on the primary, sink on the standby), the health endpoint, probes of the peer, the
 * takeover with epoch fencing, the DNS name (embedded server and/or RFC 2136), daily backups.
 *
 * The switch's SIP stack runs on both nodes; `serving` says whether new calls and registrations
 * may be accepted (see `failoverGate`), so the standby's database only ever receives the
 * primary's rows until it is promoted.
 */
export class FailoverService {
  readonly #o: FailoverServiceOptions;
  readonly #c: FailoverConfig;
  readonly #db: SqliteDatabase;
  readonly #log: Logger | undefined;
  readonly #self: ActiveAddresses;
  readonly #peerNode: FailoverNode | undefined;
  readonly #nodes: FailoverNode[];
  readonly #address: ServiceAddress | undefined;
  readonly controller: FailoverController;
  #health: (ControlEndpoint & { close(): Promise<void> }) | undefined;
  #source: ReplicationSource | undefined;
  #sink: ReplicationSink | undefined;
  #embedded: EmbeddedDnsServer | undefined;
  #publishers: FailoverDnsPublisher[] = [];
  #rfc2136: Rfc2136Publisher | undefined;
  #backups: DailyBackups | undefined;
  #dnsRetry: NodeJS.Timeout | undefined;
  readonly #dnsRetryState: PublishRetry;
  #quiesced = false;
  #stopped = false;
  #lastTakeover: TakeoverEvent | undefined;

  constructor(opts: FailoverServiceOptions) {
    this.#o = opts;
    this.#c = opts.config;
    this.#db = sqliteHandle(opts.store);
    this.#log = opts.logger?.child({ component: "failover" });
    const dns = this.#c.dns;
    if (dns !== undefined) {
      const self = dns.nodes.find((n) => n.name === dns.self);
      if (self === undefined)
        throw new FailoverConfigError(
          `failover: key "failover.dns.self": no node named ${JSON.stringify(dns.self)} in failover.dns.nodes`,
          "failover.dns.self",
        );
      this.#self = { ipv4: self.ipv4, ipv6: self.ipv6 };
      this.#nodes = dnsNodes(dns, opts.served);
      this.#peerNode = this.#nodes.find((n) => n.name !== self.name);
    } else {
      this.#self = {};
      this.#nodes = [];
      this.#peerNode = undefined;
    }
    const c = this.#c;
    this.#dnsRetryState = new PublishRetry(c.probe.intervalMs);
    this.#address =
      c.serviceAddress !== undefined
        ? new ServiceAddress({
            ...c.serviceAddress,
            ...(this.#log !== undefined && { logger: this.#log }),
          })
        : undefined;
    const peerHost = c.peer.host;
    const probeOpts = { timeoutMs: c.probe.timeoutMs };
    const hostPart = isIP(peerHost) === 6 ? `[${peerHost}]` : peerHost;
    this.controller = new FailoverController({
      name: opts.node,
      self: this.#self,
      role: c.role,
      epoch: sqliteEpochStore(this.#db),
      probes: [
        httpHealthProbe({ url: `http://${hostPart}:${c.peer.healthPort}/health`, ...probeOpts }),
        sipOptionsProbe({ host: peerHost, port: c.peer.sipPort, ...probeOpts }),
      ],
      missesBeforeTakeover: c.probe.misses,
      // Split brain at one epoch: the node DNS prefers (lower SRV priority) keeps serving.
      yieldsOnTie: (peer) => {
        const own = c.dns?.nodes.find((n) => n.name === c.dns?.self)?.priority;
        const theirs = this.#peerNode?.priority;
        if (own === undefined || theirs === undefined || own === theirs) return peer < opts.node;
        return own > theirs;
      },
      intervalMs: c.probe.intervalMs,
      dns: { publishActive: (node) => this.#publish(node) },
      beforeTakeover: (reason) => this.#beforeTakeover(reason),
      onTakeover: (e) => this.#onTakeover(e),
      onFenced: (e) => void this.#onFenced(e.peerEpoch),
      onRoleChange: (role, previous) =>
        this.#log?.warn({ event: "failover-role", role, previous }, "role changed"),
      statusExtra: () => this.#statusExtra(),
      ...(this.#log !== undefined && { logger: this.#log }),
    });
  }

  get role(): FailoverRole {
    return this.controller.role;
  }

  get epoch(): number {
    return this.controller.epoch;
  }

  /** Whether new calls and registrations may be accepted now (primary and not quiesced). */
  get serving(): boolean {
    return this.controller.serving && !this.#quiesced && !this.#stopped;
  }

  get lastTakeover(): TakeoverEvent | undefined {
    return this.#lastTakeover;
  }

  get addresses(): FailoverAddresses {
    const health = this.#health;
    if (health === undefined) throw new Error("failover service not started");
    const s = this.#source;
    const a = s !== undefined ? s.address : undefined;
    return {
      health,
      replication: a !== undefined ? { address: a.address, port: a.port } : undefined,
      dns:
        this.#embedded !== undefined
          ? { host: this.#c.dns?.embedded?.address ?? "", port: this.#embeddedPort }
          : undefined,
    };
  }

  #embeddedPort = 0;

  /** Replication lag as seen from this node (sink on a standby, source on a primary). */
  lag(): SinkLag | SourceLag | undefined {
    return this.#sink?.lag() ?? this.#source?.lag();
  }

  status(): HealthStatus {
    return this.controller.status();
  }

  async start(): Promise<void> {
    const c = this.#c;
    this.#health = await startControlEndpoint({
      address: c.health.address,
      port: c.health.port,
      secret: c.secret,
      stallMs: c.probe.stallMs,
      // Under the peer's probe timeout, so a busy main loop still gets a (stale) answer in time.
      freshMs: Math.max(10, Math.floor(c.probe.timeoutMs / 2)),
      status: () => this.status(),
      handle: controlRoutes(this),
    });
    await this.#startDns();
    if (c.backup !== undefined) {
      this.#backups = scheduleDailyBackups({
        db: this.#db,
        dir: c.backup.dir,
        keepDays: c.backup.keepDays,
        at: c.backup.time,
        ...(this.#log !== undefined && { logger: this.#log }),
      });
    }
    if (c.role === "standby") {
      // Its key is first used at takeover, the worst moment to learn the server refuses it.
      await this.#checkKeyAtStart();
      // A node killed while it held the address, restarted on the same host, still has it.
      await this.#address?.release();
      this.#startSink();
      await this.controller.start();
      this.#log?.info(
        { event: "failover-started", role: "standby", epoch: this.epoch },
        "standby: following peer",
      );
      return;
    }
    // A restarting primary first checks that it was not replaced: the first round runs now.
    await this.controller.start();
    if (this.controller.role !== "primary") return;
    await this.#startSource();
    await this.#address?.acquire();
    await this.#publishAtStart();
    this.#o.onServingChange?.(true);
    this.#log?.info({ event: "failover-started", role: "primary", epoch: this.epoch }, "primary: serving");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#dnsRetry);
    await this.controller.stop();
    this.#backups?.stop();
    await this.#sink?.stop();
    await this.#source?.stop();
    await this.#embedded?.stop();
    await this.#health?.close();
    await this.#address?.release();
  }

  /** Operator-initiated takeover (also the failback's promotion step). */
  promote(reason: TakeoverReason = "manual"): Promise<TakeoverEvent> {
    return this.controller.promote(reason);
  }

  /** Stops accepting new calls and registrations (failback switch window); calls up continue. */
  quiesce(): void {
    this.#quiesced = true;
  }

  resume(): void {
    this.#quiesced = false;
  }

  /** Standby only: resolves once everything the primary had committed is applied here. */
  waitCaughtUp(timeoutMs: number): Promise<SinkLag> {
    const sink = this.#sink;
    if (sink === undefined) return Promise.reject(new Error(`not replicating (role ${this.role})`));
    return sink.waitCaughtUp(timeoutMs);
  }

  /**
   * Failback, the active side: hands the role back to the peer (which promoted itself with a
   * higher epoch) and follows it as standby. Calls already up here are not torn down.
   */
  async demote(): Promise<void> {
    this.controller.demote();
    this.#quiesced = false;
    // Our copy of the zone must name the new primary at once, as after fencing.
    if (this.#embedded !== undefined && this.#peerNode !== undefined)
      this.#embedded.setActive(this.#peerNode);
    await this.#source?.stop();
    this.#source = undefined;
    await this.#address?.release();
    this.#o.onServingChange?.(false);
    this.#startSink();
  }

  async #startDns(): Promise<void> {
    const dns = this.#c.dns;
    if (dns === undefined) return;
    const service: FailoverServiceConfig = {
      zone: dns.zone,
      serviceName: dns.serviceName,
      ttl: dns.ttl,
      nodes: this.#nodes,
      ...(this.#c.serviceAddress !== undefined && { serviceAddress: sharedAddress(this.#c.serviceAddress) }),
    };
    if (dns.embedded !== undefined) {
      const server = new EmbeddedDnsServer({
        zone: dns.zone,
        host: dns.embedded.address,
        port: dns.embedded.port,
        service,
        ...(dns.embedded.nameServers !== undefined && { nameServers: dns.embedded.nameServers }),
        ...(this.#log !== undefined && { logger: this.#log }),
      });
      this.#embeddedPort = (await server.start()).port;
      this.#embedded = server;
      // Until this node is primary, its own copy of the zone names the peer (both may be NS).
      if (this.#c.role === "standby" && this.#peerNode !== undefined) server.setActive(this.#peerNode);
      this.#publishers.push(server);
    }
    if (dns.rfc2136 !== undefined) {
      this.#rfc2136 = new Rfc2136Publisher({
        server: dns.rfc2136.server,
        zone: dns.zone,
        key: dns.rfc2136.key,
        service,
        timeoutMs: dns.rfc2136.timeoutMs,
        ...(this.#log !== undefined && { logger: this.#log }),
      });
      this.#publishers.push(this.#rfc2136);
    }
  }

  /** Every publisher is tried; the first failure is reported (the controller retries each round). */
  async #publish(node: ActiveAddresses): Promise<void> {
    let first: unknown;
    for (const p of this.#publishers) {
      try {
        await p.publishActive(node);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /**
   * A primary at start names itself. A DNS server that refuses our TSIG key or the update
   * (NOTAUTH, REFUSED) is a configuration that cannot work: start-up stops naming the key. Any
   * other failure (unreachable, timeout) is retried in the background with back-off, logged once
   * per change of state.
   */
  async #publishAtStart(): Promise<void> {
    if (this.#publishers.length === 0) return;
    try {
      await this.#publish(this.#self);
      this.#log?.info({ event: "dns-published" }, "DNS name points at this node");
    } catch (err) {
      const e = err as Error;
      const refused = this.#keyRefused(e);
      if (refused !== undefined) throw refused;
      this.#dnsRetryState.failed(e, Date.now());
      this.#log?.error({ err: e, event: "dns-publish-failed" }, "DNS publish failed; retrying with back-off");
      this.#scheduleDnsRetry();
    }
  }

  /**
   * A standby at start checks its key with an update that changes nothing
   * (`Rfc2136Publisher.checkKey`): a refused key stops start-up naming it, as on a primary. A
   * server it cannot reach now is only logged: it may be back by the takeover, which retries.
   */
  async #checkKeyAtStart(): Promise<void> {
    const publisher = this.#rfc2136;
    if (publisher === undefined) return;
    try {
      await publisher.checkKey();
    } catch (err) {
      const e = err as Error;
      const refused = this.#keyRefused(e);
      if (refused !== undefined) throw refused;
      this.#log?.warn(
        { err: e, event: "dns-key-unchecked" },
        "DNS server not reachable to check the update key; the takeover will retry",
      );
    }
  }

  /** The configuration error for a key or update the server refuses (NOTAUTH, REFUSED); else undefined. */
  #keyRefused(e: Error): FailoverConfigError | undefined {
    const rfc = this.#c.dns?.rfc2136;
    if (rfc === undefined || !(e instanceof DnsUpdateNotAuthError || e instanceof DnsUpdateRefusedError))
      return undefined;
    return new FailoverConfigError(
      `failover: key "failover.dns.rfc2136.key": ${rfc.server.host}:${rfc.server.port} refused the update signed with key ${JSON.stringify(rfc.key.name)} (${e.message})`,
      "failover.dns.rfc2136.key",
    );
  }

  #scheduleDnsRetry(): void {
    this.#dnsRetry = setTimeout(() => {
      if (this.#stopped || this.controller.role !== "primary") return;
      this.#publish(this.#self).then(
        () => {
          this.#dnsRetryState.succeeded();
          this.#log?.info({ event: "dns-published", recovered: true }, "DNS name points at this node");
        },
        (err: Error) => {
          if (this.#dnsRetryState.failed(err, Date.now()))
            this.#log?.error(
              { err, event: "dns-publish-failed" },
              "DNS publish failed differently; retrying",
            );
          this.#scheduleDnsRetry();
        },
      );
    }, this.#dnsRetryState.delayMs);
    this.#dnsRetry.unref();
  }

  #startSink(): void {
    const c = this.#c;
    const sink = new ReplicationSink({
      db: this.#db,
      secret: c.secret,
      host: c.peer.host,
      port: c.peer.replicationPort,
      reconnectMs: Math.min(1000, c.probe.intervalMs),
      onError: (err) => {
        // The peer's source presented a lower epoch than ours, or refused ours: let the controller know.
        if (err.name === "FencedError") this.#log?.error({ err }, "replication refused: epochs disagree");
      },
      ...(this.#log !== undefined && { logger: this.#log }),
    });
    this.#sink = sink;
    sink.start();
  }

  async #startSource(): Promise<void> {
    const c = this.#c;
    const source = new ReplicationSource({
      db: this.#db,
      secret: c.secret,
      host: c.replication.address,
      port: c.replication.port,
      epoch: () => this.controller.epoch,
      onFenced: (peerEpoch) => this.controller.fence(peerEpoch),
      ...(this.#log !== undefined && { logger: this.#log }),
    });
    await source.start();
    this.#source = source;
  }

  async #beforeTakeover(reason: TakeoverReason): Promise<void> {
    this.#log?.warn({ event: "takeover-begin", reason }, "taking over: stop following the peer");
    const sink = this.#sink;
    this.#sink = undefined;
    await sink?.stop();
  }

  async #onTakeover(e: TakeoverEvent): Promise<void> {
    this.#lastTakeover = e;
    // First: phones' retransmissions to the shared address reach this node from now on.
    await this.#address
      ?.acquire()
      .catch((err: Error) => this.#log?.error({ err }, "service address not taken over"));
    if (this.#o.closeInterruptedCalls !== undefined) {
      try {
        const n = await this.#o.closeInterruptedCalls(this.#c.peer.name, e.promotedAt);
        if (n > 0)
          this.#log?.warn(
            { event: "calls-interrupted", count: n, peer: this.#c.peer.name },
            "calls up on the peer closed as interrupted",
          );
      } catch (err) {
        this.#log?.error({ err }, "closing the peer's calls failed");
      }
    }
    // So the repaired node can follow this one and catch up before any failback.
    if (this.#source === undefined) await this.#startSource();
    this.#o.onServingChange?.(true);
    this.#log?.warn(
      {
        event: "takeover",
        reason: e.reason,
        epoch: e.epoch,
        detectionMs: e.promotedAt - e.detectedAt,
        dnsSwitched: e.dnsSwitchedAt !== undefined,
      },
      "this node is primary",
    );
  }

  async #onFenced(peerEpoch: number): Promise<void> {
    this.#o.onServingChange?.(false);
    await this.#address?.release();
    this.#log?.error(
      { event: "fenced", ownEpoch: this.epoch, peerEpoch },
      "a newer primary exists: not serving; restart with --role standby to follow it",
    );
    // Our copy of the zone must not keep naming us.
    if (this.#embedded !== undefined && this.#peerNode !== undefined)
      this.#embedded.setActive(this.#peerNode);
    const source = this.#source;
    this.#source = undefined;
    await source?.stop();
  }

  #statusExtra(): Record<string, unknown> {
    const openCalls = this.#db.prepare("SELECT count(*) FROM open_calls").pluck().get() as number;
    const extra: Record<string, unknown> = { openCalls, quiesced: this.#quiesced };
    if (this.#sink !== undefined) extra.replication = { following: true, ...this.#sink.lag() };
    else if (this.#source !== undefined) extra.replication = { following: false, ...this.#source.lag() };
    return extra;
  }
}
