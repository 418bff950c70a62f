/** Misuse of the transaction layer by its user (a programming error, not bad input from the network). */
export class TransactionError extends Error {
  override readonly name = "TransactionError";
  /** The SIP status a request that provoked this would deserve (500: our fault). */
  readonly status: number;

  constructor(message: string, status = 500) {
    super(message);
    this.status = status;
  }
}
