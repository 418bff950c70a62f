/** What a failed parse could still read: enough to answer a request with an error response. */
export interface PartialMessage {
  /** Header lines of the message, unfolded, as `[name, value]` in wire order (names as written). */
  readonly headers: readonly [string, string][];
  readonly method: string | undefined;
  readonly callId: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly cseq: string | undefined;
}

/**
 * A message (or one of its headers, decoded lazily) is malformed. `status` is the SIP status
 * code to answer with (400, 505...); `reason` names the fault and is fit for a reason phrase.
 */
export class SipParseError extends Error {
  override readonly name = "SipParseError";
  readonly status: number;
  readonly reason: string;
  /** False when the bytes were a response, or the start line was unreadable: drop silently. */
  canRespond: boolean;
  partial: PartialMessage | undefined;

  constructor(reason: string, status = 400, canRespond = true) {
    super(`${status} ${reason}`);
    this.status = status;
    this.reason = reason;
    this.canRespond = canRespond;
    this.partial = undefined;
  }
}

/** Shorthand used all over the decoders. */
export function badRequest(fault: string): SipParseError {
  return new SipParseError(`Bad Request - ${fault}`, 400);
}

/**
 * Re-label a decoding fault with the header it came from, so the reason phrase of the 400
 * names it ("Invalid Via header (Empty header parameter)").
 */
export function inHeader(display: string, err: unknown): unknown {
  if (!(err instanceof SipParseError) || err.status !== 400) return err;
  const detail = err.reason.startsWith("Bad Request - ") ? err.reason.slice(14) : err.reason;
  if (detail.includes(display)) return err;
  const labelled = new SipParseError(
    `Bad Request - Invalid ${display} header (${detail})`,
    400,
    err.canRespond,
  );
  return labelled;
}
