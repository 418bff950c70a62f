import type { SipRequest, SipResponse } from "../message/types.js";
import type { TimerHandle } from "../timer/index.js";
import { ClientTransaction } from "./client-transaction.js";
import type { TransactionHost } from "./transaction.js";
import type { ClientTransactionDelegate, SendTarget } from "./types.js";

const TIMER_E = 1; // request retransmission (unreliable only)
const TIMER_F = 2; // transaction timeout, 64*T1
const TIMER_K = 3; // wait for response retransmissions in Completed, T4

/**
 * RFC 3261 §17.1.2 non-INVITE client transaction:
 *
 *   Trying ─1xx─► Proceeding ─200-699─► Completed ─K (T4; 0 if reliable)─► Terminated
 *   Trying/Proceeding ─F (64*T1)─► Terminated (timeout to the TU)
 *
 * Timer E doubles from T1 up to T2 in Trying and stays at T2 in Proceeding.
 */
export class NonInviteClientTransaction extends ClientTransaction {
  #e: TimerHandle | undefined;
  #f: TimerHandle | undefined;
  #k: TimerHandle | undefined;
  #interval = 0;

  constructor(
    host: TransactionHost,
    id: string,
    request: SipRequest,
    target: SendTarget,
    delegate: ClientTransactionDelegate,
  ) {
    super(host, id, request, target, "Trying", delegate);
  }

  start(): void {
    const t1 = this.host.timers.t1;
    this.#f = this.schedule(64 * t1, TIMER_F);
    if (!this.send(this.request)) return;
    if (!this.reliable) {
      this.#interval = t1;
      this.#e = this.schedule(t1, TIMER_E);
    }
  }

  receiveResponse(res: SipResponse): void {
    const state = this.state;
    if (state !== "Trying" && state !== "Proceeding") return; // Completed absorbs retransmissions
    this.lastResponse = res;
    if (res.status < 200) {
      this.state = "Proceeding";
      this.delegate.onResponse(res, this);
      return;
    }
    this.state = "Completed";
    this.#e = this.cancelTimer(this.#e);
    this.#f = this.cancelTimer(this.#f);
    this.delegate.onResponse(res, this);
    if (this.state !== "Completed") return;
    if (this.reliable) this.terminate();
    else {
      this.#k = this.schedule(this.host.timers.t4, TIMER_K);
      this.compact();
    }
  }

  onTimer(kind: number): void {
    switch (kind) {
      case TIMER_E: {
        this.#e = undefined;
        const state = this.state;
        if ((state !== "Trying" && state !== "Proceeding") || !this.send(this.request)) return;
        const t2 = this.host.timers.t2;
        this.#interval = state === "Trying" ? Math.min(2 * this.#interval, t2) : t2;
        this.#e = this.schedule(this.#interval, TIMER_E);
        return;
      }
      case TIMER_F:
        this.#f = undefined;
        if (this.state !== "Trying" && this.state !== "Proceeding") return;
        this.terminate();
        this.delegate.onTimeout(this);
        return;
      default: // K
        this.#k = undefined;
        this.terminate();
    }
  }

  protected clearTimers(): void {
    this.#e = this.cancelTimer(this.#e);
    this.#f = this.cancelTimer(this.#f);
    this.#k = this.cancelTimer(this.#k);
  }
}
