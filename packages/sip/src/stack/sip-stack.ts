import type { Logger } from "pino";
import { createErrorResponse, createResponse, parseMessage, SipParseError } from "../message/index.js";
import type { SipRequestImpl } from "../message/message.js";
import type { SipMessage, SipRequest, SipResponse } from "../message/types.js";
import type { TimerWheel } from "../timer/index.js";
import { TransactionLayer } from "../transaction/transaction-layer.js";
import type {
  TransactionTimers,
  TransactionTransport,
  TransactionUser,
  SendTarget as TxTarget,
} from "../transaction/types.js";
import { responseTarget } from "../transport/response-target.js";
import { TransportLayer } from "../transport/transport-layer.js";
import type {
  BoundAddress,
  InboundSource,
  LayerTransport,
  ListenSpec,
  SendTarget,
  TransportDelegate,
} from "../transport/types.js";
import { stampVia } from "./via-stamp.js";

/**
 * Defences keyed by source address, consulted before the expensive work (the server wires
 * `@centrex/guard`'s SourceGuard here). Every "false" is a silent drop: an attacker learns
 * nothing, and a banned source costs one Map lookup per packet.
 */
export interface InboundGuard {
  /** Every message, before parsing. */
  admit(address: string): boolean;
  /** A parsed request's User-Agent, before validation and transactions. */
  admitUserAgent(address: string, userAgent: string | undefined): boolean;
  /** A new inbound TCP/TLS connection. */
  admitConnection(address: string): boolean;
}

export interface SipStackOptions {
  readonly listen: readonly ListenSpec[];
  readonly maxMessageSize?: number;
  readonly idleTimeoutMs?: number;
  readonly guard?: InboundGuard;
  /** Inbound TCP/TLS connections per source address (default 64). */
  readonly maxConnectionsPerSource?: number;
  /** Live server transactions per source address; new requests beyond are dropped (default: no limit). */
  readonly maxTransactionsPerSource?: number;
  /** TLS listeners: lowest version (default TLSv1.2) and the TLS 1.2 cipher list. */
  readonly tlsMinVersion?: "TLSv1.2" | "TLSv1.3";
  readonly tlsCiphers?: string;
  readonly timers?: Partial<TransactionTimers>;
  readonly wheel?: TimerWheel;
  readonly logger?: Logger;
  /** Told of requests received and responses sent (metrics). */
  readonly observer?: SipTrafficObserver;
}

/**
 * Told of each request received (parsed and valid) and each response sent through a
 * transaction: the metrics' source. Called on the hot path: keep it cheap.
 */
export interface SipTrafficObserver {
  requestReceived(method: string): void;
  responseSent(method: string, status: number): void;
}

export interface SipStackStats {
  parseErrors: number;
  badRequestsAnswered: number;
  droppedResponses: number;
  rejectedWhileDraining: number;
  /** Messages dropped by the guard (banned or flooding sources, scanners). */
  guardDrops: number;
}

/**
 * Transport → parser → transaction layer, wired together: the usual way to run
 * the stack. Each layer stays usable alone; this class only owns the glue that
 * belongs to none of them — answering unparseable requests with a 400 naming
 * the fault, stamping `received`/`rport`, and draining on shutdown.
 */
export class SipStack implements TransportDelegate, TransactionTransport {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly logger: Logger | undefined;
  readonly counters: SipStackStats = {
    parseErrors: 0,
    badRequestsAnswered: 0,
    droppedResponses: 0,
    rejectedWhileDraining: 0,
    guardDrops: 0,
  };
  readonly #guard: InboundGuard | undefined;
  readonly #observer: SipTrafficObserver | undefined;
  readonly #listen: readonly ListenSpec[];
  #draining = false;
  readonly #sentBy = new Map<LayerTransport, { readonly host: string; readonly port: number }>();

  constructor(user: TransactionUser, opts: SipStackOptions) {
    this.logger = opts.logger;
    this.#listen = opts.listen;
    this.#guard = opts.guard;
    this.#observer = opts.observer;
    const guard = opts.guard;
    this.transport = new TransportLayer(this, {
      ...(guard !== undefined && { admitConnection: (address: string) => guard.admitConnection(address) }),
      ...(opts.maxConnectionsPerSource !== undefined && {
        maxConnectionsPerSource: opts.maxConnectionsPerSource,
      }),
      ...(opts.tlsMinVersion !== undefined && { tlsMinVersion: opts.tlsMinVersion }),
      ...(opts.tlsCiphers !== undefined && { tlsCiphers: opts.tlsCiphers }),
      ...(opts.maxMessageSize !== undefined && { maxMessageSize: opts.maxMessageSize }),
      ...(opts.idleTimeoutMs !== undefined && { idleTimeoutMs: opts.idleTimeoutMs }),
      ...(opts.logger !== undefined && { logger: opts.logger }),
    });
    this.transactions = new TransactionLayer(this, user, {
      ...(opts.timers !== undefined && { timers: opts.timers }),
      ...(opts.wheel !== undefined && { wheel: opts.wheel }),
      ...(opts.logger !== undefined && { logger: opts.logger }),
      ...(opts.maxTransactionsPerSource !== undefined && {
        maxServerTransactionsPerSource: opts.maxTransactionsPerSource,
      }),
    });
  }

  async start(): Promise<BoundAddress[]> {
    this.#sentBy.clear();
    await this.transport.listen(this.#listen);
    this.#sentBy.clear();
    return this.transport.addresses();
  }

  /** The addresses actually bound. */
  addresses(): BoundAddress[] {
    return this.transport.addresses();
  }

  /**
   * The packet source of a request received by this stack: the address a
   * phone behind NAT is really reachable at (the registrar stores it).
   */
  sourceOf(req: SipRequest): InboundSource | undefined {
    // Every request object is a SipRequestImpl; the field is set by this stack's onRequest.
    return (req as SipRequestImpl).receivedFrom as InboundSource | undefined;
  }

  /** The address and port to put in our Via / Record-Route for a transport. */
  sentBy(transport: LayerTransport): { readonly host: string; readonly port: number } | undefined {
    // Asked for every forwarded request's Via and Record-Route: the bound addresses do not move
    // while listening, so each transport's answer is worked out once (again after start()).
    let sb = this.#sentBy.get(transport);
    if (sb === undefined) {
      const a = this.transport.addresses().find((b) => b.transport === transport);
      if (a === undefined) return undefined;
      sb = Object.freeze({ host: a.family === 6 ? `[${a.address}]` : a.address, port: a.port });
      this.#sentBy.set(transport, sb);
    }
    return sb;
  }

  // ------------------------------------------------------------ inbound

  onMessage(data: Buffer, source: InboundSource): void {
    const guard = this.#guard;
    if (guard !== undefined && !guard.admit(source.remoteAddress)) {
      this.counters.guardDrops++;
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseMessage(data);
    } catch (err) {
      this.onParseError(data, source, err);
      return;
    }
    if (msg.kind === "request") this.onRequest(msg, source);
    else this.onResponse(msg, source);
  }

  private onResponse(res: SipResponse, source: InboundSource): void {
    try {
      this.transactions.receiveResponse(res, sourceTarget(source));
    } catch (err) {
      // Headers decode lazily: a response whose Via (or CSeq…) is malformed surfaces here.
      // It cannot be answered; it is dropped like any unparseable datagram.
      if (!(err instanceof SipParseError)) throw err;
      this.counters.parseErrors++;
      this.logger?.debug(
        { event: "parse-error", reason: err.reason, remote: `${source.remoteAddress}:${source.remotePort}` },
        "malformed SIP response dropped",
      );
    }
  }

  private onRequest(req: SipRequest, source: InboundSource): void {
    const guard = this.#guard;
    if (guard !== undefined && !guard.admitUserAgent(source.remoteAddress, userAgentOf(req))) {
      this.counters.guardDrops++;
      return;
    }
    let via: SipRequest["via"];
    try {
      // Headers are decoded lazily; a request we act on must be well-formed throughout (RFC 4475).
      req.validate();
      via = req.via;
      stampVia(req, source);
    } catch (err) {
      this.onParseError(req.toBuffer(), source, err);
      return;
    }
    const top = via[0];
    if (top === undefined) return; // the parser refuses requests without Via
    (req as SipRequestImpl).receivedFrom = source;
    this.#observer?.requestReceived(req.method);
    const target = responseTarget(top, source);
    if (
      this.#draining &&
      req.method !== "ACK" &&
      this.transactions.findServerTransaction(req) === undefined
    ) {
      // Shutting down: new work goes elsewhere; retransmissions of requests we own still match.
      this.counters.rejectedWhileDraining++;
      this.sendBuffer(shutdownResponse(req), target);
      return;
    }
    this.transactions.receiveRequest(req, target);
  }

  private onParseError(data: Buffer, source: InboundSource, err: unknown): void {
    if (!(err instanceof SipParseError)) {
      this.logger?.error({ err, remote: source.remoteAddress }, "unexpected error while parsing");
      return;
    }
    this.counters.parseErrors++;
    this.logger?.debug(
      { event: "parse-error", reason: err.reason, remote: `${source.remoteAddress}:${source.remotePort}` },
      "malformed SIP message",
    );
    if (!err.canRespond) return;
    const response = createErrorResponse(data, err);
    if (response === undefined) return;
    this.counters.badRequestsAnswered++;
    // Never to a Via host: straight back to where the packet came from.
    this.transport.send(response, sourceTarget(source));
  }

  onSendError(error: Error, target: SendTarget): void {
    this.logger?.debug({ err: error, target }, "send failed");
  }

  // ------------------------------------------------------------ outbound (TransactionTransport)

  send(msg: SipMessage, target: TxTarget): void {
    if (msg.kind === "response") this.#observer?.responseSent(msg.cseq.method, msg.status);
    this.sendBuffer(msg.toBuffer(), fromTxTarget(target));
  }

  /** Sends outside any transaction (stateless forwarding, ACK for 2xx, keepalives). */
  sendStateless(msg: SipMessage, target: TxTarget): void {
    this.send(msg, target);
  }

  isReliable(transport: string): boolean {
    return transport !== "UDP";
  }

  private sendBuffer(data: Buffer, target: SendTarget): void {
    const r = this.transport.send(data, target);
    if (typeof r === "object") r.catch(() => undefined); // reported through onSendError
  }

  // ------------------------------------------------------------ shutdown

  /**
   * Graceful stop: refuse new requests with 503, let transactions in progress
   * finish (up to `graceMs`), then close every socket.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.#draining = true;
    const deadline = Date.now() + graceMs;
    while (this.transactions.pendingCount > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    this.transactions.close();
    await this.transport.close();
    this.#sentBy.clear();
  }

  get draining(): boolean {
    return this.#draining;
  }
}

/** The User-Agent header, if it can be read at all (a malformed one is validation's business). */
function userAgentOf(req: SipRequest): string | undefined {
  try {
    return req.get("user-agent");
  } catch {
    return undefined;
  }
}

function sourceTarget(source: InboundSource): SendTarget {
  return {
    transport: source.transport,
    address: source.remoteAddress,
    port: source.remotePort,
    ...(source.connectionId !== undefined && { connectionId: source.connectionId }),
    localAddress: source.localAddress,
    localPort: source.localPort,
  };
}

/** Targets reaching the transaction layer all came from this class, so they carry a layer transport. */
function fromTxTarget(t: TxTarget): SendTarget {
  return t as SendTarget;
}

function shutdownResponse(req: SipRequest): Buffer {
  return createResponse(req, 503, "Service Unavailable - Shutting Down", {
    headers: [["Retry-After", "5"]],
  }).toBuffer();
}
