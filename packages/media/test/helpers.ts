import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

/** A random 200-port range below the ephemeral range, so parallel test runs rarely collide. */
export function portRange(span = 200): { portMin: number; portMax: number } {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  return { portMin: base, portMax: base + span - 1 };
}

export interface SdpSpec {
  port: number;
  address?: string;
  version?: number;
  extraSession?: string[];
  media?: string[][];
  mediaLines?: string[];
}

/** An audio SDP as a desk phone would send it. */
export function phoneSdp(spec: SdpSpec): string {
  const address = spec.address ?? "127.0.0.1";
  const ip = address.includes(":") ? "IP6" : "IP4";
  const lines = [
    "v=0",
    `o=phone 1234 ${spec.version ?? 1} IN ${ip} ${address}`,
    "s=call",
    `c=IN ${ip} ${address}`,
    "t=0 0",
    ...(spec.extraSession ?? []),
    `m=audio ${spec.port} RTP/AVP 0 8 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    ...(spec.mediaLines ?? ["a=sendrecv"]),
  ];
  for (const m of spec.media ?? []) lines.push(...m);
  return `${lines.join("\r\n")}\r\n`;
}

export function mPorts(sdp: string): number[] {
  return sdp
    .split("\r\n")
    .filter((l) => l.startsWith("m="))
    .map((l) => Number(l.split(" ")[1]));
}

export function rtp(seq: number, ts: number, pt = 0, size = 172, ssrc = 0x1234): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** A minimal RTCP receiver report (8 bytes, PT 201). */
export function rtcpRr(ssrc = 0x1234): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

export interface Received {
  msg: Buffer;
  from: RemoteInfo;
}

/** A UDP endpoint on 127.0.0.1 that records what it receives. */
export class Endpoint {
  readonly socket: Socket;
  readonly received: Received[] = [];
  readonly address: string;
  port = 0;

  private constructor(socket: Socket, address: string) {
    this.socket = socket;
    this.address = address;
    socket.on("message", (msg, from) => this.received.push({ msg, from }));
  }

  /** A phone on `address` (loopback: "127.0.0.1" or "::1"), sending to the relay on the same. */
  static async open(port = 0, address = "127.0.0.1"): Promise<Endpoint> {
    const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => resolve());
    });
    const e = new Endpoint(socket, address);
    e.port = socket.address().port;
    return e;
  }

  send(msg: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(msg, port, this.address, (err) => (err ? reject(err) : resolve())),
    );
  }

  async waitFor(count: number, ms = 2000): Promise<void> {
    const end = Date.now() + ms;
    while (this.received.length < count && Date.now() < end) await sleep(5);
    if (this.received.length < count) throw new Error(`got ${this.received.length} packets, wanted ${count}`);
  }

  close(): void {
    this.socket.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
  return cond();
}
