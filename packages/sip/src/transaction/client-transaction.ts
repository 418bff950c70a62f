import type { SipRequest, SipResponse } from "../message/types.js";
import { Transaction, type TransactionHost } from "./transaction.js";
import type {
  ClientTransactionDelegate,
  ClientTransactionLike,
  SendTarget,
  TransactionState,
} from "./types.js";

export abstract class ClientTransaction extends Transaction implements ClientTransactionLike {
  readonly kind = "client";

  constructor(
    host: TransactionHost,
    id: string,
    request: SipRequest,
    target: SendTarget,
    initial: TransactionState,
    readonly delegate: ClientTransactionDelegate,
  ) {
    super(host, id, request, target, initial);
  }

  /** Send the request and arm the timers. */
  abstract start(): void;

  /** A response matched to this transaction by the layer. */
  abstract receiveResponse(res: SipResponse): void;

  protected reportTransportError(err: unknown): void {
    this.delegate.onTransportError(this, err);
  }

  protected reportTerminated(): void {
    this.delegate.onTerminated?.(this);
  }
}
