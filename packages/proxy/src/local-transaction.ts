import type {
  ServerTransactionDelegate,
  ServerTransactionLike,
  SipRequest,
  SipResponse,
  TransactionState,
  TransactionTarget,
} from "@centrex/sip";

/**
 * The server side of a request the switch wrote itself and passes through its own proxy (the
 * call it places for a transfer, the BYE it sends on a held call): nothing goes on the wire from
 * here, each response is handed to the switch's user-agent code instead.
 */
export class LocalServerTransaction implements ServerTransactionLike {
  readonly kind = "server";
  readonly reliable = true;
  readonly target: TransactionTarget = { transport: "UDP", address: "127.0.0.1", port: 0 };
  delegate: ServerTransactionDelegate | undefined;
  #state: TransactionState = "Proceeding";
  #last: SipResponse | undefined;
  static #next = 0;
  readonly id = `local-${++LocalServerTransaction.#next}`;

  constructor(
    readonly request: SipRequest,
    readonly onResponse: (res: SipResponse) => void,
  ) {}

  get state(): TransactionState {
    return this.#state;
  }

  get lastResponse(): SipResponse | undefined {
    return this.#last;
  }

  respond(res: SipResponse): void {
    if (this.#state === "Terminated") return;
    this.#last = res;
    if (res.status >= 200) this.#state = "Terminated";
    this.onResponse(res);
  }

  respondStateless(res: SipResponse): void {
    this.respond(res);
  }
}
