/** Base class of the errors raised by replication between the primary and the standby. */
export class ReplicationError extends Error {
  override name = "ReplicationError";
}

/** The peer failed the HMAC challenge/response (wrong shared secret), or we failed its. */
export class ReplicationAuthError extends ReplicationError {
  override name = "ReplicationAuthError";
}

/** The peer broke the framing or sent a message that does not belong where it arrived. */
export class ReplicationProtocolError extends ReplicationError {
  override name = "ReplicationProtocolError";
}

/**
 * The peer carries a higher epoch than ours: we are a primary that was replaced while it was
 * away and must not serve (or replicate) any more.
 */
export class FencedError extends ReplicationError {
  override name = "FencedError";
  constructor(
    readonly ownEpoch: number,
    readonly peerEpoch: number,
  ) {
    super(`fenced: own epoch ${ownEpoch} < peer epoch ${peerEpoch}`);
  }
}

/** A replicated change names a table this database does not have (schema versions differ). */
export class ReplicationSchemaError extends ReplicationError {
  override name = "ReplicationSchemaError";
}
