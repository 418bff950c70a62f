import type { SipMessage, SipRequest, SipResponse } from "../message/types.js";

/** Where a message goes: shape-compatible with the transport layer's own target type. */
export interface SendTarget {
  transport: "UDP" | "TCP" | "TLS" | "WS" | "WSS" | string;
  address: string;
  port: number;
  /** Reuse this connection (responses go back on the connection the request came in on). */
  connectionId?: number;
}

/**
 * What transactions send through; they own no sockets. `send` may throw: the transaction
 * then reports a transport error to its TU (RFC 3261 §17.1.4 / §17.2.4).
 */
export interface TransactionTransport {
  send(msg: SipMessage, target: SendTarget): void;
  /** TCP, TLS, WS... are reliable; UDP is not (§17: no retransmissions, zero wait timers). */
  isReliable(transport: string): boolean;
}

export type TransactionState =
  | "Calling"
  | "Trying"
  | "Proceeding"
  | "Completed"
  | "Confirmed"
  | "Accepted"
  | "Terminated";

/** RFC 3261 timer values (ms), §17.1.1.1 and Table 4. */
export interface TransactionTimers {
  /** RTT estimate (default 500). */
  t1: number;
  /** Cap on non-INVITE request and INVITE response retransmission interval (default 4000). */
  t2: number;
  /** Time a message may linger in the network (default 5000). */
  t4: number;
  /** Timer D over unreliable transports: at least 32 s (default 32000). */
  timerD: number;
  /** An INVITE server transaction sends 100 Trying if its TU has not answered by then (default 200, §17.2.1); negative disables. */
  trying100Ms: number;
}

export const DEFAULT_TIMERS: Readonly<TransactionTimers> = Object.freeze({
  t1: 500,
  t2: 4000,
  t4: 5000,
  timerD: 32000,
  trying100Ms: 200,
});

/** The transaction user's side of a client transaction. */
export interface ClientTransactionDelegate {
  /** Every response the state machine passes up (provisionals, the final, 2xx retransmissions in Accepted). */
  onResponse(res: SipResponse, tx: ClientTransactionLike): void;
  /** Timer B / F: no final response within 64*T1. */
  onTimeout(tx: ClientTransactionLike): void;
  onTransportError(tx: ClientTransactionLike, err: unknown): void;
  onTerminated?(tx: ClientTransactionLike): void;
}

/** Optional notifications from a server transaction to its TU. */
export interface ServerTransactionDelegate {
  /** Timer H: no ACK for a non-2xx final response. */
  onTimeout?(tx: ServerTransactionLike): void;
  onTransportError?(tx: ServerTransactionLike, err: unknown): void;
  onTerminated?(tx: ServerTransactionLike): void;
}

/** The layer's user (the core: proxy, registrar, UA). */
export interface TransactionUser {
  /**
   * A request that is not a retransmission. `tx` is the new server transaction, undefined for an
   * ACK that matches none (ACK for 2xx, stray ACK) or the ACK of a 2xx seen in Accepted state.
   * `source` is where responses go (computed by the layer below, §18.2.2).
   */
  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: SendTarget): void;
  /**
   * Asked first for a new request (not an ACK): a final non-2xx response the TU gives at once,
   * without state (RFC 3261 §8.2.7) — e.g. the 401 to a REGISTER that carries no credentials,
   * half of all REGISTERs. It is sent and no server transaction is made: a retransmission is
   * asked again and must get the same bytes. Undefined: the request goes on to `onRequest`.
   */
  answerStatelessly?(req: SipRequest, source: SendTarget): SipResponse | undefined;
  /** A response matching no client transaction (e.g. 2xx retransmissions once the INVITE tx is gone). */
  onStrayResponse(res: SipResponse, source: SendTarget | undefined): void;
}

/** What every transaction exposes. */
export interface TransactionLike {
  readonly id: string;
  readonly request: SipRequest;
  readonly state: TransactionState;
  readonly target: SendTarget;
  readonly reliable: boolean;
}

export interface ClientTransactionLike extends TransactionLike {
  readonly kind: "client";
  readonly lastResponse: SipResponse | undefined;
}

export interface ServerTransactionLike extends TransactionLike {
  readonly kind: "server";
  readonly lastResponse: SipResponse | undefined;
  delegate: ServerTransactionDelegate | undefined;
  respond(res: SipResponse): void;
  /**
   * Send a final non-2xx response statelessly (RFC 3261 §8.2.7) and forget the transaction at
   * once: a retransmission of the request is then handled as a new request and answered again
   * (a digest challenge is stateless anyway: the nonce carries its own state), and the ACK of an
   * INVITE's response is recognised by the To tag of the response (`isAckOfLocalResponse`).
   * What a registrar and proxy do for 401/407, as Kamailio's `sl` does.
   */
  respondStateless(res: SipResponse): void;
}
