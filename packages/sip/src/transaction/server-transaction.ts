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
