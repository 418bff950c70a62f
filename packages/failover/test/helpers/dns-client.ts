import { createSocket } from "node:dgram";
import { connect } from "node:net";
import * as dnsPacket from "dns-packet";

/** Sends one datagram to 127.0.0.1:port and resolves with the first reply (rejects after timeoutMs). */
export function udpExchange(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error("udp query timed out"));
    }, timeoutMs);
    s.once("message", (reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

/** Sends one length-prefixed message over TCP and resolves with the first reply. */
export function tcpExchange(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("tcp query timed out"));
    }, timeoutMs);
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      reject(new Error("tcp connection closed without a reply"));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    const framed = Buffer.alloc(2 + msg.length);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    sock.write(framed);
  });
}

export function query(
  name: string,
  type: dnsPacket.RecordType | "ANY",
  opts: { id?: number; edns?: number; flags?: number } = {},
): Buffer {
  const additionals: dnsPacket.Answer[] = [];
  if (opts.edns !== undefined) {
    additionals.push({
      type: "OPT",
      name: ".",
      udpPayloadSize: opts.edns,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
  }
  return dnsPacket.encode({
    type: "query",
    id: opts.id ?? 4242,
    flags: opts.flags ?? 0,
    questions: [{ name, type: type as dnsPacket.RecordType, class: "IN" }],
    additionals,
  });
}

/** The RCODE (low 4 bits) of a raw message. */
export function rcodeOf(msg: Buffer): number {
  return msg.readUInt16BE(2) & 0xf;
}

/** dns-packet's decoder (an independent implementation), with the rcode its typings leave out. */
export function decode(msg: Buffer): dnsPacket.DecodedPacket & { rcode: string } {
  return dnsPacket.decode(msg) as dnsPacket.DecodedPacket & { rcode: string };
}
