/** Base of every billing error; `field` names the input at fault when there is one. */
export class BillingError extends Error {
  override name = "BillingError";
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The ledger key is missing, malformed, or verify-only where signing is needed. */
export class LedgerKeyError extends BillingError {
  override name = "LedgerKeyError";
}

/** A call record input is malformed (names the field). */
export class CdrInputError extends BillingError {
  override name = "CdrInputError";
}

/** A tariff book is malformed, or a call has no rate (names the key or the destination). */
export class TariffError extends BillingError {
  override name = "TariffError";
}

/** Purge refused: the chain does not verify, so removing records would destroy evidence. */
export class LedgerTamperedError extends BillingError {
  override name = "LedgerTamperedError";
}
