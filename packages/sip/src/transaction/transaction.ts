import type { Logger } from "pino";
import { parseMessage } from "../message/index.js";
import type { SipMessage, SipRequest, SipResponse } from "../message/types.js";
import type { TimerHandle, TimerTarget, TimerWheel } from "../timer/index.js";
import type { SendTarget, TransactionState, TransactionTimers, TransactionTransport } from "./types.js";

/** What a transaction needs from the layer that owns it. */
export interface TransactionHost {
  readonly wheel: TimerWheel;
  readonly transport: TransactionTransport;
  readonly timers: Readonly<TransactionTimers>;
  readonly logger: Logger | undefined;
  /** Called once, when the transaction reaches Terminated: drop it from the matching maps. */
  removeTransaction(tx: Transaction): void;
  /** An ACK for a 2xx that an INVITE server transaction saw in Accepted state (RFC 6026): to the TU. */
  passAckUp(ack: SipRequest, source: SendTarget): void;
}

/**
 * Common plumbing of the four state machines: sending through the injected transport, timers on
 * the shared wheel (the transaction is its own `TimerTarget`), termination.
 */
export abstract class Transaction implements TimerTarget {
  abstract readonly kind: "client" | "server";
  state: TransactionState;
  readonly reliable: boolean;
  /**
   * The request and latest response, parsed; once the transaction only lingers to absorb
   * retransmissions (`compact()`), only their bytes are kept and a read parses them again.
   */
  #request: SipRequest | undefined;
  #requestBytes: Buffer | undefined = undefined;
  #lastResponse: SipResponse | undefined = undefined;
  #lastResponseBytes: Buffer | undefined = undefined;

  constructor(
    protected readonly host: TransactionHost,
    /** The matching key in the layer's map. */
    readonly id: string,
    request: SipRequest,
    readonly target: SendTarget,
    initial: TransactionState,
  ) {
    this.#request = request;
    this.state = initial;
    this.reliable = host.transport.isReliable(target.transport);
  }

  get request(): SipRequest {
    let req = this.#request;
    if (req === undefined) {
      req = parseMessage(this.#requestBytes as Buffer) as SipRequest;
      this.#request = req;
    }
    return req;
  }

  get lastResponse(): SipResponse | undefined {
    let res = this.#lastResponse;
    if (res === undefined && this.#lastResponseBytes !== undefined) {
      res = parseMessage(this.#lastResponseBytes) as SipResponse;
      this.#lastResponse = res;
    }
    return res;
  }

  set lastResponse(res: SipResponse | undefined) {
    this.#lastResponse = res;
    this.#lastResponseBytes = undefined;
  }

  /**
   * Keep only the bytes of the request and latest response: a transaction that has seen its
   * final response lives on for up to 64*T1 just to match and answer retransmissions, and the
   * parsed objects (decoded headers, Maps) are most of its weight. Retransmissions are rare and
   * re-parse what they send.
   */
  protected compact(): void {
    const req = this.#request;
    if (req !== undefined) {
      this.#requestBytes = req.toBuffer();
      this.#request = undefined;
    }
    const res = this.#lastResponse;
    if (res !== undefined) {
      this.#lastResponseBytes = res.toBuffer();
      this.#lastResponse = undefined;
    }
  }

  /** Send the latest response again (a retransmission) without keeping a parsed copy. */
  protected resendLastResponse(): boolean {
    const res = this.#lastResponse;
    if (res !== undefined) return this.send(res);
    const bytes = this.#lastResponseBytes;
    return bytes !== undefined && this.send(parseMessage(bytes));
  }

  protected get hasLastResponse(): boolean {
    return this.#lastResponse !== undefined || this.#lastResponseBytes !== undefined;
  }

  get terminated(): boolean {
    return this.state === "Terminated";
  }

  abstract onTimer(kind: number): void;

  /** Cancel every timer this transaction holds. */
  protected abstract clearTimers(): void;

  /** Tell the TU the transport failed; the transaction is already Terminated. */
  protected abstract reportTransportError(err: unknown): void;

  protected abstract reportTerminated(): void;

  protected schedule(delayMs: number, kind: number): TimerHandle {
    return this.host.wheel.schedule(delayMs, this, kind);
  }

  protected cancelTimer(h: TimerHandle | undefined): undefined {
    if (h !== undefined) this.host.wheel.cancel(h);
    return undefined;
  }

  /** Send; on a transport failure terminate and report it, returning false. */
  protected send(msg: SipMessage): boolean {
    try {
      this.host.transport.send(msg, this.target);
      return true;
    } catch (err) {
      this.host.logger?.warn({ err, callId: this.request.callId, tx: this.id }, "transaction send failed");
      this.terminate();
      this.reportTransportError(err);
      return false;
    }
  }

  /** Send outside the state machine (a stateless response): a transport failure is only logged. */
  protected sendStateless(msg: SipMessage): void {
    try {
      this.host.transport.send(msg, this.target);
    } catch (err) {
      this.host.logger?.debug({ err, callId: this.request.callId, tx: this.id }, "stateless send failed");
    }
  }

  /** Enter Terminated (idempotent): timers off, out of the layer's maps. */
  terminate(): void {
    if (this.state === "Terminated") return;
    this.state = "Terminated";
    this.clearTimers();
    this.host.removeTransaction(this);
    this.reportTerminated();
  }

  /** Terminate without telling the TU (layer shutdown). */
  dispose(): void {
    if (this.state === "Terminated") return;
    this.state = "Terminated";
    this.clearTimers();
    this.host.removeTransaction(this);
  }
}
