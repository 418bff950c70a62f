import type { SipRequest, SipResponse } from "../message/types.js";
import type { TimerHandle } from "../timer/index.js";
import { ClientTransaction } from "./client-transaction.js";
import { buildAck } from "./requests.js";
import type { TransactionHost } from "./transaction.js";
import type { ClientTransactionDelegate, SendTarget } from "./types.js";

const TIMER_A = 1; // request retransmission (unreliable only)
const TIMER_B = 2; // transaction timeout, 64*T1
const TIMER_D = 3; // wait for response retransmissions in Completed
const TIMER_M = 4; // RFC 6026 Accepted: absorb 2xx retransmissions for 64*T1

/**
 * RFC 3261 §17.1.1 INVITE client transaction, with the Accepted state of RFC 6026 §8.4 so that
 * 2xx retransmissions keep reaching the TU through the transaction:
 *
 *   Calling ─1xx─► Proceeding ─300-699─► Completed ─D─► Terminated
 *      │              │                   (ACK sent, re-sent on each retransmitted final)
 *      └──2xx─────────┴──► Accepted ─M─► Terminated
 *   Calling ─B (64*T1)─► Terminated (timeout to the TU)
 */
export class InviteClientTransaction extends ClientTransaction {
  #a: TimerHandle | undefined;
  #b: TimerHandle | undefined;
  #wait: TimerHandle | undefined;
  #interval = 0;
  #ack: SipRequest | undefined;
  /** A CANCEL asked for before any provisional: §9.1 says wait for one. */
  pendingCancel: (() => void) | undefined = undefined;

  constructor(
    host: TransactionHost,
    id: string,
    request: SipRequest,
    target: SendTarget,
    delegate: ClientTransactionDelegate,
  ) {
    super(host, id, request, target, "Calling", delegate);
  }

  /** The ACK this transaction generated for a non-2xx final response, if any. */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  start(): void {
    const t1 = this.host.timers.t1;
    this.#b = this.schedule(64 * t1, TIMER_B);
    if (!this.send(this.request)) return;
    if (!this.reliable) {
      this.#interval = t1;
      this.#a = this.schedule(t1, TIMER_A);
    }
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    const state = this.state;
    if (status < 200) {
      if (state === "Calling") {
        this.state = "Proceeding";
        this.#a = this.cancelTimer(this.#a);
        this.#b = this.cancelTimer(this.#b);
      } else if (state !== "Proceeding") return;
      this.lastResponse = res;
      this.delegate.onResponse(res, this);
      this.#flushCancel();
    } else if (status < 300) {
      if (state === "Calling" || state === "Proceeding") {
        this.state = "Accepted";
        this.#a = this.cancelTimer(this.#a);
        this.#b = this.cancelTimer(this.#b);
        this.pendingCancel = undefined;
        this.#wait = this.schedule(64 * this.host.timers.t1, TIMER_M);
      } else if (state !== "Accepted") return;
      this.lastResponse = res;
      this.delegate.onResponse(res, this);
      // Accepted only relays 2xx retransmissions to the TU for 64*T1: nothing left to read.
      if (this.state === "Accepted") this.compact();
    } else if (state === "Calling" || state === "Proceeding") {
      this.state = "Completed";
      this.#a = this.cancelTimer(this.#a);
      this.#b = this.cancelTimer(this.#b);
      this.pendingCancel = undefined;
      this.lastResponse = res;
      try {
        this.#ack = buildAck(this.request, res);
      } catch (err) {
        this.host.logger?.warn({ err, callId: this.request.callId }, "could not build ACK");
      }
      if (this.#ack !== undefined && !this.send(this.#ack)) return;
      this.delegate.onResponse(res, this);
      if (this.state !== "Completed") return; // the TU may have shut us down
      if (this.reliable) this.terminate();
      else {
        this.#wait = this.schedule(this.host.timers.timerD, TIMER_D);
        this.compact();
      }
    } else if (state === "Completed" && this.#ack !== undefined) {
      this.send(this.#ack); // retransmitted final: our ACK was lost
    }
  }

  onTimer(kind: number): void {
    switch (kind) {
      case TIMER_A:
        this.#a = undefined;
        if (this.state !== "Calling" || !this.send(this.request)) return;
        this.#interval *= 2; // INVITE: no T2 cap (§17.1.1.2)
        this.#a = this.schedule(this.#interval, TIMER_A);
        return;
      case TIMER_B:
        this.#b = undefined;
        if (this.state !== "Calling") return;
        this.terminate();
        this.delegate.onTimeout(this);
        return;
      default: // D, M
        this.#wait = undefined;
        this.terminate();
    }
  }

  protected clearTimers(): void {
    this.#a = this.cancelTimer(this.#a);
    this.#b = this.cancelTimer(this.#b);
    this.#wait = this.cancelTimer(this.#wait);
    this.pendingCancel = undefined;
  }

  #flushCancel(): void {
    const send = this.pendingCancel;
    if (send === undefined) return;
    this.pendingCancel = undefined;
    send();
  }
}
