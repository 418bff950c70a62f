import type { SourceGuard } from "@centrex/guard";
import type { CallStats, MediaController } from "@centrex/media";
import type { CallEnded, CallEventSink, CallStarted } from "@centrex/proxy";
import type { SipTrafficObserver } from "@centrex/sip";
import type { Store } from "@centrex/store";
import type { Trunk } from "@centrex/trunk";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { CounterTallies, type Tally } from "./counter-tallies.js";
import type { FailoverService } from "./failover/service.js";

/** Label sets whose counts are kept as plain numbers until a scrape (methods, statuses, outcomes). */
const MAX_CACHED_SERIES = 64;

/**
 * The node's Prometheus metrics (text at the admin API's /metrics). Counters are fed by the SIP
 * stack, the registrar and the call events as things happen; gauges are read from the running
 * parts at scrape time, so a scrape costs one store count, one carrier list and one media query
 * per call in progress. Node's own (event-loop lag, memory, GC, CPU) come from prom-client's
 * default collectors, prefixed `centrex_`.
 */
export interface SwitchMetrics {
  readonly registry: Registry;
  /** For SipStackOptions.observer. */
  readonly sip: SipTrafficObserver;
  /** For the call-event tee: calls, set-up time, relay totals at call end. */
  readonly calls: CallEventSink;
  registerOutcome(outcome: string): void;
  /** The parts read at scrape time, set as they start. */
  attach(parts: MetricsSources): void;
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsSources {
  store?: Store;
  callsInProgress?: () => number;
  media?: MediaController;
  trunk?: Trunk;
  failover?: FailoverService;
  guard?: SourceGuard;
}

/** Call set-up time buckets, seconds: a ringing phone answers in seconds, not milliseconds. */
const SETUP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60];

export function createSwitchMetrics(): SwitchMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "centrex_" });
  const sources: MetricsSources = {};

  // Counted per message into tallies, handed to prom-client at each scrape (counter-tallies.ts).
  const requestTallies = new CounterTallies(MAX_CACHED_SERIES);
  const responseTallies = new CounterTallies(MAX_CACHED_SERIES * 4);
  const registerTallies = new CounterTallies(MAX_CACHED_SERIES);
  const requests: Counter<string> = new Counter({
    name: "centrex_sip_requests_received_total",
    help: "SIP requests received and parsed, by method (retransmissions included)",
    labelNames: ["method"] as const,
    registers: [registry],
    collect: () => requestTallies.flush(requests),
  });
  const responses: Counter<string> = new Counter({
    name: "centrex_sip_responses_sent_total",
    help: "SIP responses sent, by the request's method and the status (retransmissions included)",
    labelNames: ["method", "status"] as const,
    registers: [registry],
    collect: () => responseTallies.flush(responses),
  });
  const registers: Counter<string> = new Counter({
    name: "centrex_register_requests_total",
    help: "REGISTER requests by outcome (challenged, registered, unregistered, queried, refused)",
    labelNames: ["outcome"] as const,
    registers: [registry],
    collect: () => registerTallies.flush(registers),
  });
  const calls = new Counter({
    name: "centrex_calls_total",
    help: "Calls ended, by direction and final SIP status (200: answered)",
    labelNames: ["direction", "status"] as const,
    registers: [registry],
  });
  const setup = new Histogram({
    name: "centrex_call_setup_seconds",
    help: "INVITE received to answer (200 OK), answered calls only",
    labelNames: ["direction"] as const,
    buckets: SETUP_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: "centrex_calls_in_progress",
    help: "Calls set up or ringing or answered, not ended",
    registers: [registry],
    collect() {
      this.set(sources.callsInProgress?.() ?? 0);
    },
  });
  new Gauge({
    name: "centrex_registrations",
    help: "Registered contacts (bindings not expired)",
    registers: [registry],
    async collect() {
      if (sources.store !== undefined) this.set(await sources.store.locations.countAll(Date.now()));
    },
  });

  // Relay: per call, the last counters seen; totals grow by what each call added since.
  // prom-client collects every metric of a scrape at once, so the relay metrics share one
  // reading of the relay per scrape.
  const relaySeen = new Map<string, { packets: number; lost: number }>();
  const relayNow = { calls: 0, streams: 0, jitterMs: 0 };
  let relayReading: Promise<void> | undefined;
  const readRelay = (): Promise<void> => {
    relayReading ??= (async () => {
      const media = sources.media;
      if (media === undefined) return;
      const ids = await media.list().catch(() => [] as string[]);
      let streams = 0;
      let jitter = 0;
      for (const id of ids) {
        const stats = await media.query(id).catch(() => undefined);
        if (stats === undefined) continue;
        account(stats);
        for (const leg of stats.legs) {
          streams += leg.streams.length;
          for (const st of leg.streams) jitter = Math.max(jitter, st.jitterMs);
        }
      }
      const live = new Set(ids);
      for (const id of relaySeen.keys()) if (!live.has(id)) relaySeen.delete(id);
      relayNow.calls = ids.length;
      relayNow.streams = streams;
      relayNow.jitterMs = jitter;
    })().finally(() => {
      relayReading = undefined;
    });
    return relayReading;
  };
  const relayPackets = new Counter({
    name: "centrex_relay_packets_total",
    help: "RTP packets the relay received from the phones and carriers (counted at each scrape and at call end)",
    registers: [registry],
    async collect() {
      await readRelay();
    },
  });
  const relayLost = new Counter({
    name: "centrex_relay_packets_lost_total",
    help: "RTP packets missing from the sequence numbers the relay received (RFC 3550 A.3)",
    registers: [registry],
    async collect() {
      await readRelay();
    },
  });
  new Gauge({
    name: "centrex_relay_calls",
    help: "Calls with media anchored on the relay",
    registers: [registry],
    async collect() {
      await readRelay();
      this.set(relayNow.calls);
    },
  });
  new Gauge({
    name: "centrex_relay_streams",
    help: "Media streams of the calls in progress",
    registers: [registry],
    async collect() {
      await readRelay();
      this.set(relayNow.streams);
    },
  });
  new Gauge({
    name: "centrex_relay_jitter_ms",
    help: "Highest RFC 3550 interarrival jitter among the streams in progress, milliseconds",
    registers: [registry],
    async collect() {
      await readRelay();
      this.set(relayNow.jitterMs);
    },
  });
  function account(stats: CallStats): void {
    let packets = 0;
    let lost = 0;
    for (const leg of stats.legs) {
      for (const st of leg.streams) {
        packets += st.packets;
        lost += st.lost;
      }
    }
    const before = relaySeen.get(stats.callId) ?? { packets: 0, lost: 0 };
    if (packets > before.packets) relayPackets.inc(packets - before.packets);
    if (lost > before.lost) relayLost.inc(lost - before.lost);
    relaySeen.set(stats.callId, {
      packets: Math.max(packets, before.packets),
      lost: Math.max(lost, before.lost),
    });
  }

  new Gauge({
    name: "centrex_carrier_up",
    help: "1 when the carrier is usable (answers its OPTIONS probe, not demoted by failed calls), else 0",
    labelNames: ["carrier"] as const,
    registers: [registry],
    async collect() {
      const { store, trunk } = sources;
      if (store === undefined || trunk === undefined) return;
      this.reset();
      for (const c of await store.carriers.list()) {
        this.set({ carrier: c.name }, trunk.directory.health.isUp(c.id) ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "centrex_carrier_registered",
    help: "1 when the outbound registration to the carrier is in force, 0 when it is not (carriers registered to only)",
    labelNames: ["carrier"] as const,
    registers: [registry],
    collect() {
      const trunk = sources.trunk;
      if (trunk === undefined) return;
      this.reset();
      for (const [name, state] of Object.entries(trunk.registrationStates())) {
        this.set({ carrier: name }, state === "registered" ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: "centrex_failover_role",
    help: "1 for this node's failover role (primary or standby); no series without a failover section",
    labelNames: ["role"] as const,
    registers: [registry],
    collect() {
      const f = sources.failover;
      if (f === undefined) return;
      this.reset();
      this.set({ role: f.role }, 1);
    },
  });
  new Gauge({
    name: "centrex_replication_lag_seconds",
    help: "Age of the oldest database change the standby has not applied (on the standby) or acknowledged (on the primary)",
    registers: [registry],
    collect() {
      const lag = sources.failover?.lag();
      if (lag !== undefined) this.set(lag.seconds);
    },
  });
  new Gauge({
    name: "centrex_replication_lag_changes",
    help: "Database changes not yet applied by (standby) or acknowledged by (primary) the standby",
    registers: [registry],
    collect() {
      const lag = sources.failover?.lag();
      if (lag !== undefined) this.set(lag.changes);
    },
  });
  new Gauge({
    name: "centrex_bans",
    help: "Source addresses banned now (floods, failed logins, scanners)",
    registers: [registry],
    collect() {
      if (sources.guard !== undefined) this.set(sources.guard.list().length);
    },
  });

  // Two counts per message, one more per REGISTER: a tally per label set (bounded: the method
  // comes off the wire; past the bound, prom-client's own inc()).
  const countRequest = requestTallies.byLabel(requests, "method");
  const responseCounts = new Map<string, Map<number, Tally>>();
  const countResponse = (method: string, status: number): void => {
    let byStatus = responseCounts.get(method);
    if (byStatus === undefined) {
      if (responseCounts.size >= MAX_CACHED_SERIES) {
        responses.inc({ method, status: String(status) });
        return;
      }
      byStatus = new Map();
      responseCounts.set(method, byStatus);
    }
    let t = byStatus.get(status);
    if (t === undefined) {
      t = responseTallies.add({ method, status: String(status) });
      if (t === undefined) {
        responses.inc({ method, status: String(status) });
        return;
      }
      byStatus.set(status, t);
    }
    t.n++;
  };
  const countRegister = registerTallies.byLabel(registers, "outcome");

  const direction = (e: CallStarted): string => e.routing.direction;
  return {
    registry,
    contentType: registry.contentType,
    sip: {
      requestReceived: countRequest,
      responseSent: countResponse,
    },
    calls: {
      onCallAnswered(e) {
        setup.observe({ direction: direction(e) }, (e.answeredAt - e.startedAt) / 1000);
      },
      onCallEnded(e: CallEnded) {
        calls.inc({ direction: e.routing.direction, status: String(e.status) });
        const media = sources.media;
        if (media === undefined) return;
        // The relay's last counters for the call, if it still has them; never delays the BYE.
        void media
          .query(e.callId)
          .then(account, () => undefined)
          .finally(() => relaySeen.delete(e.callId));
      },
    },
    registerOutcome: countRegister,
    attach(parts) {
      Object.assign(sources, parts);
    },
    text: () => registry.metrics(),
  };
}
