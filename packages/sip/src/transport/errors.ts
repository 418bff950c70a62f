/** Why a stream was cut: the status we answer with (when we can) and then close. */
export type FramingFault = "missing-content-length" | "bad-content-length" | "too-large";

/**
 * A byte stream that cannot be framed into SIP messages. Once raised, the stream is
 * unusable (we no longer know where the next message starts), so the connection is closed.
 */
export class FramingError extends Error {
  override readonly name = "FramingError";
  readonly fault: FramingFault;
  /** The SIP status to answer with: 400 or 513. */
  readonly status: number;
  readonly reason: string;
  /**
   * The header block of the offending message (start line up to, not including, the empty line)
   * when it was complete, so that a minimal error response can be built from it.
   */
  readonly head: Buffer | undefined;

  constructor(fault: FramingFault, status: number, reason: string, head?: Buffer) {
    super(`${status} ${reason}`);
    this.fault = fault;
    this.status = status;
    this.reason = reason;
    this.head = head;
  }
}

/** A transport-level failure: no socket for the family, connect timeout, connection refused... */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
