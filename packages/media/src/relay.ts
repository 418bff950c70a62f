import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type {
  CallStats,
  LatchingMode,
  LegStats,
  MediaController,
  MediaControllerDelegate,
  MediaOptions,
} from "./controller.js";
import { OfferAnswerError, UnknownCallError } from "./errors.js";
import { KernelFlow, type KernelFlowHost } from "./kernel-flow.js";
import { KernelPathUnavailable, NftForwarder } from "./nft-forwarder.js";
import { bindPair, PortPool } from "./port-pool.js";
import { isHold, parseSdp, rewriteSdp, type Sdp } from "./sdp.js";
import { StreamSide } from "./stream-side.js";

export interface MediaRelayOptions {
  /** Address the relay's sockets bind to. Default 127.0.0.1. */
  bindAddress?: string;
  /** Address written into rewritten SDP. Default: bindAddress. */
  advertisedAddress?: string;
  /** RTP port range, inclusive. Default 30000-39999. */
  portMin?: number;
  portMax?: number;
  /** Per-call defaults; offer/answer options override them. */
  defaults?: MediaOptions;
  /** How often the single timeout/re-learn sweep runs (ms). Default: min(250, mediaTimeoutMs / 4). */
  sweepIntervalMs?: number;
  /** SO_RCVBUF for each socket; 0 keeps the system default. */
  recvBufferSize?: number;
  /**
   * Kernel fast path (nftables): "auto" forwards latched streams in the kernel when nftables
   * can be programmed here and falls back to userspace otherwise (one log line); "off" (the
   * library's default: it touches the host's packet filter) keeps every packet in userspace.
   */
  kernel?: "auto" | "off";
  /** The `nft` command for the kernel path. Default "nft". */
  nftCommand?: string;
  logger?: Logger;
  delegate?: MediaControllerDelegate;
}

interface ResolvedOptions {
  latching: LatchingMode;
  relearnAfterMs: number;
  ice: "remove" | "keep";
  mediaTimeoutMs: number;
  holdTimeoutMs: number;
}

const BUILTIN_DEFAULTS: ResolvedOptions = {
  latching: "lock",
  relearnAfterMs: 3000,
  ice: "remove",
  mediaTimeoutMs: 60_000,
  holdTimeoutMs: 3_600_000,
};

/** One party of the call: the sockets facing it (one pair per m= line) and what it said last. */
class Leg {
  tag: string | undefined;
  sides: (StreamSide | undefined)[] = [];
  /** Last SDP address:port per m= line, to tell a moved phone from a session refresh. */
  lastSdpAddr: string[] = [];
  onHold = false;
  /** o= version we last emitted for this party's SDP, and the body it covered. */
  outVersion: bigint | undefined;
  outBody = "";
  inVersion: bigint | undefined;

  constructor(tag: string | undefined) {
    this.tag = tag;
  }
}

class Call {
  readonly id: string;
  readonly legs: [Leg, Leg];
  readonly createdAt = Date.now();
  lastSignalAt = performance.now();
  options: ResolvedOptions;
  /** The offer waiting for its answer: who sent it and its rtcp-mux per m= line. */
  pending: { offerer: Leg; mux: boolean[] } | undefined;
  queue: Promise<unknown> = Promise.resolve();
  deleted = false;

  constructor(id: string, fromTag: string, options: ResolvedOptions) {
    this.id = id;
    this.legs = [new Leg(fromTag), new Leg(undefined)];
    this.options = options;
  }

  *sides(): Generator<StreamSide> {
    for (const leg of this.legs) for (const s of leg.sides) if (s !== undefined) yield s;
  }
}

/**
 * The in-process RTP relay: owns a port range, anchors calls' media (offer/answer rewrite
 * SDP to point at its sockets), forwards packets leg to leg, counts them, and ends calls
 * whose media stopped. One sweep timer serves every call.
 */
export class MediaRelay implements MediaController {
  delegate: MediaControllerDelegate | undefined;
  readonly pool: PortPool;
  readonly bindAddress: string;
  readonly advertisedAddress: string;
  #calls = new Map<string, Call>();
  #defaults: ResolvedOptions;
  #sweep: NodeJS.Timeout;
  #recvBufferSize: number;
  #log: Logger | undefined;
  #closed = false;
  #kernel: KernelFlowHost & { forwarder: NftForwarder | undefined };
  #opening: Promise<NftForwarder | undefined>;
  #refreshing: Promise<void> | undefined;
  #nextRefresh: Promise<void> | undefined;
  #sweeping = false;
  #lastRefresh = 0;
  /** Kernel counters are read by the sweep at most this often (query and delete read them too). */
  #refreshEvery: number;
  #kernelWanted: boolean;
  /** Resolves once the kernel path is known: true when latched streams are forwarded by nftables. */
  readonly kernelReady: Promise<boolean>;

  constructor(options: MediaRelayOptions = {}) {
    this.bindAddress = options.bindAddress ?? "127.0.0.1";
    this.advertisedAddress = options.advertisedAddress ?? this.bindAddress;
    this.pool = new PortPool(options.portMin ?? 30000, options.portMax ?? 39999);
    this.#defaults = resolve(BUILTIN_DEFAULTS, options.defaults);
    this.delegate = options.delegate;
    this.#recvBufferSize = options.recvBufferSize ?? 0;
    this.#kernelWanted = options.kernel === "auto";
    this.#log = options.logger;
    this.#kernel = {
      forwarder: undefined,
      elementTimeoutSeconds:
        Math.max(this.#defaults.mediaTimeoutMs, this.#defaults.holdTimeoutMs) / 1000 + 60,
      logger: this.#log,
      installed: new Set(),
    };
    this.#opening = options.kernel === "auto" ? this.#openKernel(options) : Promise.resolve(undefined);
    this.kernelReady = this.#opening.then((f) => f !== undefined);
    this.#refreshEvery = Math.min(1000, this.#defaults.mediaTimeoutMs / 4);
    // Also the granularity of lock-mode re-learning (a connected socket re-opened to every source).
    const every = options.sweepIntervalMs ?? Math.max(10, Math.min(250, this.#defaults.mediaTimeoutMs / 4));
    this.#sweep = setInterval(this.#onSweep, every);
    this.#sweep.unref();
  }

  get callCount(): number {
    return this.#calls.size;
  }

  /** The nftables table forwarding latched streams, undefined when the kernel path is off or unavailable. */
  get kernelTable(): string | undefined {
    return this.#kernel.forwarder?.table;
  }

  async #openKernel(options: MediaRelayOptions): Promise<NftForwarder | undefined> {
    try {
      const f = await NftForwarder.open({
        bindAddress: this.bindAddress,
        advertisedAddress: this.advertisedAddress,
        portMin: this.pool.min,
        portMax: this.pool.min + 2 * this.pool.size - 1,
        ...(options.nftCommand !== undefined ? { nft: options.nftCommand } : {}),
        ...(this.#log !== undefined ? { logger: this.#log } : {}),
      });
      if (this.#closed) {
        await f.close();
        return undefined;
      }
      this.#kernel.forwarder = f;
      this.#log?.info({ table: f.table }, "kernel forwarding on: latched streams are forwarded by nftables");
      return f;
    } catch (err) {
      const why = err instanceof KernelPathUnavailable ? err.message : String(err);
      this.#log?.warn(`kernel forwarding unavailable, forwarding in userspace: ${why}`);
      return undefined;
    }
  }

  #kernelSettled(): Promise<void> {
    return this.#kernel.forwarder?.settled() ?? Promise.resolve();
  }

  /**
   * Reads the kernel's counters into the installed flows' sides. Concurrent readers share one
   * `nft` call, but a reader never gets counts read before it asked: when a read is already
   * running (it may have listed the counters before this caller's packets passed), the caller
   * waits for the next one, which all callers arriving meanwhile share.
   */
  #refreshKernel(): Promise<void> {
    const fw = this.#kernel.forwarder;
    if (fw === undefined || this.#kernel.installed.size === 0) return Promise.resolve();
    if (this.#refreshing === undefined) {
      this.#refreshing = this.#readCounters(fw);
      return this.#refreshing;
    }
    this.#nextRefresh ??= this.#refreshing.then(() => {
      this.#nextRefresh = undefined;
      return this.#refreshKernel();
    });
    return this.#nextRefresh;
  }

  #readCounters(fw: NftForwarder): Promise<void> {
    this.#lastRefresh = performance.now();
    return fw
      .counters()
      .then(
        (counters) => {
          const now = performance.now();
          for (const flow of this.#kernel.installed) flow.applyCounters(counters, now);
        },
        (err: Error) => this.#log?.warn({ err: err.message }, "kernel counters not read"),
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
  }

  async offer(callId: string, fromTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    const parsed = parseSdp(sdp);
    let call = this.#calls.get(callId);
    const isNew = call === undefined;
    if (call === undefined) {
      call = new Call(callId, fromTag, resolve(this.#defaults, opts));
      this.#calls.set(callId, call);
    }
    const c = call;
    return this.#serial(c, async () => {
      try {
        const out = await this.#offer(c, fromTag, parsed, opts);
        await this.#kernelSettled();
        return out;
      } catch (err) {
        if (isNew) this.#remove(c);
        throw err;
      }
    });
  }

  async answer(callId: string, toTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    const parsed = parseSdp(sdp);
    const call = this.#calls.get(callId);
    if (call === undefined) throw new UnknownCallError(callId);
    return this.#serial(call, async () => {
      const out = await this.#answer(call, toTag, parsed, opts);
      // The streams this answer moved are back in userspace before the SDP goes out.
      await this.#kernelSettled();
      return out;
    });
  }

  async delete(callId: string): Promise<boolean> {
    const call = this.#calls.get(callId);
    if (call === undefined) return false;
    await this.#refreshKernel(); // the last kernel counts, before the elements go
    this.#remove(call);
    await this.#kernelSettled();
    this.#log?.info({ callId }, "media deleted");
    return true;
  }

  async query(callId: string): Promise<CallStats> {
    if (this.#calls.get(callId) === undefined) throw new UnknownCallError(callId);
    await this.#refreshKernel();
    const call = this.#calls.get(callId);
    if (call === undefined) throw new UnknownCallError(callId);
    const now = performance.now();
    const legs: LegStats[] = call.legs.map((leg) => ({
      tag: leg.tag ?? null,
      onHold: leg.onHold,
      streams: leg.sides.filter((s) => s !== undefined).map((s) => s.stats(now)),
    }));
    return { callId, createdAt: call.createdAt, idleMs: now - lastActivity(call, now), legs };
  }

  async list(): Promise<string[]> {
    return [...this.#calls.keys()];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const call of [...this.#calls.values()]) this.#remove(call);
    const fw = await this.#opening;
    this.#kernel.forwarder = undefined;
    await fw?.close();
  }

  #serial<T>(call: Call, fn: () => Promise<T>): Promise<T> {
    const run = call.queue.then(fn, fn);
    call.queue = run.catch(() => {});
    return run;
  }

  async #offer(call: Call, fromTag: string, sdp: Sdp, opts: MediaOptions | undefined): Promise<string> {
    if (call.deleted) throw new UnknownCallError(call.id);
    const [a, b] = call.legs;
    let offerer: Leg;
    if (a.tag === fromTag) offerer = a;
    else if (b.tag === fromTag) offerer = b;
    else throw new OfferAnswerError(`call ${call.id}: offer from unknown tag ${fromTag}`);
    const answerer = offerer === a ? b : a;
    if (opts !== undefined) call.options = resolve(call.options, opts);
    call.lastSignalAt = performance.now();
    const mux: boolean[] = [];
    for (let i = 0; i < sdp.media.length; i++) {
      const media = sdp.media[i]!;
      mux.push(media.rtcpMux);
      if (media.port === 0 && offerer.sides[i] === undefined) continue;
      await this.#ensureSides(call, i);
      this.#apply(call, offerer, i, sdp);
      offerer.sides[i]!.setMux(media.rtcpMux);
    }
    offerer.onHold = sdp.media.some((m) => m.port !== 0 && isHold(m));
    call.pending = { offerer, mux };
    this.#log?.debug({ callId: call.id, tag: fromTag, media: sdp.media.length }, "media offer");
    return this.#rewrite(call, offerer, answerer, sdp);
  }

  async #answer(call: Call, toTag: string, sdp: Sdp, opts: MediaOptions | undefined): Promise<string> {
    if (call.deleted) throw new UnknownCallError(call.id);
    const pending = call.pending;
    if (pending === undefined) throw new OfferAnswerError(`call ${call.id}: answer without a pending offer`);
    const offerer = pending.offerer;
    const answerer = offerer === call.legs[0] ? call.legs[1] : call.legs[0];
    if (answerer.tag !== toTag) {
      if (answerer.tag !== undefined)
        this.#log?.info({ callId: call.id, toTag }, "answer from another branch");
      answerer.tag = toTag;
    }
    if (opts !== undefined) call.options = resolve(call.options, opts);
    call.lastSignalAt = performance.now();
    for (let i = 0; i < sdp.media.length; i++) {
      const media = sdp.media[i]!;
      const side = answerer.sides[i];
      if (side === undefined) continue;
      this.#apply(call, answerer, i, sdp);
      const mux = media.rtcpMux && (pending.mux[i] ?? false);
      side.setMux(mux);
      offerer.sides[i]?.setMux(mux);
    }
    answerer.onHold = sdp.media.some((m) => m.port !== 0 && isHold(m));
    call.pending = undefined;
    return this.#rewrite(call, answerer, offerer, sdp);
  }

  async #ensureSides(call: Call, index: number): Promise<void> {
    const [a, b] = call.legs;
    if (a.sides[index] === undefined) {
      a.sides[index] = new StreamSide(
        index,
        await bindPair(this.pool, this.bindAddress, this.#recvBufferSize),
      );
    }
    if (b.sides[index] === undefined) {
      b.sides[index] = new StreamSide(
        index,
        await bindPair(this.pool, this.bindAddress, this.#recvBufferSize),
      );
    }
    const sa = a.sides[index]!;
    const sb = b.sides[index]!;
    sa.peer = sb;
    sb.peer = sa;
    if (this.#opening !== undefined && sa.rtpFlow === undefined && this.#kernelWanted) {
      sa.rtpFlow = sb.rtpFlow = new KernelFlow(sa, sb, false, this.#kernel);
      sa.rtcpFlow = sb.rtcpFlow = new KernelFlow(sa, sb, true, this.#kernel);
    }
    if (call.deleted) {
      // delete() ran while we were binding: do not leave these sockets behind.
      this.#remove(call);
      throw new UnknownCallError(call.id);
    }
  }

  #apply(call: Call, leg: Leg, index: number, sdp: Sdp): void {
    const side = leg.sides[index]!;
    const media = sdp.media[index]!;
    const addr = `${media.address}:${media.port}`;
    const moved = leg.lastSdpAddr[index] !== undefined && leg.lastSdpAddr[index] !== addr;
    leg.lastSdpAddr[index] = addr;
    const o = call.options;
    for (const s of call.sides()) {
      s.latching = o.latching;
      s.relearnAfterMs = o.relearnAfterMs;
    }
    side.applySdp(media, moved);
  }

  /** Rewrites `from`'s SDP for `to`: `to` must send to the sockets facing it. */
  #rewrite(call: Call, from: Leg, to: Leg, sdp: Sdp): string {
    const ports = sdp.media.map((_, i) => to.sides[i]?.port ?? 0);
    const removeIce = call.options.ice === "remove";
    const address = this.advertisedAddress;
    const body = rewriteSdp(sdp, { address, ports, originVersion: 0n, removeIce });
    let version = sdp.originVersion;
    if (from.outVersion !== undefined) {
      const unchanged = body === from.outBody && sdp.originVersion === from.inVersion;
      if (unchanged) version = from.outVersion;
      else if (version <= from.outVersion) version = from.outVersion + 1n;
    }
    from.outVersion = version;
    from.outBody = body;
    from.inVersion = sdp.originVersion;
    return rewriteSdp(sdp, { address, ports, originVersion: version, removeIce });
  }

  #remove(call: Call): void {
    if (this.#calls.get(call.id) === call) this.#calls.delete(call.id);
    call.deleted = true;
    for (const leg of call.legs) {
      for (const side of leg.sides) {
        if (side === undefined) continue;
        side.close();
        this.pool.release(side.port);
      }
      leg.sides = [];
    }
  }

  readonly #onSweep = (): void => {
    if (this.#sweeping) return;
    const now = performance.now();
    const reading = this.#refreshing;
    if (
      this.#kernel.installed.size === 0 ||
      (reading === undefined && now - this.#lastRefresh < this.#refreshEvery)
    ) {
      this.#sweepNow();
      return;
    }
    // Kernel-forwarded streams are alive when their counters move: read them first (or wait for
    // the read in flight — on a loaded machine one `nft` run can outlast the media timeout).
    this.#sweeping = true;
    void (reading ?? this.#refreshKernel()).finally(() => {
      this.#sweeping = false;
      if (!this.#closed) this.#sweepNow();
    });
  };

  #sweepNow(): void {
    const now = performance.now();
    for (const call of [...this.#calls.values()]) {
      for (const side of call.sides()) side.openForRelearn(now);
      const held = call.legs[0].onHold || call.legs[1].onHold;
      const limit = held ? call.options.holdTimeoutMs : call.options.mediaTimeoutMs;
      if (now - lastActivity(call, now) <= limit) continue;
      this.#remove(call);
      this.#log?.info({ callId: call.id, held }, "media timeout");
      try {
        this.delegate?.onMediaTimeout(call.id);
      } catch (err) {
        this.#log?.error({ err, callId: call.id }, "onMediaTimeout threw");
      }
    }
  }
}

/** When the call last showed life; `now` while a kernel flow's activity is not known yet (no verdict on unknowns). */
function lastActivity(call: Call, now: number): number {
  let last = call.lastSignalAt;
  for (const s of call.sides()) {
    if (s.rtpFlow?.unknown === true || s.rtcpFlow?.unknown === true) return now;
    if (s.lastPacketAt > last) last = s.lastPacketAt;
  }
  return last;
}

function resolve(base: ResolvedOptions, o: MediaOptions | undefined): ResolvedOptions {
  if (o === undefined) return base;
  return {
    latching: o.latching ?? base.latching,
    relearnAfterMs: o.relearnAfterMs ?? base.relearnAfterMs,
    ice: o.ice ?? base.ice,
    mediaTimeoutMs: o.mediaTimeoutMs ?? base.mediaTimeoutMs,
    holdTimeoutMs: o.holdTimeoutMs ?? base.holdTimeoutMs,
  };
}
