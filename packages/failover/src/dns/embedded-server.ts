import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import { InvalidDnsConfigError } from "./errors.js";
import { type DnsLogger, silentLogger } from "./logger.js";
import { canonicalName } from "./names.js";
import type { FailoverDnsPublisher } from "./publisher.js";
import { QueryResponder } from "./query-responder.js";
import {
  type ActiveAddresses,
  activeOf,
  computeFailoverRecords,
  type FailoverRecord,
  type FailoverServiceConfig,
} from "./records.js";
import { type NameServerSpec, type SoaSettings, ZoneSnapshot } from "./zone.js";

export interface EmbeddedDnsServerOptions {
  /** The zone served with authority, e.g. `operator.example`. */
  zone: string;
  /** Listen address for UDP and TCP; default 127.0.0.1. */
  host?: string | undefined;
  /** Listen port for UDP and TCP; default 53. 0 picks a free port usable for both. */
  port?: number | undefined;
  soa?: SoaSettings | undefined;
  /** NS records at the apex (with glue when the name is in the zone); default `ns1.<zone>` without glue. */
  nameServers?: readonly NameServerSpec[] | undefined;
  /** Needed by `setActive`/`publishActive`: the nodes and service name to compute records from. */
  service?: FailoverServiceConfig | undefined;
  /** Initial record set (otherwise empty until `setRecords`/`setActive`). */
  records?: readonly FailoverRecord[] | undefined;
  /** SOA serial of the first snapshot; default the current Unix time. Every change adds one. */
  initialSerial?: number | undefined;
  tcpIdleTimeoutMs?: number | undefined;
  maxTcpConnections?: number | undefined;
  logger?: DnsLogger | undefined;
}

export interface DnsListenAddress {
  host: string;
  port: number;
}

const MAX_PORT_ATTEMPTS = 20;

/**
 * A small authoritative DNS server for the failover zone, over UDP and TCP. The zone is an immutable
 * snapshot replaced whole by `setRecords`/`setActive`, so every answer comes from one consistent serial.
 */
export class EmbeddedDnsServer implements FailoverDnsPublisher {
  private readonly zoneName: string;
  private readonly log: DnsLogger;
  private readonly responder = new QueryResponder();
  private current: ZoneSnapshot;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly options: EmbeddedDnsServerOptions) {
    this.zoneName = canonicalName(options.zone);
    this.log = options.logger ?? silentLogger;
    if (options.service !== undefined && canonicalName(options.service.zone) !== this.zoneName) {
      throw new InvalidDnsConfigError(`service zone must be ${this.zoneName}`, "service.zone");
    }
    const serial = (options.initialSerial ?? Math.floor(Date.now() / 1000)) >>> 0;
    this.current = this.build(serial, options.records ?? []);
  }

  private build(serial: number, records: readonly FailoverRecord[]): ZoneSnapshot {
    return new ZoneSnapshot(
      this.zoneName,
      serial,
      records,
      this.options.soa ?? {},
      this.options.nameServers ?? [{ name: `ns1.${this.zoneName}` }],
    );
  }

  /** The snapshot being served now. */
  get zone(): ZoneSnapshot {
    return this.current;
  }

  get serial(): number {
    return this.current.serial;
  }

  /** Replaces the whole record set and bumps the SOA serial; validation errors leave the old set in place. */
  setRecords(records: readonly FailoverRecord[]): void {
    const next = this.build((this.current.serial + 1) >>> 0, records);
    this.current = next;
    this.log.info({ zone: this.zoneName, serial: next.serial, records: records.length }, "dns zone updated");
  }

  /** Recomputes the failover records with `active` as the node the service name points at. */
  setActive(active: ActiveAddresses): void {
    const service = this.options.service;
    if (service === undefined) {
      throw new InvalidDnsConfigError("setActive needs the service option", "service");
    }
    this.setRecords(computeFailoverRecords({ ...service, active: activeOf(active) }));
  }

  async publishActive(node: ActiveAddresses): Promise<void> {
    this.setActive(node);
  }

  get address(): DnsListenAddress {
    return { host: this.options.host ?? "127.0.0.1", port: this.boundPort };
  }

  async start(): Promise<DnsListenAddress> {
    const host = this.options.host ?? "127.0.0.1";
    const wanted = this.options.port ?? 53;
    for (let attempt = 0; ; attempt++) {
      const udp = await bindUdp(host, wanted);
      const port = udp.address().port;
      try {
        this.tcp = await listenTcp(host, port, (s) => this.onConnection(s));
      } catch (err) {
        udp.close();
        const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (wanted === 0 && inUse && attempt < MAX_PORT_ATTEMPTS) continue;
        throw err;
      }
      this.udp = udp;
      this.boundPort = port;
      udp.on("message", (msg, rinfo) => this.onDatagram(msg, rinfo));
      udp.on("error", (err) => this.log.error({ err }, "dns udp socket error"));
      this.log.info({ host, port, zone: this.zoneName }, "embedded dns server listening");
      return { host, port };
    }
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const s of this.connections) s.destroy();
    this.connections.clear();
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp === undefined ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    let out: Buffer | undefined;
    try {
      out = this.responder.respond(msg, this.current, false);
    } catch (err) {
      // A bug must not take the server down; the client retries or times out.
      this.log.error({ err, from: rinfo.address }, "dns query handling failed");
      return;
    }
    if (out !== undefined) this.udp?.send(out, rinfo.port, rinfo.address);
  }

  private onConnection(socket: Socket): void {
    const max = this.options.maxTcpConnections ?? 128;
    if (this.connections.size >= max) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.setTimeout(this.options.tcpIdleTimeoutMs ?? 10_000);
    socket.on("timeout", () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.connections.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        let out: Buffer | undefined;
        try {
          out = this.responder.respond(msg, this.current, true);
        } catch (err) {
          this.log.error({ err, from: socket.remoteAddress }, "dns query handling failed");
        }
        if (out === undefined) {
          socket.destroy();
          return;
        }
        const framed = Buffer.allocUnsafe(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        socket.write(framed);
      }
    });
  }
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
    s.once("error", reject);
    s.bind(port, host, () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

function listenTcp(host: string, port: number, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
