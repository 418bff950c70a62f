import type { SipRequest, SipResponse } from "../message/types.js";
import { TransactionError } from "./errors.js";
import { Transaction } from "./transaction.js";
import type { SendTarget, ServerTransactionDelegate, ServerTransactionLike } from "./types.js";

export abstract class ServerTransaction extends Transaction implements ServerTransactionLike {
  readonly kind = "server";
  delegate: ServerTransactionDelegate | undefined = undefined;

  /** A request the layer matched to this transaction: a retransmission, or the ACK. */
  abstract receiveRequest(req: SipRequest, source: SendTarget): void;

  /** Send a response from the TU; returns false if the state machine discarded it. */
  abstract respond(res: SipResponse): boolean;

  /**
   * RFC 3261 §8.2.7: a final non-2xx response sent without a transaction. Nothing is kept: the
   * transaction leaves the layer's maps before the response goes out, so no Completed state, no
   * Timer G/H/J, and no parsed message lingers (see `ServerTransactionLike.respondStateless`).
   * Returns false when the state machine already answered.
   */
  respondStateless(res: SipResponse): boolean {
    this.checkStatus(res);
    if (res.status < 300)
      throw new TransactionError(`respondStateless: ${res.status} is not a final non-2xx`);
    if (this.state !== "Trying" && this.state !== "Proceeding") return false;
    this.terminate();
    this.sendStateless(res);
    return true;
  }

  /** Arm the timers the state machine starts with. */
  start(): void {}

  protected checkStatus(res: SipResponse): void {
    if (!(res.status >= 100 && res.status <= 699)) {
      throw new TransactionError(`respond: status ${res.status} out of range`);
    }
  }

  protected reportTransportError(err: unknown): void {
    this.delegate?.onTransportError?.(this, err);
  }

  protected reportTerminated(): void {
    this.delegate?.onTerminated?.(this);
  }
}
