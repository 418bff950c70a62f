import type { RemoteInfo, Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import type { LatchingMode, StreamStats } from "./controller.js";
import type { KernelFlow } from "./kernel-flow.js";
import type { BoundPair } from "./port-pool.js";
import { isUnspecified, type SdpMedia } from "./sdp.js";

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

/**
 * The relay's pair of sockets facing one endpoint on one media line, with what it knows of
 * that endpoint: the address it announced in SDP, the address it really sends from
 * (latching), and counters for what it sent. A packet received here goes out of `peer`'s
 * socket to `peer`'s endpoint. One `message` listener per socket, bound once: the per-packet
 * path creates no closure and no promise and parses only the 12-byte RTP header.
 */
export class StreamSide {
  readonly index: number;
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
  peer: StreamSide | undefined;
  media = "audio";

  // Latching policy.
  latching: LatchingMode = "lock";
  relearnAfterMs = 0;

  // Destination for this endpoint: from SDP, then from latching.
  dstAddress = "";
  dstPort = 0;
  dstRtcpAddress = "";
  dstRtcpPort = 0;
  rtcpMux = false;
  /** The SDP named the RTCP port (a=rtcp): trust it over the port+1 guess. */
  rtcpExplicit = false;
  latched = false;
  rtcpLatched = false;
  lockedAt = 0;
  rtcpLockedAt = 0;

  // Counters for packets from this endpoint.
  packets = 0;
  bytes = 0;
  rtcpPackets = 0;
  rtcpBytes = 0;
  strictDrops = 0;
  malformed = 0;
  dtmfPackets = 0;
  reordered = 0;
  /** performance.now() of the last accepted packet, 0 if none. */
  lastPacketAt = 0;
  /** What the kernel forwarded from this endpoint, read from its counters (RTP flow incl. muxed RTCP; RTCP port). */
  kernelRtpPackets = 0;
  kernelRtpBytes = 0;
  kernelRtcpPackets = 0;
  kernelRtcpBytes = 0;
  /** Packets that reached the sockets while the kernel was forwarding their flow (should stay 0). */
  kernelMisses = 0;

  /** The kernel fast path for this side's RTP (and muxed RTCP) and its separate RTCP port, if any. */
  rtpFlow: KernelFlow | undefined;
  rtcpFlow: KernelFlow | undefined;
  /** The sockets are connect()ed to the latched source: sends need no address, others are dropped by the kernel. */
  rtpConnected = false;
  rtcpConnected = false;

  // RFC 3550 A.1/A.3 sequence state and A.8 jitter.
  #seqInit = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = SEQ_MOD + 1;
  #received = 0;
  #lastArrival = 0;
  #lastTs = 0;
  #hasTransit = false;
  jitter = 0;
  /** Clock rate by payload type, 0 = unknown (8000 assumed). */
  readonly clockRates = new Uint32Array(128);
  telephoneEventPt = -1;
  #closed = false;

  constructor(index: number, pair: BoundPair) {
    this.index = index;
    this.port = pair.port;
    this.rtp = pair.rtp;
    this.rtcp = pair.rtcp;
    this.rtp.on("message", this.onRtpMessage);
    this.rtcp.on("message", this.onRtcpMessage);
    // ICMP errors for a send surface here; a relay must not crash because a phone went away.
    this.rtp.on("error", this.onSocketError);
    this.rtcp.on("error", this.onSocketError);
  }

  /** Applies what the endpoint's SDP says. `resetLatch` re-learns (re-offer: the phone may have moved). */
  applySdp(media: SdpMedia, resetLatch: boolean): void {
    // A re-offer (hold, move, codec change) takes the streams back to userspace until they latch again.
    this.rtpFlow?.reset();
    this.rtcpFlow?.reset();
    this.media = media.type;
    const address = media.address ?? "";
    if (isUnspecified(address) || media.port === 0 || address === "") {
      // "Do not send to me" (RFC 2543 hold, or rejected): forget the latch too.
      this.dstAddress = "";
      this.dstPort = 0;
      this.latched = false;
    } else if (!this.latched || resetLatch || this.latching === "trust-address") {
      this.dstAddress = address;
      this.dstPort = media.port;
    }
    this.rtcpMux = media.rtcpMux;
    this.rtcpExplicit = media.rtcpPort !== undefined;
    if (!this.rtcpLatched || resetLatch || this.latching === "trust-address") {
      this.dstRtcpAddress = media.rtcpAddress ?? (isUnspecified(address) ? "" : address);
      this.dstRtcpPort = media.port === 0 ? 0 : (media.rtcpPort ?? media.port + 1);
      if (this.dstRtcpAddress === "") this.dstRtcpPort = 0;
    }
    if (resetLatch) {
      this.latched = false;
      this.rtcpLatched = false;
    }
    if (!this.latched) this.#disconnect(this.rtp, false);
    if (!this.rtcpLatched) this.#disconnect(this.rtcp, true);
    this.clockRates.fill(0);
    for (const [pt, rate] of media.clockRates) if (pt >= 0 && pt < 128) this.clockRates[pt] = rate;
    this.telephoneEventPt = media.telephoneEventPt ?? -1;
  }

  /** RTP/RTCP mux is in use only when both ends agreed to it (offer and answer). */
  setMux(mux: boolean): void {
    if (mux !== this.rtcpMux) {
      this.rtpFlow?.reset();
      this.rtcpFlow?.reset();
    }
    this.rtcpMux = mux;
  }

  /**
   * Lock mode re-learns a source that went quiet: the socket must hear every source again.
   * Called by the relay's sweep.
   */
  openForRelearn(now: number): void {
    if (this.relearnAfterMs <= 0) return;
    if (this.rtpConnected && now - this.lockedAt >= this.relearnAfterMs) this.#disconnect(this.rtp, false);
    if (this.rtcpConnected && now - this.rtcpLockedAt >= this.relearnAfterMs)
      this.#disconnect(this.rtcp, true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.rtpFlow?.reset();
    this.rtcpFlow?.reset();
    this.rtp.close();
    this.rtcp.close();
  }

  readonly onRtpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.receive(msg, rinfo, false);
  };

  readonly onRtcpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.receive(msg, rinfo, true);
  };

  readonly onSocketError = (): void => {};

  receive(msg: Buffer, rinfo: RemoteInfo, onRtcpPort: boolean): void {
    const length = msg.length;
    if (length < 8 || (msg[0]! & 0xc0) !== 0x80) {
      this.malformed++;
      return;
    }
    const b1 = msg[1]!;
    // RFC 5761 §4: on a muxed port, second byte 192..223 is an RTCP packet type.
    const isRtcp = onRtcpPort || (b1 >= 192 && b1 <= 223);
    if (!isRtcp && length < 12) {
      this.malformed++;
      return;
    }
    const now = performance.now();
    if (isRtcp && onRtcpPort) {
      if (!this.#acceptRtcpSource(rinfo, now)) {
        this.strictDrops++;
        return;
      }
    } else if (!this.#acceptSource(rinfo, now)) {
      this.strictDrops++;
      return;
    }
    this.lastPacketAt = now;
    const flow = onRtcpPort ? this.rtcpFlow : this.rtpFlow;
    if (flow !== undefined) flow.seen(this, now);
    const peer = this.peer;
    if (isRtcp) {
      this.rtcpPackets++;
      this.rtcpBytes += length;
      if (peer !== undefined) peer.sendRtcp(msg);
      return;
    }
    this.packets++;
    this.bytes += length;
    this.#account(msg, b1 & 0x7f, now);
    if (peer !== undefined) peer.sendRtp(msg);
  }

  sendRtp(msg: Buffer): void {
    if (this.#closed || this.dstPort === 0) return;
    if (this.rtpConnected) this.rtp.send(msg);
    else this.rtp.send(msg, this.dstPort, this.dstAddress);
  }

  sendRtcp(msg: Buffer): void {
    if (this.#closed) return;
    if (this.rtcpMux) {
      this.sendRtp(msg);
    } else if (this.dstRtcpPort !== 0) {
      if (this.rtcpConnected) this.rtcp.send(msg);
      else this.rtcp.send(msg, this.dstRtcpPort, this.dstRtcpAddress);
    }
  }

  /** Kernel counters moved: the endpoint is alive (media timeout) and still holds its latch. */
  kernelForwarded(packets: number, bytes: number, rtcp: boolean, now: number): void {
    if (packets <= 0) return;
    if (rtcp) {
      this.kernelRtcpPackets += packets;
      this.kernelRtcpBytes += bytes;
      this.rtcpLockedAt = now;
    } else {
      this.kernelRtpPackets += packets;
      this.kernelRtpBytes += bytes;
      this.lockedAt = now;
    }
    this.lastPacketAt = now;
  }

  #connect(socket: Socket, address: string, port: number, rtcp: boolean): void {
    if (this.latching !== "lock" || this.#closed) return;
    this.#disconnect(socket, rtcp);
    try {
      socket.connect(port, address);
    } catch {
      return; // not bound yet or closing: stays unconnected, sends carry the address
    }
    if (rtcp) this.rtcpConnected = true;
    else this.rtpConnected = true;
  }

  #disconnect(socket: Socket, rtcp: boolean): void {
    if (!(rtcp ? this.rtcpConnected : this.rtpConnected)) return;
    if (rtcp) this.rtcpConnected = false;
    else this.rtpConnected = false;
    try {
      socket.disconnect();
    } catch {
      // already closed
    }
  }

  #acceptSource(rinfo: RemoteInfo, now: number): boolean {
    const mode = this.latching;
    if (mode === "trust-address") return true;
    if (this.latched && rinfo.port === this.dstPort && rinfo.address === this.dstAddress) {
      this.lockedAt = now;
      return true;
    }
    if (this.latched && mode === "lock") {
      // Handover: the locked source went quiet, so the phone probably moved networks.
      if (this.relearnAfterMs <= 0 || now - this.lockedAt < this.relearnAfterMs) return false;
    }
    this.rtpFlow?.reset();
    this.dstAddress = rinfo.address;
    this.dstPort = rinfo.port;
    this.latched = true;
    this.lockedAt = now;
    this.#connect(this.rtp, rinfo.address, rinfo.port, false);
    if (!this.rtcpLatched && !this.rtcpMux && !this.rtcpExplicit) {
      // Until RTCP shows its own source, assume the RFC 3550 convention behind the same NAT.
      this.dstRtcpAddress = rinfo.address;
      this.dstRtcpPort = rinfo.port + 1;
    }
    return true;
  }

  #acceptRtcpSource(rinfo: RemoteInfo, now: number): boolean {
    const mode = this.latching;
    if (mode === "trust-address") return true;
    if (this.rtcpLatched && rinfo.port === this.dstRtcpPort && rinfo.address === this.dstRtcpAddress) {
      this.rtcpLockedAt = now;
      return true;
    }
    if (this.rtcpLatched && mode === "lock") {
      if (this.relearnAfterMs <= 0 || now - this.rtcpLockedAt < this.relearnAfterMs) return false;
    }
    this.rtcpFlow?.reset();
    this.dstRtcpAddress = rinfo.address;
    this.dstRtcpPort = rinfo.port;
    this.rtcpLatched = true;
    this.rtcpLockedAt = now;
    this.#connect(this.rtcp, rinfo.address, rinfo.port, true);
    return true;
  }

  #account(msg: Buffer, pt: number, now: number): void {
    const seq = (msg[2]! << 8) | msg[3]!;
    if (pt === this.telephoneEventPt) this.dtmfPackets++;
    if (!this.#seqInit) {
      this.#initSeq(seq);
    } else {
      const udelta = (seq - this.#maxSeq + SEQ_MOD) & 0xffff;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.#maxSeq) this.#cycles += SEQ_MOD;
        this.#maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        // A large jump: the source restarted. Two in a row from the new sequence resync.
        if (seq === this.#badSeq) {
          this.#initSeq(seq);
        } else {
          this.#badSeq = (seq + 1) & 0xffff;
          return;
        }
      } else {
        this.reordered++;
        this.#received++;
        return;
      }
      this.#received++;
    }
    // Telephone-event timestamps mark the event start, not the sampling instant: no jitter from them.
    if (pt === this.telephoneEventPt) return;
    const ts = ((msg[4]! << 24) | (msg[5]! << 16) | (msg[6]! << 8) | msg[7]!) >>> 0;
    const rate = this.clockRates[pt] || 8000;
    const arrival = (now * rate) / 1000;
    if (this.#hasTransit) {
      const d = arrival - this.#lastArrival - ((ts - this.#lastTs) | 0);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.#hasTransit = true;
    this.#lastArrival = arrival;
    this.#lastTs = ts;
  }

  #initSeq(seq: number): void {
    this.#seqInit = true;
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#badSeq = SEQ_MOD + 1;
    this.#received = 1;
  }

  stats(now: number): StreamStats {
    const expected = this.#seqInit ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 : 0;
    const rate = this.#firstRate();
    return {
      index: this.index,
      media: this.media,
      localPort: this.port,
      localRtcpPort: this.port + 1,
      endpoint: this.dstPort === 0 ? null : { address: this.dstAddress, port: this.dstPort },
      latched: this.latched,
      rtcpMux: this.rtcpMux,
      telephoneEventPt: this.telephoneEventPt < 0 ? null : this.telephoneEventPt,
      forwarding: this.rtpFlow?.installed === true ? "kernel" : "userspace",
      rtcpForwarding: this.rtcpFlow?.installed === true ? "kernel" : "userspace",
      packets: this.packets + this.kernelRtpPackets,
      bytes: this.bytes + this.kernelRtpBytes,
      userspacePackets: this.packets + this.rtcpPackets,
      kernelPackets: this.kernelRtpPackets + this.kernelRtcpPackets,
      kernelMisses: this.kernelMisses,
      lost: expected - this.#received,
      expected,
      reordered: this.reordered,
      jitter: this.jitter,
      jitterMs: (this.jitter * 1000) / rate,
      dtmfPackets: this.dtmfPackets,
      rtcpPackets: this.rtcpPackets + this.kernelRtcpPackets,
      rtcpBytes: this.rtcpBytes + this.kernelRtcpBytes,
      strictDrops: this.strictDrops,
      malformed: this.malformed,
      idleMs: this.lastPacketAt === 0 ? null : now - this.lastPacketAt,
    };
  }

  #firstRate(): number {
    for (let pt = 0; pt < 128; pt++) {
      const r = this.clockRates[pt]!;
      if (r !== 0 && pt !== this.telephoneEventPt) return r;
    }
    return 8000;
  }
}
