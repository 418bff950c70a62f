/** How the relay learns where to send a leg's media. See README "Latching". */
export type LatchingMode = "trust-address" | "learn" | "lock";

export interface MediaOptions {
  /** Default "lock": learn from the first packet, then drop other sources (until a re-learn). */
  latching?: LatchingMode;
  /** In "lock" mode, accept a new source once the locked one has been silent this long (ms); 0 = never. */
  relearnAfterMs?: number;
  /** "remove" (default): strip ICE attributes and candidates so both ends talk to the relay only. */
  ice?: "remove" | "keep";
  /** No media on the whole call for this long (ms) → onMediaTimeout. */
  mediaTimeoutMs?: number;
  /** Same, while a leg is on hold (sendonly/recvonly/inactive or c=0.0.0.0). */
  holdTimeoutMs?: number;
}

export interface MediaControllerDelegate {
  /** The call's media stopped for longer than its timeout; its ports are already released. */
  onMediaTimeout(callId: string): void;
}

export interface EndpointAddress {
  address: string;
  port: number;
}

/** Counters for the packets one leg's endpoint sent to the relay on one media line. */
export interface StreamStats {
  index: number;
  media: string;
  localPort: number;
  localRtcpPort: number;
  /** Where the relay currently sends this leg's RTP (null: unknown or on hold with c=0.0.0.0). */
  endpoint: EndpointAddress | null;
  latched: boolean;
  rtcpMux: boolean;
  telephoneEventPt: number | null;
  /** Who forwards this stream's RTP now: the relay's sockets, or the kernel (nftables). */
  forwarding: "userspace" | "kernel";
  /** The same for RTCP on its own port (with rtcp-mux it rides the RTP flow: always "userspace" here). */
  rtcpForwarding: "userspace" | "kernel";
  /** RTP packets and payload bytes from this endpoint, whoever forwarded them (kernel: RTP + muxed RTCP). */
  packets: number;
  bytes: number;
  /** Packets (RTP and RTCP) the relay's sockets received from this endpoint. */
  userspacePackets: number;
  /** Packets (RTP and RTCP) the kernel forwarded from this endpoint, from nftables counters. */
  kernelPackets: number;
  /** Packets that reached the sockets although the kernel was forwarding their flow (element expired, race). */
  kernelMisses: number;
  /** RFC 3550 A.3: expected − received (negative with duplicates). */
  lost: number;
  expected: number;
  reordered: number;
  /** RFC 3550 A.8 interarrival jitter, timestamp units and milliseconds. */
  jitter: number;
  jitterMs: number;
  dtmfPackets: number;
  rtcpPackets: number;
  rtcpBytes: number;
  /** Packets dropped because they came from another source than the locked one. */
  strictDrops: number;
  malformed: number;
  /** ms since the last packet from this endpoint, null if none yet. */
  idleMs: number | null;
}

export interface LegStats {
  tag: string | null;
  onHold: boolean;
  streams: StreamStats[];
}

export interface CallStats {
  callId: string;
  createdAt: number;
  idleMs: number;
  legs: LegStats[];
}

/** The control API, in rtpengine's style; implemented in-process, over a socket and by a pool of nodes. */
export interface MediaController {
  delegate: MediaControllerDelegate | undefined;
  offer(callId: string, fromTag: string, sdp: string, opts?: MediaOptions): Promise<string>;
  answer(callId: string, toTag: string, sdp: string, opts?: MediaOptions): Promise<string>;
  delete(callId: string): Promise<boolean>;
  query(callId: string): Promise<CallStats>;
  list(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
