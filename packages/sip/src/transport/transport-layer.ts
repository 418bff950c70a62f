import dgram from "node:dgram";
import dns from "node:dns";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import { Connection, type ConnectionOwner, connectionKey } from "./connection.js";
import { type FramingError, TransportError } from "./errors.js";
import { buildMinimalResponse } from "./minimal-response.js";
import { DEFAULT_MAX_MESSAGE_SIZE } from "./stream-framer.js";
import type {
  BoundAddress,
  InboundSource,
  ListenSpec,
  SendTarget,
  StreamTransport,
  TlsMaterial,
  TransportDelegate,
  TransportStats,
} from "./types.js";

export interface TlsClientOptions {
  /** Trusted CA certificates (PEM, bytes or a file path); default: Node's bundled roots. */
  readonly ca?: Buffer | string;
  /** Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Client certificate for mutual TLS with a carrier. */
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

export interface TransportOptions {
  /** Largest message accepted (headers + body), default 64 KiB. */
  readonly maxMessageSize?: number;
  /** Connections with no traffic either way for this long are closed, default 10 minutes. */
  readonly idleTimeoutMs?: number;
  /** How often the single idle sweep runs, default half the idle timeout capped at 30 s. */
  readonly sweepIntervalMs?: number;
  /** Open TCP/TLS connections (inbound + outbound) above which new inbound ones are refused. */
  readonly maxConnections?: number;
  /**
   * Inbound TCP/TLS connections one source address may hold open (TLS: counted from the TCP
   * accept, before the handshake). Default 64.
   */
  readonly maxConnectionsPerSource?: number;
  /** Asked for each inbound connection before anything else: false closes it at once (a banned source). */
  readonly admitConnection?: (address: string) => boolean;
  /** TLS listeners: lowest protocol version accepted. Default "TLSv1.2". */
  readonly tlsMinVersion?: "TLSv1.2" | "TLSv1.3";
  /** TLS listeners: OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are Node's defaults). */
  readonly tlsCiphers?: string;
  /** Outbound connect (and TLS handshake) timeout, default 5 s. */
  readonly connectTimeoutMs?: number;
  /** A connection whose unsent output exceeds this is a stuck reader: sends to it fail. Default 1 MiB. */
  readonly maxWriteBuffer?: number;
  /** How long `close()` and a framing-error close wait for the peer before destroying, default 1 s. */
  readonly closeGraceMs?: number;
  /** SO_RCVBUF / SO_SNDBUF for UDP sockets (bursts of REGISTERs after an outage need room). */
  readonly udpBufferSize?: number;
  readonly tlsClient?: TlsClientOptions;
  readonly logger?: Logger;
}

interface UdpEndpoint {
  readonly socket: dgram.Socket;
  readonly family: 4 | 6;
  address: string;
  port: number;
}

interface StreamListener {
  readonly server: net.Server;
  readonly transport: StreamTransport;
  readonly family: 4 | 6;
  /** Where it is bound, read once: `server.address()` is a getsockname() call, and every forwarded request asks. */
  readonly address: string;
  readonly port: number;
}

const PONG = Buffer.from("\r\n", "latin1");
const MAX_CONNECTION_ID = 0x7fffffff;

function newStats(): TransportStats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    streamMessagesIn: 0,
    streamMessagesOut: 0,
    framingErrors: 0,
    oversizeDrops: 0,
    keepalivePings: 0,
    sendFailures: 0,
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsOpened: 0,
    connectionsRejected: 0,
    connectionsIdleClosed: 0,
  };
}

/**
 * The socket family for an address: a colon is only ever in an IPv6 literal (a host name gets a
 * v4 socket, as `isIPv6` gave it). Asked for every datagram sent, where `net.isIPv6`'s regular
 * expression showed in the profile.
 */
function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

/**
 * The UDP sockets' name lookup: an IP literal (every response target and resolved request
 * target) is answered at once, so `send` goes out in the same call; `dns.lookup` answers even
 * a literal on the next tick, one `nextTick` and closure per datagram. Names still go to DNS.
 */
function literalLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, typeof options === "number" ? { family: options } : options, callback);
}

/** PEM given inline (bytes or text) or as a file path. */
function loadPem(value: Buffer | string): Buffer | string {
  if (typeof value !== "string" || value.includes("-----BEGIN")) return value;
  return readFileSync(value);
}

/** A datagram made only of CR/LF: a NAT keepalive some phones send over UDP. */
function isBlankDatagram(msg: Buffer): boolean {
  for (let i = 0; i < msg.length; i++) {
    const b = msg[i];
    if (b !== 0x0d && b !== 0x0a) return false;
  }
  return true;
}

/**
 * The SIP transport layer (RFC 3261 §18): UDP, TCP and TLS listeners on IPv4 and IPv6,
 * stream framing, connection reuse and the idle-connection policy. Every inbound message goes
 * to one delegate; nothing here parses SIP beyond what framing needs.
 */
export class TransportLayer implements ConnectionOwner {
  private readonly delegate: TransportDelegate;
  private readonly log: Logger | undefined;
  private readonly maxMessageSize: number;
  private readonly idleTimeoutMs: number;
  private readonly sweepIntervalMs: number;
  private readonly maxConnections: number;
  private readonly maxConnectionsPerSource: number;
  private readonly admitConnection: ((address: string) => boolean) | undefined;
  private readonly tlsMinVersion: "TLSv1.2" | "TLSv1.3";
  private readonly tlsCiphers: string | undefined;
  /** Inbound connections open per source address (bounded by the connections themselves). */
  private readonly perSource = new Map<string, number>();
  /** Sources refused for the per-source limit since they last went under it: one warning each. */
  private readonly atLimit = new Set<string>();
  private readonly connectTimeoutMs: number;
  private readonly maxWriteBuffer: number;
  private readonly closeGraceMs: number;
  private readonly tlsClient: tls.ConnectionOptions;
  private readonly udpBufferSize: number | undefined;
  private readonly counters: TransportStats = newStats();

  private readonly udp: UdpEndpoint[] = [];
  private readonly listeners: StreamListener[] = [];
  private readonly connections = new Map<number, Connection>();
  private readonly byAddress = new Map<string, Connection>();
  private nextConnectionId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(delegate: TransportDelegate, options: TransportOptions = {}) {
    this.delegate = delegate;
    this.log = options.logger;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60_000;
    this.sweepIntervalMs =
      options.sweepIntervalMs ?? Math.max(10, Math.min(30_000, Math.floor(this.idleTimeoutMs / 2)));
    this.maxConnections = options.maxConnections ?? 10_000;
    this.maxConnectionsPerSource = options.maxConnectionsPerSource ?? 64;
    this.admitConnection = options.admitConnection;
    this.tlsMinVersion = options.tlsMinVersion ?? "TLSv1.2";
    this.tlsCiphers = options.tlsCiphers;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.maxWriteBuffer = options.maxWriteBuffer ?? 1024 * 1024;
    this.closeGraceMs = options.closeGraceMs ?? 1_000;
    this.udpBufferSize = options.udpBufferSize;
    const c = options.tlsClient ?? {};
    this.tlsClient = {
      rejectUnauthorized: c.rejectUnauthorized ?? true,
      ...(c.ca !== undefined ? { ca: loadPem(c.ca) } : {}),
      ...(c.cert !== undefined ? { cert: loadPem(c.cert) } : {}),
      ...(c.key !== undefined ? { key: loadPem(c.key) } : {}),
    };
  }

  // ---------------------------------------------------------------- listening

  /** Opens every listener in order; rejects on the first that fails (those opened stay open). */
  async listen(specs: readonly ListenSpec[]): Promise<void> {
    if (this.closed) throw new TransportError("closed", "transport layer is closed");
    for (const spec of specs) {
      if (spec.transport === "UDP") await this.listenUdp(spec);
      else await this.listenStream(spec);
    }
    this.startSweep();
  }

  /** The addresses actually bound (ephemeral ports resolved). */
  addresses(): BoundAddress[] {
    const out: BoundAddress[] = [];
    for (const u of this.udp)
      out.push({ transport: "UDP", address: u.address, port: u.port, family: u.family });
    for (const l of this.listeners)
      out.push({ transport: l.transport, address: l.address, port: l.port, family: l.family });
    return out;
  }

  private listenUdp(spec: ListenSpec): Promise<void> {
    const family = familyOf(spec.address);
    const size = this.udpBufferSize;
    const socket = dgram.createSocket({
      type: family === 6 ? "udp6" : "udp4",
      ipv6Only: family === 6,
      lookup: literalLookup as NonNullable<dgram.SocketOptions["lookup"]>,
      ...(size !== undefined ? { recvBufferSize: size, sendBufferSize: size } : {}),
    });
    const endpoint: UdpEndpoint = { socket, family, address: spec.address, port: spec.port };
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(
          new TransportError("listen-failed", `UDP ${spec.address}:${spec.port}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      socket.once("error", onError);
      socket.bind({ address: spec.address, port: spec.port }, () => {
        socket.off("error", onError);
        const a = socket.address();
        endpoint.address = a.address;
        endpoint.port = a.port;
        socket.on("error", (err) => this.onUdpError(endpoint, err));
        socket.on("message", (msg, rinfo) => this.onDatagram(endpoint, msg, rinfo));
        this.udp.push(endpoint);
        resolve();
      });
    });
  }

  private listenStream(spec: ListenSpec): Promise<void> {
    const transport = spec.transport as StreamTransport;
    const family = familyOf(spec.address);
    let server: net.Server;
    if (transport === "TLS") {
      const material: TlsMaterial | undefined = spec.tls;
      if (material === undefined) {
        return Promise.reject(
          new TransportError("tls-material", `TLS ${spec.address}:${spec.port}: no cert/key`),
        );
      }
      const secure = tls.createServer({
        cert: loadPem(material.cert),
        key: loadPem(material.key),
        minVersion: this.tlsMinVersion,
        ...(this.tlsCiphers !== undefined && { ciphers: this.tlsCiphers }),
        handshakeTimeout: 10_000,
      });
      // Before the handshake: a banned or over-limit source costs no TLS work.
      secure.on("connection", (raw: net.Socket) => {
        if (!this.admitSocket(raw)) raw.destroy();
      });
      secure.on("secureConnection", (socket) => this.onAccept("TLS", socket));
      secure.on("tlsClientError", (err, socket) => {
        this.log?.debug({ err, remote: socket.remoteAddress }, "TLS handshake failed");
      });
      server = secure;
    } else {
      server = net.createServer({ noDelay: true }, (socket) => {
        if (this.admitSocket(socket)) this.onAccept("TCP", socket);
        else socket.destroy();
      });
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(
          new TransportError("listen-failed", `${transport} ${spec.address}:${spec.port}: ${err.message}`, {
            cause: err,
          }),
        );
      };
      server.once("error", onError);
      server.listen({ host: spec.address, port: spec.port, ipv6Only: family === 6 }, () => {
        server.off("error", onError);
        server.on("error", (err) => this.log?.error({ err, transport }, "listener error"));
        const a = server.address();
        const bound = a !== null && typeof a === "object" ? a : { address: spec.address, port: spec.port };
        this.listeners.push({ server, transport, family, address: bound.address, port: bound.port });
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- inbound

  private onDatagram(endpoint: UdpEndpoint, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const c = this.counters;
    c.datagramsIn++;
    c.bytesIn += msg.length;
    if (msg.length > this.maxMessageSize) {
      c.oversizeDrops++;
      this.log?.debug(
        { remote: rinfo.address, port: rinfo.port, size: msg.length },
        "oversize datagram dropped",
      );
      return;
    }
    if (isBlankDatagram(msg)) {
      c.keepalivePings++;
      return;
    }
    const source: InboundSource = {
      transport: "UDP",
      remoteAddress: rinfo.address,
      remotePort: rinfo.port,
      family: endpoint.family,
      localAddress: endpoint.address,
      localPort: endpoint.port,
    };
    this.deliver(msg, source);
  }

  private deliver(msg: Buffer, source: InboundSource): void {
    try {
      this.delegate.onMessage(msg, source);
    } catch (err) {
      this.log?.error({ err }, "message handler threw");
    }
  }

  private onUdpError(endpoint: UdpEndpoint, err: Error): void {
    // Send failures without a callback surface here (e.g. EHOSTUNREACH); the socket stays usable.
    this.counters.sendFailures++;
    this.log?.debug({ err, local: endpoint.address, port: endpoint.port }, "UDP socket error");
  }

  /**
   * The per-source gate for inbound connections: the admission hook (bans), then the
   * per-address limit. Counts the socket until it closes.
   */
  private admitSocket(socket: net.Socket): boolean {
    const address = socket.remoteAddress;
    if (address === undefined) return false;
    if (this.admitConnection !== undefined && !this.admitConnection(address)) {
      this.counters.connectionsRejected++;
      return false;
    }
    const open = this.perSource.get(address) ?? 0;
    if (open >= this.maxConnectionsPerSource) {
      this.counters.connectionsRejected++;
      if (!this.atLimit.has(address)) {
        this.atLimit.add(address);
        this.log?.warn(
          { event: "connection-limit", source: address, limit: this.maxConnectionsPerSource },
          "source holds too many connections: new ones refused",
        );
      }
      return false;
    }
    this.perSource.set(address, open + 1);
    socket.once("close", () => {
      const n = (this.perSource.get(address) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(address);
      else this.perSource.set(address, n);
      if (n < this.maxConnectionsPerSource) this.atLimit.delete(address);
    });
    return true;
  }

  private onAccept(transport: StreamTransport, socket: net.Socket): void {
    if (this.closed || this.connections.size >= this.maxConnections) {
      this.counters.connectionsRejected++;
      socket.destroy();
      return;
    }
    const remoteAddress = socket.remoteAddress;
    const remotePort = socket.remotePort;
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy(); // already gone
      return;
    }
    const conn = this.addConnection(transport, socket, true, remoteAddress, remotePort);
    conn.established();
    this.counters.connectionsAccepted++;
  }

  private addConnection(
    transport: StreamTransport,
    socket: net.Socket,
    inbound: boolean,
    remoteAddress: string,
    remotePort: number,
  ): Connection {
    const conn = new Connection(
      this,
      this.allocateId(),
      transport,
      socket,
      inbound,
      remoteAddress,
      remotePort,
      this.maxMessageSize,
      Date.now(),
    );
    this.connections.set(conn.id, conn);
    this.byAddress.set(conn.key, conn);
    this.counters.connectionsOpen++;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.counters.bytesIn += chunk.length;
      conn.lastActivity = Date.now();
      conn.framer.push(chunk);
    });
    socket.on("error", (err) => {
      this.log?.debug({ err, connectionId: conn.id, remote: remoteAddress }, "connection error");
      if (!conn.connected) this.failConnect(conn, err);
    });
    socket.on("close", () => this.onConnectionClosed(conn));
    return conn;
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextConnectionId;
      this.nextConnectionId = id >= MAX_CONNECTION_ID ? 1 : id + 1;
      if (!this.connections.has(id)) return id;
    }
  }

  onStreamMessage(conn: Connection, message: Buffer): void {
    this.counters.streamMessagesIn++;
    const source = conn.source;
    if (source !== undefined) this.deliver(message, source);
  }

  onStreamPing(conn: Connection): void {
    this.counters.keepalivePings++;
    this.write(conn, PONG, false);
  }

  onStreamFramingError(conn: Connection, error: FramingError): void {
    const c = this.counters;
    c.framingErrors++;
    if (error.fault === "too-large") c.oversizeDrops++;
    this.log?.debug(
      { connectionId: conn.id, remote: conn.remoteAddress, reason: error.reason },
      "framing error",
    );
    const reply =
      error.head !== undefined ? buildMinimalResponse(error.head, error.status, error.reason) : undefined;
    if (reply !== undefined) this.write(conn, reply, true);
    this.closeConnection(conn);
  }

  private onConnectionClosed(conn: Connection): void {
    conn.framer.destroy();
    if (!conn.connected)
      this.failConnect(conn, new TransportError("closed", "connection closed before it was up"));
    if (this.connections.get(conn.id) === conn) this.connections.delete(conn.id);
    if (this.byAddress.get(conn.key) === conn) this.byAddress.delete(conn.key);
    this.counters.connectionsOpen--;
  }

  /** Half-closes now (flushing what was written), destroys after the grace period. */
  private closeConnection(conn: Connection): void {
    if (conn.closing) return;
    conn.closing = true;
    conn.framer.destroy();
    if (this.byAddress.get(conn.key) === conn) this.byAddress.delete(conn.key);
    const socket = conn.socket;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), this.closeGraceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends one message. Returns true when it was handed to a socket, false when it could not be
   * (no socket for the family, dead or stuck connection), or, when a connection has to be
   * opened first, a promise of that outcome. Never throws and never rejects; failures are also
   * reported to `delegate.onSendError`.
   */
  send(data: Buffer, target: SendTarget): boolean | Promise<boolean> {
    if (this.closed)
      return this.sendFailed(new TransportError("closed", "transport layer is closed"), target);
    if (target.transport === "UDP") return this.sendUdp(data, target);
    return this.sendStream(data, target);
  }

  private sendUdp(data: Buffer, target: SendTarget): boolean {
    const endpoint = this.pickUdp(target);
    if (endpoint === undefined) {
      return this.sendFailed(
        new TransportError("no-socket", `no UDP socket for IPv${familyOf(target.address)}`),
        target,
      );
    }
    try {
      endpoint.socket.send(data, target.port, target.address);
    } catch (err) {
      return this.sendFailed(err as Error, target);
    }
    this.counters.datagramsOut++;
    this.counters.bytesOut += data.length;
    return true;
  }

  private pickUdp(target: SendTarget): UdpEndpoint | undefined {
    const family = familyOf(target.address);
    let fallback: UdpEndpoint | undefined;
    for (const u of this.udp) {
      if (u.family !== family) continue;
      if (
        target.localPort === undefined ||
        (u.port === target.localPort && u.address === target.localAddress)
      ) {
        return u;
      }
      fallback ??= u;
    }
    return fallback;
  }

  private sendStream(data: Buffer, target: SendTarget): boolean | Promise<boolean> {
    let conn: Connection | undefined;
    if (target.connectionId !== undefined) {
      conn = this.connections.get(target.connectionId);
      if (conn !== undefined && (conn.closing || conn.transport !== target.transport)) conn = undefined;
    }
    conn ??= this.byAddress.get(connectionKey(target.transport, target.address, target.port));
    if (conn !== undefined && !conn.closing) {
      if (conn.connected) return this.write(conn, data, false) || this.sendFailed(stuck(conn), target);
      conn.pending!.push(data);
      return conn.ready!;
    }
    return this.connect(data, target);
  }

  /** Writes on an established connection; false when it is dead or its reader is stuck. */
  private write(conn: Connection, data: Buffer, force: boolean): boolean {
    const socket = conn.socket;
    if (socket.destroyed || !socket.writable) return false;
    if (!force && socket.writableLength > this.maxWriteBuffer) return false;
    socket.write(data);
    conn.lastActivity = Date.now();
    this.counters.streamMessagesOut++;
    this.counters.bytesOut += data.length;
    return true;
  }

  private connect(data: Buffer, target: SendTarget): Promise<boolean> | boolean {
    if (this.connections.size >= this.maxConnections) {
      return this.sendFailed(new TransportError("too-many-connections", "connection limit reached"), target);
    }
    const transport = target.transport as StreamTransport;
    let socket: net.Socket;
    try {
      socket =
        transport === "TLS"
          ? tls.connect({
              ...this.tlsClient,
              host: target.address,
              port: target.port,
              ...(target.serverName !== undefined ? { servername: target.serverName } : {}),
            })
          : net.connect({ host: target.address, port: target.port });
    } catch (err) {
      return this.sendFailed(err as Error, target);
    }
    const conn = this.addConnection(transport, socket, false, target.address, target.port);
    this.counters.connectionsOpened++;
    conn.pending = [data];
    conn.ready = new Promise<boolean>((resolve) => {
      conn.settle = (ok) => {
        if (!ok) {
          this.counters.sendFailures += conn.pending?.length ?? 0;
        }
        resolve(ok);
      };
    });
    conn.failTarget = target;
    conn.connectTimer = setTimeout(() => {
      this.failConnect(
        conn,
        new TransportError("connect-timeout", `connect to ${target.address}:${target.port} timed out`),
      );
      socket.destroy();
    }, this.connectTimeoutMs);
    const onUp = () => {
      clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
      conn.established();
      const pending = conn.pending ?? [];
      conn.pending = undefined;
      for (const m of pending) this.write(conn, m, true);
      const settle = conn.settle;
      conn.settle = undefined;
      settle?.(true);
    };
    socket.once(transport === "TLS" ? "secureConnect" : "connect", onUp);
    this.startSweep();
    return conn.ready;
  }

  private failConnect(conn: Connection, err: Error): void {
    clearTimeout(conn.connectTimer);
    conn.connectTimer = undefined;
    const settle = conn.settle;
    if (settle === undefined) return;
    conn.settle = undefined;
    conn.closing = true;
    if (this.byAddress.get(conn.key) === conn) this.byAddress.delete(conn.key);
    const target = conn.failTarget;
    this.log?.debug({ err, remote: conn.remoteAddress, port: conn.remotePort }, "connect failed");
    if (target !== undefined) this.reportSendError(err, target);
    settle(false);
    conn.pending = undefined;
  }

  private sendFailed(err: Error, target: SendTarget): false {
    this.counters.sendFailures++;
    this.reportSendError(err, target);
    return false;
  }

  private reportSendError(err: Error, target: SendTarget): void {
    const handler = this.delegate.onSendError;
    if (handler === undefined) return;
    try {
      handler.call(this.delegate, err, target);
    } catch (e) {
      this.log?.error({ err: e }, "send error handler threw");
    }
  }

  // ---------------------------------------------------------------- housekeeping

  private startSweep(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), this.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Closes every connection idle for `idleTimeoutMs`. Runs from one periodic timer. */
  sweep(now: number): number {
    const limit = now - this.idleTimeoutMs;
    let n = 0;
    for (const conn of this.connections.values()) {
      if (conn.closing || !conn.connected || conn.lastActivity > limit) continue;
      this.log?.debug({ connectionId: conn.id, remote: conn.remoteAddress }, "closing idle connection");
      this.closeConnection(conn);
      n++;
    }
    this.counters.connectionsIdleClosed += n;
    return n;
  }

  /** A snapshot of the counters. */
  stats(): TransportStats {
    return { ...this.counters };
  }

  /** Whether a TCP/TLS connection id is open (not closing). */
  isConnectionOpen(id: number): boolean {
    const conn = this.connections.get(id);
    return conn !== undefined && !conn.closing;
  }

  /** Stops accepting, closes every socket (connections get `closeGraceMs` to finish), resolves when all are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const waits: Promise<unknown>[] = [];
    for (const l of this.listeners) {
      waits.push(new Promise<void>((resolve) => l.server.close(() => resolve())));
    }
    for (const conn of this.connections.values()) {
      if (conn.socket.destroyed) continue;
      waits.push(new Promise((resolve) => conn.socket.once("close", resolve)));
      if (!conn.connected) {
        conn.socket.destroy();
        continue;
      }
      this.closeConnection(conn);
    }
    for (const u of this.udp) waits.push(new Promise<void>((resolve) => u.socket.close(() => resolve())));
    this.udp.length = 0;
    this.listeners.length = 0;
    await Promise.all(waits);
  }
}

function stuck(conn: Connection): TransportError {
  return new TransportError("connection-unwritable", `connection ${conn.id} is closed or not draining`);
}
