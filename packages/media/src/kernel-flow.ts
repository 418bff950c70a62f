import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { endKey, type FlowCounter, type FlowEnd, type NftForwarder } from "./nft-forwarder.js";
import type { StreamSide } from "./stream-side.js";

/** What a flow needs from its relay. */
export interface KernelFlowHost {
  /** The open forwarder, or undefined (kernel path off, unavailable, or still opening). */
  readonly forwarder: NftForwarder | undefined;
  /** Dead man's switch for the elements (seconds). */
  readonly elementTimeoutSeconds: number;
  readonly logger: Logger | undefined;
  /** Installed flows, whose counters the relay reads. */
  readonly installed: Set<KernelFlow>;
}

const IDLE = 0;
const INSTALLING = 1;
const INSTALLED = 2;
/** Missed by the kernel too often: this flow stays in userspace (until a re-offer or re-latch resets it). */
const GIVEN_UP = 3;
const MAX_REINSTALLS = 3;
/** A packet reaching the socket this long after installation was not forwarded by the kernel. */
const GRACE_MS = 250;

/**
 * The kernel path for one media line's RTP (with muxed RTCP) or its separate RTCP
 * ports, between the two sides facing the two phones. Installed once both phones'
 * sources are latched (the first packet each way still crosses userspace, which is
 * how latching learns them); reset — back to userspace — on anything that changes
 * where packets go: a re-offer, a mux change, a new latch, the sides closing.
 */
export class KernelFlow {
  readonly a: StreamSide;
  readonly b: StreamSide;
  readonly rtcp: boolean;
  #host: KernelFlowHost;
  #state = IDLE;
  #gen = 0;
  #zone = 0;
  #ends: [FlowEnd, FlowEnd] | undefined;
  #installedAt = 0;
  #reinstalls = 0;
  /** A counter read finished since the installation. */
  #counted = false;
  /** Counter values already credited to the sides, for this installation. */
  #seenA: FlowCounter = { packets: 0, bytes: 0 };
  #seenB: FlowCounter = { packets: 0, bytes: 0 };

  constructor(a: StreamSide, b: StreamSide, rtcp: boolean, host: KernelFlowHost) {
    this.a = a;
    this.b = b;
    this.rtcp = rtcp;
    this.#host = host;
  }

  get installed(): boolean {
    return this.#state === INSTALLED;
  }

  /**
   * Whether this flow's activity is unknown: an installation is in flight (the kernel may already
   * forward the stream — its `nft` run committed — while the relay neither sees the packets nor
   * reads their counters), or it is installed and no counter read has finished since.
   */
  get unknown(): boolean {
    return this.#state === INSTALLING || (this.#state === INSTALLED && !this.#counted);
  }

  /** A packet from `side`'s latched source reached its socket. */
  seen(side: StreamSide, now: number): void {
    if (this.#state === IDLE) {
      this.#tryInstall();
    } else if (this.#state === INSTALLED && now - this.#installedAt > GRACE_MS) {
      // The kernel did not take it: the element expired (dead man's switch) or was lost.
      side.kernelMisses++;
      this.reset();
      if (++this.#reinstalls <= MAX_REINSTALLS) {
        this.#tryInstall();
      } else {
        // Never a storm of `nft` runs for a flow the kernel keeps handing back.
        this.#state = GIVEN_UP;
        this.#host.logger?.warn({ port: this.a.port }, "kernel keeps missing this flow: left in userspace");
      }
    }
  }

  /** Back to userspace: the elements are removed (queued before any later installation). */
  reset(): void {
    if (this.#state === IDLE) return;
    if (this.#state === GIVEN_UP) {
      this.#state = IDLE;
      return;
    }
    const ends = this.#ends;
    const zone = this.#zone;
    this.#gen++;
    this.#state = IDLE;
    this.#ends = undefined;
    this.#host.installed.delete(this);
    const fw = this.#host.forwarder;
    if (fw !== undefined && ends !== undefined) void fw.remove(zone, ends[0], ends[1]);
  }

  /** Credits the sides with what the kernel forwarded since the last read. */
  applyCounters(counters: Map<string, FlowCounter>, now: number): void {
    const ends = this.#ends;
    if (this.#state !== INSTALLED || ends === undefined) return;
    const ca = counters.get(endKey(ends[0]));
    const cb = counters.get(endKey(ends[1]));
    if (ca !== undefined) this.#seenA = credit(this.a, this.#seenA, ca, this.rtcp, now);
    if (cb !== undefined) this.#seenB = credit(this.b, this.#seenB, cb, this.rtcp, now);
    // A read that listed the table before this installation committed says nothing about it.
    if (ca !== undefined || cb !== undefined) this.#counted = true;
  }

  #tryInstall(): void {
    const fw = this.#host.forwarder;
    if (fw === undefined) return;
    const ends = this.rtcp ? rtcpEnds(this.a, this.b, fw) : rtpEnds(this.a, this.b, fw);
    if (ends === undefined) return;
    const gen = ++this.#gen;
    const zone = fw.nextZone();
    this.#state = INSTALLING;
    this.#zone = zone;
    this.#ends = ends;
    fw.install(zone, ends[0], ends[1], this.#host.elementTimeoutSeconds).then(
      () => {
        if (gen !== this.#gen) return; // reset meanwhile: its removal is queued after this install
        this.#state = INSTALLED;
        this.#counted = false;
        this.#installedAt = performance.now();
        this.#seenA = { packets: 0, bytes: 0 };
        this.#seenB = { packets: 0, bytes: 0 };
        this.#host.installed.add(this);
      },
      (err: Error) => {
        if (gen === this.#gen) {
          this.#state = IDLE;
          this.#ends = undefined;
        }
        this.#host.logger?.warn({ err: err.message, port: this.a.port }, "kernel flow not installed");
      },
    );
  }
}

function credit(
  side: StreamSide,
  seen: FlowCounter,
  now_: FlowCounter,
  rtcp: boolean,
  now: number,
): FlowCounter {
  side.kernelForwarded(now_.packets - seen.packets, now_.bytes - seen.bytes, rtcp, now);
  return now_;
}

function usable(side: StreamSide): boolean {
  return side.latching !== "trust-address" && !side.closed;
}

function rtpEnds(a: StreamSide, b: StreamSide, fw: NftForwarder): [FlowEnd, FlowEnd] | undefined {
  if (!usable(a) || !usable(b) || !a.latched || !b.latched) return undefined;
  if (a.dstPort === 0 || b.dstPort === 0 || !fw.carries(a.dstAddress) || !fw.carries(b.dstAddress))
    return undefined;
  return [
    { address: a.dstAddress, port: a.dstPort, relayPort: a.port },
    { address: b.dstAddress, port: b.dstPort, relayPort: b.port },
  ];
}

function rtcpEnds(a: StreamSide, b: StreamSide, fw: NftForwarder): [FlowEnd, FlowEnd] | undefined {
  if (!usable(a) || !usable(b) || a.rtcpMux || b.rtcpMux || !a.rtcpLatched || !b.rtcpLatched)
    return undefined;
  if (a.dstRtcpPort === 0 || b.dstRtcpPort === 0) return undefined;
  if (!fw.carries(a.dstRtcpAddress) || !fw.carries(b.dstRtcpAddress)) return undefined;
  return [
    { address: a.dstRtcpAddress, port: a.dstRtcpPort, relayPort: a.port + 1 },
    { address: b.dstRtcpAddress, port: b.dstRtcpPort, relayPort: b.port + 1 },
  ];
}
