/** Everything this package throws is a `TrunkError`; SIP-facing ones carry the status to answer with. */
export class TrunkError extends Error {
  override readonly name: string = "TrunkError";
  constructor(
    message: string,
    /** The SIP status a caller should get when this error ends a call. */
    readonly status = 500,
  ) {
    super(message);
  }
}

/** No carrier is configured, live and routed for the destination. */
export class NoCarrierError extends TrunkError {
  override readonly name = "NoCarrierError";
  constructor(readonly destination: string) {
    super(`no live carrier routes ${destination}`, 503);
  }
}

/** A carrier's host name resolved to nothing usable (RFC 3263 §4: the request fails with 503). */
export class CarrierResolutionError extends TrunkError {
  override readonly name = "CarrierResolutionError";
  constructor(
    readonly host: string,
    override readonly cause?: unknown,
  ) {
    super(`carrier host ${host} did not resolve`, 503);
  }
}

/** A challenge we cannot answer: unknown scheme or algorithm, or no credentials for the carrier. */
export class ChallengeError extends TrunkError {
  override readonly name = "ChallengeError";
  constructor(message: string) {
    super(message, 503);
  }
}
