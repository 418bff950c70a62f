import type { SipRequest, SipResponse } from "../message/types.js";
import type { TimerHandle } from "../timer/index.js";
import { ServerTransaction } from "./server-transaction.js";
import type { TransactionHost } from "./transaction.js";
import type { SendTarget } from "./types.js";

const TIMER_J = 1; // absorb request retransmissions in Completed, 64*T1 (0 if reliable)
const TIMER_GUARD = 2; // not in the RFC: a TU that never answers must not leak the transaction

/**
 * RFC 3261 §17.2.2 non-INVITE server transaction:
 *
 *   Trying ─1xx─► Proceeding ─200-699─► Completed ─J─► Terminated
 *
 * Retransmissions are dropped in Trying and answered with the latest response afterwards.
 * The RFC sets no timer before the final response; since the client gives up after 64*T1
 * (timer F), a transaction still unanswered after 128*T1 is terminated silently.
 */
export class NonInviteServerTransaction extends ServerTransaction {
  #j: TimerHandle | undefined;
  #guard: TimerHandle | undefined;

  constructor(host: TransactionHost, id: string, request: SipRequest, target: SendTarget) {
    super(host, id, request, target, "Trying");
  }

  override start(): void {
    this.#guard = this.schedule(128 * this.host.timers.t1, TIMER_GUARD);
  }

  receiveRequest(_req: SipRequest, _source: SendTarget): void {
    if (this.state === "Proceeding" || this.state === "Completed") this.resendLastResponse();
  }

  respond(res: SipResponse): boolean {
    this.checkStatus(res);
    const state = this.state;
    if (state !== "Trying" && state !== "Proceeding") return false;
    this.lastResponse = res;
    if (res.status < 200) {
      this.state = "Proceeding";
      return this.send(res);
    }
    this.state = "Completed";
    this.#guard = this.cancelTimer(this.#guard);
    if (!this.send(res)) return false;
    if (this.reliable) this.terminate();
    else {
      this.#j = this.schedule(64 * this.host.timers.t1, TIMER_J);
      this.compact();
    }
    return true;
  }

  onTimer(kind: number): void {
    if (kind === TIMER_GUARD) {
      this.#guard = undefined;
      this.host.logger?.warn(
        { callId: this.request.callId, method: this.request.method },
        "TU never answered",
      );
    } else this.#j = undefined;
    this.terminate();
  }

  protected clearTimers(): void {
    this.#j = this.cancelTimer(this.#j);
    this.#guard = this.cancelTimer(this.#guard);
  }
}
