import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, isIP } from "node:net";
import type { Ledger, OpenCallInfo } from "@centrex/billing";
import {
  type ActiveAddresses,
  type DailyBackups,
  EmbeddedDnsServer,
  FailoverController,
  type FailoverDnsPublisher,
  type FailoverNode,
  type FailoverRole,
  type FailoverServiceConfig,
  type HealthStatus,
  httpHealthProbe,
  ReplicationSink,
  ReplicationSource,
  Rfc2136Publisher,
  type SinkLag,
  type SourceLag,
  scheduleDailyBackups,
  sipOptionsProbe,
  sqliteEpochStore,
  type TakeoverEvent,
  type TakeoverReason,
} from "@centrex/failover";
import {
  createResponse,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type TransactionTarget,
  type TransactionUser,
} from "@centrex/sip";
import { type SqliteDatabase, type Store, sqliteHandle } from "@centrex/store";
import type { Logger } from "pino";
import { z } from "zod";

const portSchema = z.number().int().min(0).max(65535);
const ipSchema = z.string().refine((s) => isIP(s) !== 0, "not an IP address");

const dnsNodeSchema = z.strictObject({
  /** A label in the zone (`node-a`) or a name inside it; the SRV target of this node. */
  name: z.string().min(1),
  ipv4: ipSchema.optional(),
  ipv6: ipSchema.optional(),
  /** SRV priority: lower first (the usual primary gets the lower one). */
  priority: z.number().int().min(0).max(65535),
  weight: z.number().int().min(0).max(65535).optional(),
  ports: z
    .strictObject({
      udp: portSchema.default(5060),
      tcp: portSchema.default(5060),
      tls: portSchema.default(5061),
    })
    .prefault({}),
});

/**
 * The `failover:` section of the node's configuration (absent: a single node). Self-contained so
 * `config/schema.ts` can use it as `failover: failoverConfigSchema.optional()`.
 */
export const failoverConfigSchema = z.strictObject({
  /** Role at start; `centrex start --role` overrides it. A node that was replaced restarts as standby. */
  role: z.enum(["primary", "standby"]),
  /** Shared by both nodes: authenticates replication (mutual HMAC) and the failback control calls. */
  secret: z.string().min(16),
  /** This node's replication listener (the primary runs it; a standby after takeover). */
  replication: z
    .strictObject({ address: z.string().min(1).default("127.0.0.1"), port: portSchema.default(7070) })
    .prefault({}),
  /** HTTP health endpoint (`GET /health`: role and epoch) and failback control (`POST /failover/*`). */
  health: z
    .strictObject({ address: z.string().min(1).default("127.0.0.1"), port: portSchema.default(7071) })
    .prefault({}),
  /** The other node of the pair; `centrex start --peer HOST` overrides `host`. */
  peer: z.strictObject({
    /** Its `node.name`: whose open calls are closed as interrupted at takeover. */
    name: z.string().min(1),
    host: z.string().min(1),
    replicationPort: portSchema.default(7070),
    healthPort: portSchema.default(7071),
    /** UDP port its SIP stack answers OPTIONS on. */
    sipPort: portSchema.default(5060),
  }),
  probe: z
    .strictObject({
      intervalMs: z.number().int().min(20).max(60_000).default(1000),
      /** Consecutive missed rounds before the standby takes over. */
      misses: z.number().int().min(1).max(100).default(3),
      timeoutMs: z.number().int().min(10).max(30_000).default(500),
    })
    .prefault({}),
  dns: z
    .strictObject({
      zone: z.string().min(1),
      /** The name phones are configured with, e.g. `sip.operator.example`. */
      serviceName: z.string().min(1),
      ttl: z.number().int().min(1).max(86_400).default(30),
      /** Which entry of `nodes` is this node. */
      self: z.string().min(1),
      nodes: z.array(dnsNodeSchema).min(2),
      /** Serve the zone ourselves (both nodes may: list both as NS). */
      embedded: z
        .strictObject({
          address: z.string().min(1).default("127.0.0.1"),
          port: portSchema.default(53),
          nameServers: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                ipv4: ipSchema.optional(),
                ipv6: ipSchema.optional(),
              }),
            )
            .optional(),
        })
        .optional(),
      /** Or update the operator's authoritative server (RFC 2136, TSIG). */
      rfc2136: z
        .strictObject({
          server: z.strictObject({ host: z.string().min(1), port: portSchema.default(53) }),
          key: z.strictObject({
            name: z.string().min(1),
            algorithm: z.enum(["hmac-sha256"]).default("hmac-sha256"),
            secret: z.string().min(1),
          }),
          timeoutMs: z.number().int().min(100).max(30_000).default(2000),
        })
        .optional(),
    })
    .optional(),
  backup: z
    .strictObject({
      dir: z.string().min(1),
      keepDays: z.number().int().min(1).max(3650).default(7),
      /** Local time of day, HH:MM. */
      time: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "not HH:MM")
        .default("03:00"),
    })
    .optional(),
});

export type FailoverConfig = z.infer<typeof failoverConfigSchema>;

/** Raised for a failover configuration that parses but cannot work (names the key). */
export class FailoverConfigError extends Error {
  override readonly name = "FailoverConfigError";
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

export interface FailoverServiceOptions {
  config: FailoverConfig;
  /** This node's `node.name`. */
  node: string;
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

/** The node's HTTP endpoint: `GET /health` (role, epoch) and the failback control calls. */
export interface ControlEndpoint {
  readonly address: string;
  readonly port: number;
  /** `http://host:port` (IPv6 bracketed). */
  readonly url: string;
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
  readonly controller: FailoverController;
  #health: (ControlEndpoint & { close(): Promise<void> }) | undefined;
  #source: ReplicationSource | undefined;
  #sink: ReplicationSink | undefined;
  #embedded: EmbeddedDnsServer | undefined;
  #publishers: FailoverDnsPublisher[] = [];
  #backups: DailyBackups | undefined;
  #dnsRetry: NodeJS.Timeout | undefined;
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
      this.#peerNode = dns.nodes.find((n) => n !== self);
    } else {
      this.#self = {};
      this.#peerNode = undefined;
    }
    const c = this.#c;
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
    this.#health = await startControlEndpoint(c.health.address, c.health.port, c.secret, (m, p, b) =>
      this.#control(m, p, b),
    );
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
    this.#publishWithRetry();
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
      nodes: dns.nodes,
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
      this.#publishers.push(
        new Rfc2136Publisher({
          server: dns.rfc2136.server,
          zone: dns.zone,
          key: dns.rfc2136.key,
          service,
          timeoutMs: dns.rfc2136.timeoutMs,
          ...(this.#log !== undefined && { logger: this.#log }),
        }),
      );
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

  /** A primary at start names itself; an unreachable DNS server is retried every probe interval. */
  #publishWithRetry(): void {
    if (this.#publishers.length === 0 || this.#stopped || this.controller.role !== "primary") return;
    this.#publish(this.#self).then(
      () => this.#log?.info({ event: "dns-published" }, "DNS name points at this node"),
      (err: Error) => {
        this.#log?.error({ err, event: "dns-publish-failed" }, "DNS publish failed; retrying");
        this.#dnsRetry = setTimeout(() => this.#publishWithRetry(), this.#c.probe.intervalMs);
      },
    );
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

  /** `GET /health` for anyone; `POST /failover/*` authenticated (the failback's steps). */
  async #control(method: string, path: string, body: Record<string, unknown>): Promise<[number, unknown]> {
    if (method === "GET" && path === "/health") {
      const st = this.status();
      return [st.role === "primary" ? 200 : 503, st];
    }
    if (method !== "POST") return [405, { error: "method not allowed" }];
    const timeoutMs = typeof body.timeoutMs === "number" ? body.timeoutMs : 60_000;
    switch (path) {
      case "/failover/catch-up":
        return [200, await this.waitCaughtUp(timeoutMs)];
      case "/failover/quiesce":
        this.quiesce();
        return [200, this.status()];
      case "/failover/resume":
        this.resume();
        return [200, this.status()];
      case "/failover/promote": {
        if (this.role !== "standby") return [409, { error: `cannot promote a ${this.role} node` }];
        // The final catch-up: the active is quiesced, so nothing may be left behind.
        const final = await this.waitCaughtUp(timeoutMs);
        if (typeof body.activeEpoch === "number") this.controller.observePeer(body.activeEpoch, "primary");
        const takeover = await this.promote("failback");
        return [200, { final, takeover: { ...takeover, dnsError: takeover.dnsError?.message } }];
      }
      case "/failover/demote":
        if (this.role === "standby") return [409, { error: "already standby" }];
        await this.demote();
        return [200, this.status()];
      default:
        return [404, { error: "not found" }];
    }
  }

  #statusExtra(): Record<string, unknown> {
    const openCalls = this.#db.prepare("SELECT count(*) FROM open_calls").pluck().get() as number;
    const extra: Record<string, unknown> = { openCalls, quiesced: this.#quiesced };
    if (this.#sink !== undefined) extra.replication = { following: true, ...this.#sink.lag() };
    else if (this.#source !== undefined) extra.replication = { following: false, ...this.#source.lag() };
    return extra;
  }
}

/** Methods that never create a dialog or binding: passed through even when not serving. */
const ALWAYS_PASSED = new Set(["ACK", "CANCEL", "OPTIONS"]);

/**
 * Wraps the switch's transaction user so a node that does not serve (standby, fenced, or
 * quiesced for a failback) answers new dialogs and registrations with 503 + Retry-After: a
 * phone with SRV moves on to the other node at once instead of writing into a database that
 * replication owns. In-dialog requests (a BYE of a call already up) and OPTIONS (the peer's
 * probe) still pass.
 */
export function failoverGate(
  inner: TransactionUser,
  serving: () => boolean,
  retryAfterSeconds = 5,
): TransactionUser {
  return {
    onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: TransactionTarget): void {
      if (tx === undefined || ALWAYS_PASSED.has(req.method) || serving()) {
        inner.onRequest(req, tx, source);
        return;
      }
      let inDialog = false;
      try {
        inDialog = req.to.params.has("tag");
      } catch {
        inDialog = false;
      }
      if (inDialog && req.method !== "REGISTER") {
        inner.onRequest(req, tx, source);
        return;
      }
      tx.respond(
        createResponse(req, 503, "Service Unavailable", {
          headers: [["Retry-After", String(retryAfterSeconds)]],
        }),
      );
    },
    onStrayResponse(res: SipResponse, source: TransactionTarget | undefined): void {
      inner.onStrayResponse(res, source);
    },
  };
}

/**
 * Closes the calls `peerNode` had up (its open-call rows, replicated here) as interrupted, in
 * this node's own ledger chain (each chain is signed only by its node's key), then removes
 * the peer's rows. Returns how many calls were closed. The record is written before the row is
 * removed: a crash in between closes the call twice rather than never.
 */
export async function closePeerCalls(
  store: Store,
  ledger: Pick<Ledger, "append">,
  peerNode: string,
  now: number,
): Promise<number> {
  const db = sqliteHandle(store);
  const calls = await store.cdrs.openCalls(peerNode);
  const forget = db.prepare("DELETE FROM open_calls WHERE node = ? AND call_id = ?");
  for (const call of calls) {
    const info = call.data as OpenCallInfo;
    await ledger.append({
      ...info,
      callId: call.callId,
      startedAt: call.startedAt,
      answeredAt: call.answeredAt,
      endedAt: Math.max(now, call.answeredAt ?? call.startedAt),
      disposition: "interrupted",
      reason: `node ${peerNode} failed while the call was up`,
    });
    forget.run(peerNode, call.callId);
  }
  return calls.length;
}

type ControlHandler = (
  method: string,
  path: string,
  body: Record<string, unknown>,
) => Promise<[number, unknown]>;

const MAX_CLOCK_SKEW_MS = 30_000;

function controlMac(secret: string, method: string, path: string, ts: string, body: string): string {
  return createHmac("sha256", secret).update(`${method} ${path} ${ts}\n${body}`).digest("hex");
}

function authorised(secret: string, req: IncomingMessage, path: string, body: string): boolean {
  const m = /^Centrex-HMAC ts=(\d+),mac=([0-9a-f]{64})$/.exec(req.headers.authorization ?? "");
  if (m === null) return false;
  const [, ts = "", mac = ""] = m;
  if (Math.abs(Date.now() - Number(ts)) > MAX_CLOCK_SKEW_MS) return false;
  const want = Buffer.from(controlMac(secret, req.method ?? "", path, ts, body), "hex");
  return timingSafeEqual(want, Buffer.from(mac, "hex"));
}

async function startControlEndpoint(
  address: string,
  port: number,
  secret: string,
  handle: ControlHandler,
): Promise<ControlEndpoint & { close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 65_536) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      const send = (code: number, payload: unknown): void => {
        const text = JSON.stringify(payload);
        res.writeHead(code, {
          "content-type": "application/json",
          "cache-control": "no-store",
          "content-length": Buffer.byteLength(text),
        });
        res.end(text);
      };
      const path = (req.url ?? "").split("?")[0] ?? "";
      const text = Buffer.concat(chunks).toString("utf8");
      const method = req.method ?? "";
      if (method !== "GET" && !authorised(secret, req, path, text))
        return send(401, { error: "unauthorised" });
      let body: Record<string, unknown> = {};
      try {
        if (text !== "") body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return send(400, { error: "body is not JSON" });
      }
      handle(method, path, body).then(
        ([code, payload]) => send(code, payload),
        (err: Error) => send(500, { error: err.message }),
      );
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    address: a.address,
    port: a.port,
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The answer of a node's control endpoint. */
export interface ControlReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Calls a node's health/control endpoint (`baseUrl` = `http://host:port`); POSTs are signed with
 * the pair's secret. Used by `centrex failback`.
 */
export function callControl(
  baseUrl: string,
  secret: string,
  method: "GET" | "POST",
  path: string,
  payload?: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<ControlReply> {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const ts = String(Date.now());
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (method === "POST")
    headers.authorization = `Centrex-HMAC ts=${ts},mac=${controlMac(secret, method, path, ts, body)}`;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, body: parsed });
        } catch {
          reject(new Error(`${baseUrl}${path}: HTTP ${res.statusCode} without a JSON body`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${baseUrl}${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
