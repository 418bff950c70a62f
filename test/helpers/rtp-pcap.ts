import { writeFileSync } from "node:fs";

// A capture of one G.711 (PCMU) RTP stream for SIPp's play_pcap_audio, written by the test so
// what the carrier sends is known to the packet: which sequence numbers are left out is the
// loss the relay must count (RFC 3550 A.3: expected − received).

const LINKTYPE_ETHERNET = 1;

export interface RtpCapture {
  /** Packets in the file. */
  readonly sent: number;
  /** Sequence numbers skipped between the first and the last packet. */
  readonly missing: number;
  /** How long SIPp takes to play it (the capture's own timestamps). */
  readonly durationMs: number;
}

/**
 * Writes a pcap of `count` sequence numbers (20 ms of PCMU each) from `firstSeq`, leaving out
 * those for which `lost(i)` is true (the stream's i-th packet, 0-based; the first and last are
 * always sent, so every gap is inside the stream). Addresses and ports in the file are
 * placeholders: SIPp rewrites them to its media address and the relay's port from the SDP.
 */
export function writeRtpCapture(
  path: string,
  opts: { count: number; firstSeq: number; ssrc: number; lost: (i: number) => boolean },
): RtpCapture {
  const records: Buffer[] = [];
  let sent = 0;
  for (let i = 0; i < opts.count; i++) {
    if (i !== 0 && i !== opts.count - 1 && opts.lost(i)) continue;
    sent++;
    records.push(record(i * 20_000, frame(opts.firstSeq + i, i * 160, opts.ssrc)));
  }
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, little-endian
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65_535, 16); // snap length
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  writeFileSync(path, Buffer.concat([header, ...records]));
  return { sent, missing: opts.count - sent, durationMs: (opts.count - 1) * 20 };
}

function record(atUs: number, data: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(Math.floor(atUs / 1_000_000), 0);
  h.writeUInt32LE(atUs % 1_000_000, 4);
  h.writeUInt32LE(data.length, 8);
  h.writeUInt32LE(data.length, 12);
  return Buffer.concat([h, data]);
}

/** Ethernet + IPv4 + UDP + RTP (PT 0, 160 bytes of PCMU silence). */
function frame(seq: number, timestamp: number, ssrc: number): Buffer {
  const rtp = Buffer.alloc(12 + 160, 0xff); // 0xff: μ-law silence
  rtp[0] = 0x80;
  rtp[1] = 0;
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(timestamp >>> 0, 4);
  rtp.writeUInt32BE(ssrc >>> 0, 8);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6000, 0);
  udp.writeUInt16BE(6000, 2);
  udp.writeUInt16BE(8 + rtp.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + rtp.length, 2);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  ip.set([127, 0, 0, 2], 12);
  ip.set([127, 0, 0, 1], 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, rtp]);
}

function ipChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
