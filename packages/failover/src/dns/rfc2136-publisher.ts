import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { DnsProtocolError, DnsTimeoutError, InvalidDnsConfigError, updateErrorFor } from "./errors.js";
import { type DnsLogger, silentLogger } from "./logger.js";
import { canonicalName, isInZone } from "./names.js";
import type { FailoverDnsPublisher } from "./publisher.js";
import {
  type ActiveAddresses,
  activeOf,
  computeFailoverRecords,
  type FailoverRecord,
  type FailoverServiceConfig,
  type ManagedRrset,
  managedRrsets,
} from "./records.js";
import { findTsig, signMessage, type TsigKey, verifyResponse } from "./tsig.js";
import { CLASS, OPCODE, TYPE, WireWriter } from "./wire.js";
import { typeCode, writeRecord } from "./zone-records.js";

export interface Rfc2136PublisherOptions {
  /** The operator's primary authoritative server (accepts UPDATE). */
  server: { host: string; port?: number | undefined };
  /** The zone to update (the UPDATE's zone section). */
  zone: string;
  key: TsigKey;
  /** Needed by `publishActive`: nodes and service name to compute the record set from. */
  service?: FailoverServiceConfig | undefined;
  /** Per-attempt timeout; default 2000 ms. */
  timeoutMs?: number | undefined;
  /** UDP retransmissions after the first try; default 2. */
  retries?: number | undefined;
  /** "auto" (default): UDP when the message fits 512 bytes, TCP otherwise or when the reply is truncated. */
  transport?: "auto" | "udp" | "tcp" | undefined;
  logger?: DnsLogger | undefined;
}

const CLASSIC_UDP_LIMIT = 512;

/**
 * Publishes the failover records to an existing authoritative server with RFC 2136 UPDATE messages signed
 * with TSIG (RFC 8945). Each publish is one message, which the server applies atomically: for every
 * managed RRset "delete the RRset" then "add" the new records, with no prerequisites, so it converges
 * whatever the server held before.
 */
export class Rfc2136Publisher implements FailoverDnsPublisher {
  private readonly zone: string;
  private readonly log: DnsLogger;

  constructor(private readonly options: Rfc2136PublisherOptions) {
    this.zone = canonicalName(options.zone);
    this.log = options.logger ?? silentLogger;
    if (options.service !== undefined && canonicalName(options.service.zone) !== this.zone) {
      throw new InvalidDnsConfigError(`service zone must be ${this.zone}`, "service.zone");
    }
  }

  async publishActive(node: ActiveAddresses): Promise<void> {
    const service = this.options.service;
    if (service === undefined) {
      throw new InvalidDnsConfigError("publishActive needs the service option", "service");
    }
    await this.publish(
      computeFailoverRecords({ ...service, active: activeOf(node) }),
      managedRrsets(service),
    );
  }

  /**
   * Replaces RRsets on the server: `replace` lists the RRsets to delete first (default: those of
   * `records`). Resolves when the server answered NOERROR with a valid TSIG.
   */
  async publish(records: readonly FailoverRecord[], replace?: readonly ManagedRrset[]): Promise<void> {
    await this.exchange(this.buildUpdate(records, replace ?? rrsetsOf(records)));
    this.log.info({ zone: this.zone, records: records.length }, "dns update accepted");
  }

  /**
   * Checks the key without changing the zone: an UPDATE whose only content is the prerequisite
   * "the zone's apex name is in use" (RFC 2136 §2.4.4), always true, and no update RRs. The
   * server checks the TSIG and its update policy before the prerequisite, so a key it does not
   * know or a signature it cannot verify comes back NOTAUTH, a key it may not use REFUSED —
   * the same answers a real update would get at takeover. Serial and records stay as they were.
   */
  async checkKey(): Promise<void> {
    const w = new WireWriter(256);
    w.u16(randomInt(0, 0x10000));
    w.u16(OPCODE.UPDATE << 11);
    w.u16(1); // ZOCOUNT
    w.u16(1); // PRCOUNT: "name is in use"
    w.u16(0); // UPCOUNT: nothing to change
    w.u16(0);
    w.name(this.zone, true);
    w.u16(TYPE.SOA);
    w.u16(CLASS.IN);
    w.name(this.zone, true);
    w.u16(TYPE.ANY);
    w.u16(CLASS.ANY);
    w.u32(0);
    w.u16(0);
    await this.exchange(w.toBuffer());
    this.log.info({ zone: this.zone }, "dns update key accepted");
  }

  /** Signs, sends (UDP, or TCP when large or truncated), and checks the reply: NOERROR with a valid TSIG. */
  private async exchange(message: Buffer): Promise<void> {
    const { message: signed, mac } = signMessage(message, this.options.key);
    const id = signed.readUInt16BE(0);
    const transport = this.options.transport ?? "auto";
    let reply: Buffer;
    if (transport === "tcp" || (transport === "auto" && signed.length > CLASSIC_UDP_LIMIT)) {
      reply = await this.exchangeTcp(signed);
    } else {
      reply = await this.exchangeUdp(signed, id);
      if ((reply.readUInt16BE(2) & 0x0200) !== 0 && transport === "auto")
        reply = await this.exchangeTcp(signed);
    }
    this.check(reply, id, mac);
  }

  /** The unsigned UPDATE message (exposed for tests and diagnostics). */
  buildUpdate(records: readonly FailoverRecord[], replace: readonly ManagedRrset[]): Buffer {
    for (const r of records) this.checkName(r.name);
    for (const r of replace) this.checkName(r.name);
    const w = new WireWriter(1024);
    w.u16(randomInt(0, 0x10000));
    w.u16(OPCODE.UPDATE << 11);
    w.u16(1); // ZOCOUNT
    w.u16(0); // PRCOUNT: none, the update must apply whatever the current content
    w.u16(replace.length + records.length);
    w.u16(0);
    w.name(this.zone, true);
    w.u16(TYPE.SOA);
    w.u16(CLASS.IN);
    for (const r of replace) {
      // RFC 2136 §2.5.2 "Delete an RRset": CLASS ANY, TTL 0, RDLENGTH 0.
      w.name(canonicalName(r.name), true);
      w.u16(typeCode(r.type));
      w.u16(CLASS.ANY);
      w.u32(0);
      w.u16(0);
    }
    for (const r of records) writeRecord(w, { ...r, name: canonicalName(r.name) } as FailoverRecord);
    return w.toBuffer();
  }

  private checkName(name: string): void {
    if (!isInZone(canonicalName(name), this.zone)) {
      throw new InvalidDnsConfigError(`${name} is not inside zone ${this.zone}`, "records");
    }
  }

  private check(reply: Buffer, id: number, requestMac: Buffer): void {
    if (reply.length < 12) throw new DnsProtocolError("reply shorter than a DNS header");
    const flags = reply.readUInt16BE(2);
    if (reply.readUInt16BE(0) !== id || (flags & 0x8000) === 0)
      throw new DnsProtocolError("reply does not match");
    if (((flags >> 11) & 0xf) !== OPCODE.UPDATE) throw new DnsProtocolError("reply opcode is not UPDATE");
    const rcode = flags & 0xf;
    const tsig = findTsig(reply);
    if (rcode !== 0) {
      // A refused key or signature comes back unsigned (RFC 8945 §5.3.2): report the rcode either way.
      this.log.warn({ zone: this.zone, rcode, tsigError: tsig?.error ?? 0 }, "dns update rejected");
      throw updateErrorFor(rcode, tsig?.error ?? 0);
    }
    verifyResponse(reply, tsig, this.options.key, requestMac);
  }

  private exchangeUdp(msg: Buffer, id: number): Promise<Buffer> {
    const { host } = this.options.server;
    const port = this.options.server.port ?? 53;
    const timeoutMs = this.options.timeoutMs ?? 2000;
    const attempts = 1 + (this.options.retries ?? 2);
    return new Promise((resolve, reject) => {
      const sock = createSocket(isIPv6(host) ? "udp6" : "udp4");
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, reply?: Buffer): void => {
        clearTimeout(timer);
        sock.close();
        if (err !== undefined) reject(err);
        else resolve(reply!);
      };
      const send = (): void => {
        if (tries++ >= attempts) {
          finish(new DnsTimeoutError(`no answer from ${host}:${port} after ${attempts} UDP attempts`));
          return;
        }
        sock.send(msg);
        timer = setTimeout(send, timeoutMs);
      };
      sock.on("error", (err) => finish(err));
      sock.on("message", (reply, rinfo) => {
        // Ignore strays: only the server we asked, with our ID, ends the exchange.
        if (rinfo.port !== port || reply.length < 2 || reply.readUInt16BE(0) !== id) return;
        finish(undefined, reply);
      });
      sock.connect(port, host, () => send());
    });
  }

  private exchangeTcp(msg: Buffer): Promise<Buffer> {
    const { host } = this.options.server;
    const port = this.options.server.port ?? 53;
    const timeoutMs = this.options.timeoutMs ?? 2000;
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | undefined, reply?: Buffer): void => {
        if (done) return;
        done = true;
        sock.destroy();
        if (err !== undefined) reject(err);
        else resolve(reply!);
      };
      sock.setTimeout(timeoutMs, () => finish(new DnsTimeoutError(`no TCP answer from ${host}:${port}`)));
      sock.on("error", (err) => finish(err));
      sock.on("close", () => finish(new DnsProtocolError("connection closed before a full reply")));
      sock.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          finish(undefined, Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        }
      });
      const framed = Buffer.allocUnsafe(2 + msg.length);
      framed.writeUInt16BE(msg.length, 0);
      msg.copy(framed, 2);
      sock.write(framed);
    });
  }
}

function rrsetsOf(records: readonly FailoverRecord[]): ManagedRrset[] {
  const seen = new Set<string>();
  const out: ManagedRrset[] = [];
  for (const r of records) {
    const key = `${canonicalName(r.name)}/${r.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: canonicalName(r.name), type: r.type });
  }
  return out;
}
