/** Base class of every error the media package throws; `code` is stable and travels over the control protocol. */
export class MediaError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The SDP could not be parsed; `line` is 1-based. */
export class SdpParseError extends MediaError {
  readonly line: number;
  constructor(message: string, line: number) {
    super("sdp-parse", line > 0 ? `SDP line ${line}: ${message}` : `SDP: ${message}`);
    this.line = line;
  }
}

export class UnknownCallError extends MediaError {
  constructor(callId: string) {
    super("unknown-call", `no media session for call ${callId}`);
  }
}

/** An answer arrived before any offer, or for a media line that was never offered. */
export class OfferAnswerError extends MediaError {
  constructor(message: string) {
    super("offer-answer", message);
  }
}

export class PortsExhaustedError extends MediaError {
  constructor(min: number, max: number) {
    super("ports-exhausted", `no free RTP port pair in ${min}-${max}`);
  }
}

/** The media node could not be reached (refused, timed out, connection lost): the pool marks it down. */
export class MediaNodeUnavailableError extends MediaError {
  constructor(message: string) {
    super("node-unavailable", message);
  }
}

/** A malformed control request or response. */
export class ControlProtocolError extends MediaError {
  constructor(message: string) {
    super("protocol", message);
  }
}

/** An error reported by a remote node, rebuilt on the client side with the node's code. */
export class RemoteMediaError extends MediaError {}
