import {
  createResponse,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type TransactionTarget,
  type TransactionUser,
} from "@centrex/sip";

/** Methods that never create a dialog or binding: passed through even when not serving. */
const ALWAYS_PASSED = new Set(["ACK", "CANCEL", "OPTIONS"]);

/**
 * Wraps the switch's transaction user so a node that does not serve (standby, fenced, or
 * quiesced for a failback) answers new dialogs and registrations with 503 + Retry-After: a
 * phone with SRV moves on to the other node at once instead of writing into a database that
 * replication owns. In-dialog requests (a BYE of a call already up) and OPTIONS (the peer's
 * probe) still pass.
 */
export function failoverGate(
  inner: TransactionUser,
  serving: () => boolean,
  retryAfterSeconds = 5,
): TransactionUser {
  return {
    onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: TransactionTarget): void {
      if (tx === undefined || ALWAYS_PASSED.has(req.method) || serving()) {
        inner.onRequest(req, tx, source);
        return;
      }
      let inDialog = false;
      try {
        inDialog = req.to.params.has("tag");
      } catch {
        inDialog = false;
      }
      if (inDialog && req.method !== "REGISTER") {
        inner.onRequest(req, tx, source);
        return;
      }
      tx.respond(
        createResponse(req, 503, "Service Unavailable", {
          headers: [["Retry-After", String(retryAfterSeconds)]],
        }),
      );
    },
    // Only while serving: a standby answers a REGISTER 503 (above), never a challenge.
    answerStatelessly(req: SipRequest, source: TransactionTarget): SipResponse | undefined {
      return serving() ? inner.answerStatelessly?.(req, source) : undefined;
    },
    onStrayResponse(res: SipResponse, source: TransactionTarget | undefined): void {
      inner.onStrayResponse(res, source);
    },
  };
}
