import type { AdminApi, NodeMonitor } from "@centrex/admin";
import type { SourceGuard } from "@centrex/guard";
import type { MediaController } from "@centrex/media";
import type { Notifier } from "@centrex/presence";
import type { SipProxy } from "@centrex/proxy";
import { DigestAuthenticator, ExpirySweeper, NatKeepalive, Registrar } from "@centrex/registrar";
import { type BoundAddress, type ListenSpec, NonceService, SipStack } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";
import { SwitchCore } from "./core.js";
import { EarlyTraffic } from "./early-traffic.js";
import { grantedExpiry } from "./failover/expiry.js";
import { failoverGate } from "./failover/gate.js";
import type { FailoverService } from "./failover/service.js";
import type { KernelBans } from "./kernel-bans.js";
import type { ProvisioningParts } from "./provisioning.js";
import { loadOrCreateSecret } from "./secret.js";
import { createSourceGuard, enforceInKernel } from "./security.js";
import type { TrunkService } from "./trunk.js";
import type { VoicemailParts } from "./voicemail.js";

/** A running softswitch node: the composition of every package. */
/** The running pieces of a node, stopped in reverse order of start. */
interface SwitchParts {
  readonly store: Store;
  readonly stack: SipStack;
  readonly sweeper: ExpirySweeper;
  readonly keepalive: NatKeepalive | undefined;
  readonly trunk: TrunkService;
  readonly media: MediaController | undefined;
  readonly proxy: SipProxy;
  readonly notifier: Notifier;
  readonly voicemail: VoicemailParts | undefined;
  readonly failover: FailoverService | undefined;
  readonly admin: AdminApi | undefined;
  readonly guard: SourceGuard;
  readonly kernelBans: KernelBans | undefined;
  readonly provisioning: ProvisioningParts;
}

/** A running softswitch node: the composition of every package. */
export class Switch {
  private constructor(
    readonly config: CentrexConfig,
    readonly parts: SwitchParts,
    readonly logger: Logger,
  ) {}

  static async start(config: CentrexConfig, logger: Logger): Promise<Switch> {
    // Checked before anything opens: a pairing that cannot work stops start-up with one line.
    const expiry = grantedExpiry(
      {
        min: config.registrar.minExpires,
        max: config.registrar.maxExpires,
        default: config.registrar.defaultExpires,
      },
      config.failover,
    );
    // The CLI's changes reach the in-memory bindings and credentials from the next event-loop
    // turn: one data_version read per turn instead of five per REGISTER (issue 15).
    const store = openSqliteStore(config.store.path, { changeCheck: "turn" });
    const nonces = new NonceService(loadOrCreateSecret(config.store.path), {
      ttlSeconds: config.registrar.nonceTtl,
    });
    const guard = createSourceGuard(config, store, logger);
    // Set once the stack exists: a wrong digest answer is charged to the packet's source.
    let stackRef: SipStack | undefined;
    const authenticator = new DigestAuthenticator({
      extensions: store.extensions,
      nonces,
      algorithms: config.sip.digestAlgorithms,
      onBadCredentials: (req, username, realm) => {
        const source = stackRef?.sourceOf(req);
        if (source !== undefined) guard.authFailed(source.remoteAddress, `${username}@${realm}`);
        // One warn line per refused attempt: who it claimed to be and where it came from
        // (never the digest response, which could be attacked offline).
        logger.warn(
          {
            event: req.method === "REGISTER" ? "register-failed" : "auth-failed",
            method: req.method,
            user: `${username}@${realm}`,
            source: source === undefined ? null : `${source.remoteAddress}:${source.remotePort}`,
            callId: req.callId,
          },
          req.method === "REGISTER"
            ? "registration refused: bad credentials"
            : "request refused: bad credentials",
        );
      },
    });
    const registrar = new Registrar({
      locations: store.locations,
      authenticator,
      expiry,
      logger,
    });
    const traffic = new EarlyTraffic();
    const core = new SwitchCore({
      registrar,
      logger,
      onRegisterOutcome: (outcome) => traffic.registerOutcome(outcome),
    });
    let failover: FailoverService | undefined;
    // A standby (or fenced, or quiescing) node answers new dialogs and REGISTERs 503: its
    // database belongs to replication until it is promoted.
    const user = config.failover === undefined ? core : failoverGate(core, () => failover?.serving ?? false);
    const stack = new SipStack(user, {
      listen: config.sip.listen.map(toListenSpec(config)),
      maxMessageSize: config.sip.maxMessageSize,
      idleTimeoutMs: config.sip.idleConnectionMs,
      timers: config.sip.timers,
      guard,
      maxConnectionsPerSource: config.security.maxConnectionsPerSource,
      maxTransactionsPerSource: config.security.maxTransactionsPerSource,
      ...(config.sip.tls !== undefined && { tlsMinVersion: config.sip.tls.minVersion }),
      ...(config.sip.tls?.ciphers !== undefined && { tlsCiphers: config.sip.tls.ciphers }),
      observer: traffic.sip,
      logger,
    });
    core.opts.stack = stack;
    stackRef = stack;
    const sweeper = new ExpirySweeper({ locations: store.locations, logger });
    let bound: BoundAddress[];
    try {
      bound = await stack.start();
    } catch (err) {
      await stack.close(0).catch(() => undefined);
      await store.close();
      throw err;
    }
    // Only now the rest of the switch, the stack answering while it loads (see after-bind.ts).
    await loadInSteps();
    const {
      Operations,
      LineStates,
      Notifier,
      MediaAnchor,
      SipProxy,
      advertisedAddress,
      callLog,
      teeCallEvents,
      createCallPolicy,
      supportTarget,
      callRecorder,
      openLedger,
      CarrierMediaTally,
      closePeerCalls,
      FailoverService,
      FraudGuard,
      checkHealth,
      KernelBans,
      LiveCalls,
      liveSources,
      createMediaController,
      phoneService,
      startProvisioning,
      TrunkService,
      startVoicemail,
      createSwitchMetrics,
    } = await import("./after-bind.js");
    const metrics = createSwitchMetrics();
    traffic.handOver(metrics);
    const kernelBans =
      config.security.kernelBans === "auto"
        ? await KernelBans.open(
            bound.map((b) => b.port),
            logger,
          )
        : undefined;
    if (kernelBans !== undefined) enforceInKernel(guard, kernelBans);
    const ledger = openLedger(config, store);
    const interrupted = await ledger.closeInterruptedCalls(Date.now());
    if (interrupted.length > 0) {
      logger.warn(
        { event: "calls-interrupted", count: interrupted.length },
        "calls open at the last stop closed as interrupted",
      );
    }
    const policy = createCallPolicy(config, store, logger);
    const support = supportTarget(config, store);
    const advertised = advertisedAddress(config);
    const trunk = new TrunkService(config, stack, store, policy.data.plan, advertised, logger);
    const relay = config.media.enabled ? createMediaController(config, logger) : undefined;
    // Busy lamps follow the proxy's call events; the notifier answers SUBSCRIBE.
    const lines = new LineStates();
    const notifier = new Notifier({
      stack,
      store,
      authenticator,
      lines,
      ...(advertised !== undefined && { advertisedAddress: advertised }),
      logger,
    });
    core.opts.subscriptions = notifier;
    const voicemail = await startVoicemail(config, store, notifier, logger);
    const liveCalls = new LiveCalls();
    const carrierMedia = new CarrierMediaTally();
    const proxy = new SipProxy({
      stack,
      store,
      authenticator,
      ...(relay !== undefined && { media: new MediaAnchor(carrierMedia.watch(relay), {}, logger) }),
      policy,
      // The record first (awaited before the BYE is answered), then the log line and metrics.
      events: teeCallEvents(
        callRecorder(ledger, logger),
        callLog(logger),
        metrics.calls,
        lines,
        liveCalls,
        carrierMedia,
      ),
      trunk: trunk.trunk,
      pstnGuard: new FraudGuard(store, config, logger, new Operations(store, { plan: policy.data.plan })),
      ...(support !== undefined && { support }),
      ...(voicemail !== undefined && { voicemail: voicemail.router }),
      ringTimeoutMs: config.proxy.ringTimeoutMs,
      sessionTimer: {
        intervalSeconds: config.proxy.sessionExpiresSeconds,
        minSeconds: config.proxy.minSessionExpiresSeconds,
      },
      authenticateCalls: config.proxy.authenticateCalls,
      ...(advertised !== undefined && { advertisedAddress: advertised }),
      ...(config.failover?.dns !== undefined && { localNames: [config.failover.dns.serviceName] }),
      logger,
    });
    core.opts.proxy = proxy;
    if (relay !== undefined)
      relay.delegate = { onMediaTimeout: (callId) => void proxy.onMediaTimeout(callId) };
    sweeper.start();
    const keepalive =
      config.registrar.keepaliveSeconds > 0
        ? new NatKeepalive({
            stack,
            locations: store.locations,
            intervalMs: config.registrar.keepaliveSeconds * 1000,
            ...(advertised !== undefined && { advertisedAddress: advertised }),
            logger,
          })
        : undefined;
    // Carrier registrations and NAT pings come from the serving node only.
    let upstream = false;
    const setUpstream = async (on: boolean): Promise<void> => {
      if (on === upstream) return;
      upstream = on;
      if (on) {
        keepalive?.start();
        await trunk.start();
      } else {
        keepalive?.stop();
        await trunk.stop();
      }
    };
    if (config.failover !== undefined) {
      try {
        failover = new FailoverService({
          config: config.failover,
          node: config.node.name,
          served: bound,
          store,
          closeInterruptedCalls: (peer, now) => closePeerCalls(store, ledger, peer, now),
          onServingChange: (serving) => {
            setUpstream(serving).catch((err) =>
              logger.error({ err }, "carrier side did not follow the role"),
            );
          },
          logger,
        });
        await failover.start();
      } catch (err) {
        await failover?.stop().catch(() => undefined);
        await stack.close(0).catch(() => undefined);
        await voicemail?.stop().catch(() => undefined);
        await relay?.close();
        await store.close();
        throw err;
      }
    }
    if (failover === undefined || failover.serving) await setUpstream(true);
    metrics.attach({
      store,
      callsInProgress: () => proxy.dialogs.size,
      ...(relay !== undefined && { media: relay }),
      trunk: trunk.trunk,
      ...(failover !== undefined && { failover }),
      guard,
    });
    const monitor: NodeMonitor = {
      health: () => checkHealth({ store, stack, failover }),
      metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
    };
    const provisioning = await startProvisioning(config, store, stack, advertised, logger, guard);
    // Last: calls are accepted by now; fastify and the API's schemas load while they are.
    const { startAdmin } = await import("./admin.js");
    const admin = await startAdmin(
      config,
      store,
      logger,
      policy.data.plan,
      guard,
      phoneService(provisioning.inventory, provisioning.resync),
      monitor,
      liveSources(liveCalls, store, trunk.trunk, () => failover, proxy, carrierMedia),
    );

    logger.info(
      {
        event: "started",
        listen: bound.map((b) => `${b.transport.toLowerCase()}:${b.address}:${b.port}`),
        store: config.store.path,
        ...(failover !== undefined && { role: failover.role, epoch: failover.epoch }),
      },
      "centrex started",
    );
    return new Switch(
      config,
      {
        store,
        stack,
        sweeper,
        keepalive,
        trunk,
        media: relay,
        proxy,
        notifier,
        voicemail,
        failover,
        admin,
        guard,
        kernelBans,
        provisioning,
      },
      logger,
    );
  }

  /** Graceful stop: refuse new requests, let transactions finish, close everything. */
  async stop(graceMs = 5_000): Promise<void> {
    this.logger.info({ event: "stopping" }, "centrex stopping");
    const p = this.parts;
    await p.failover?.stop().catch((err) => this.logger.warn({ err }, "failover stop failed"));
    await p.admin?.close();
    await p.provisioning.server?.close();
    p.sweeper.stop();
    p.keepalive?.stop();
    p.proxy.stop();
    await p.trunk.stop().catch((err) => this.logger.warn({ err }, "trunk stop failed"));
    p.notifier.close();
    await p.stack.close(graceMs);
    await p.voicemail?.stop();
    await p.kernelBans?.close();
    await p.media?.close();
    await p.store.close();
    this.logger.info({ event: "stopped" }, "centrex stopped");
  }
}

/**
 * The packages after-bind.js needs, leaves first, the event loop turning between two: an
 * import evaluates its whole module graph in one go (on Node 24 without yielding at all), so
 * one import of everything would hold a REGISTER that arrives meanwhile for all of it; in steps
 * it waits for one package at most.
 */
const AFTER_BIND_STEPS: readonly (() => Promise<unknown>)[] = [
  () => import("@centrex/dialplan"),
  () => import("@centrex/media"),
  () => import("@centrex/failover"),
  () => import("@centrex/trunk"),
  () => import("@centrex/presence"),
  () => import("@centrex/voicemail"),
  () => import("@centrex/billing"),
  () => import("@centrex/provisioning"),
  () => import("@centrex/operations"),
  () => import("@centrex/proxy"),
  () => import("prom-client"),
];

async function loadInSteps(): Promise<void> {
  for (const step of AFTER_BIND_STEPS) {
    await step();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function toListenSpec(config: CentrexConfig) {
  return (l: CentrexConfig["sip"]["listen"][number]): ListenSpec => {
    const transport = l.transport.toUpperCase() as ListenSpec["transport"];
    if (transport === "TLS") {
      const tls = config.sip.tls;
      if (tls === undefined) throw new Error('config: key "sip.tls": required for a tls listener');
      return { transport, address: l.address, port: l.port, tls: { cert: tls.cert, key: tls.key } };
    }
    return { transport, address: l.address, port: l.port };
  };
}
