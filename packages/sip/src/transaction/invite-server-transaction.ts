import { createResponse } from "../message/index.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import type { TimerHandle } from "../timer/index.js";
import { ServerTransaction } from "./server-transaction.js";
import type { TransactionHost } from "./transaction.js";
import type { SendTarget } from "./types.js";

const TIMER_G = 1; // final response retransmission (unreliable only)
const TIMER_H = 2; // wait for ACK, 64*T1
const TIMER_I = 3; // absorb ACK retransmissions in Confirmed, T4
const TIMER_L = 4; // RFC 6026 Accepted: absorb INVITE retransmissions for 64*T1
const TIMER_TRYING = 5; // send 100 Trying if the TU is slow (§17.2.1)

/**
 * RFC 3261 §17.2.1 INVITE server transaction, with RFC 6026's Accepted state:
 *
 *   Proceeding ─300-699─► Completed ─ACK─► Confirmed ─I─► Terminated
 *        │                    └─H (no ACK)─► Terminated (timeout to the TU)
 *        └──2xx──► Accepted ─L─► Terminated
 *
 * In Accepted, INVITE retransmissions are absorbed (without it they would start a second call),
 * 2xx retransmissions from the TU are sent, and the ACK is passed up to the TU.
 */
export class InviteServerTransaction extends ServerTransaction {
  #g: TimerHandle | undefined;
  #h: TimerHandle | undefined;
  #wait: TimerHandle | undefined;
  #trying: TimerHandle | undefined;
  #interval = 0;

  constructor(host: TransactionHost, id: string, request: SipRequest, target: SendTarget) {
    super(host, id, request, target, "Proceeding");
  }

  override start(): void {
    const delay = this.host.timers.trying100Ms;
    if (delay === 0) this.#sendTrying();
    else if (delay > 0) this.#trying = this.schedule(delay, TIMER_TRYING);
  }

  receiveRequest(req: SipRequest, source: SendTarget): void {
    const state = this.state;
    if (req.method === "ACK") {
      if (state === "Completed") {
        this.state = "Confirmed";
        this.#g = this.cancelTimer(this.#g);
        this.#h = this.cancelTimer(this.#h);
        if (this.reliable) this.terminate();
        else this.#wait = this.schedule(this.host.timers.t4, TIMER_I);
      } else if (state === "Accepted") {
        this.host.passAckUp(req, source);
      }
      return; // Confirmed absorbs ACK retransmissions
    }
    // A retransmitted INVITE: repeat the latest response, except in Accepted (TU's business).
    if (state === "Proceeding" || state === "Completed") this.resendLastResponse();
  }

  respond(res: SipResponse): boolean {
    this.checkStatus(res);
    const status = res.status;
    const state = this.state;
    if (state === "Accepted") {
      // TU-driven 2xx retransmissions (RFC 6026 §8.7); nothing else is allowed any more.
      return status >= 200 && status < 300 && this.send(res);
    }
    if (state !== "Proceeding") return false;
    this.#trying = this.cancelTimer(this.#trying);
    this.lastResponse = res;
    if (status < 200) return this.send(res);
    if (status < 300) {
      this.state = "Accepted";
      if (!this.send(res)) return false;
      if (this.state === "Accepted") {
        this.#wait = this.schedule(64 * this.host.timers.t1, TIMER_L);
        this.compact();
      }
      return true;
    }
    this.state = "Completed";
    if (!this.send(res)) return false;
    const t1 = this.host.timers.t1;
    if (!this.reliable) {
      this.#interval = t1;
      this.#g = this.schedule(t1, TIMER_G);
    }
    this.#h = this.schedule(64 * t1, TIMER_H);
    this.compact();
    return true;
  }

  onTimer(kind: number): void {
    switch (kind) {
      case TIMER_TRYING:
        this.#trying = undefined;
        if (this.state === "Proceeding" && !this.hasLastResponse) this.#sendTrying();
        return;
      case TIMER_G:
        this.#g = undefined;
        if (this.state !== "Completed" || !this.resendLastResponse()) return;
        this.#interval = Math.min(2 * this.#interval, this.host.timers.t2);
        this.#g = this.schedule(this.#interval, TIMER_G);
        return;
      case TIMER_H:
        this.#h = undefined;
        if (this.state !== "Completed") return;
        this.terminate();
        this.delegate?.onTimeout?.(this);
        return;
      default: // I, L
        this.#wait = undefined;
        this.terminate();
    }
  }

  protected clearTimers(): void {
    this.#g = this.cancelTimer(this.#g);
    this.#h = this.cancelTimer(this.#h);
    this.#wait = this.cancelTimer(this.#wait);
    this.#trying = this.cancelTimer(this.#trying);
  }

  #sendTrying(): void {
    let trying: SipResponse;
    try {
      // §8.2.6.1: a 100 echoes the request's Timestamp, so the client can measure the RTT.
      const ts = this.request.get("timestamp");
      trying = createResponse(
        this.request,
        100,
        "Trying",
        ts === undefined ? undefined : { headers: [["Timestamp", ts]] },
      );
    } catch (err) {
      this.host.logger?.warn({ err, callId: this.request.callId }, "could not build 100 Trying");
      return;
    }
    this.lastResponse = trying;
    this.send(trying);
  }
}
