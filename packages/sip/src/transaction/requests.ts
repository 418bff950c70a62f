import { parseMessage } from "../message/index.js";
import { SipRequestImpl } from "../message/message.js";
import { HeadWriter } from "../message/outgoing.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { TransactionError } from "./errors.js";

/**
 * Requests the transaction layer derives from another one: the ACK of a non-2xx final response
 * (§17.1.1.3) and CANCEL (§9.1). Both are written from the original's header values with their
 * header table (no re-parse), so they are ordinary messages for everything downstream.
 */

function derive(req: SipRequest, method: "ACK" | "CANCEL", to: string): SipRequest {
  const via = req.getAll("via")[0];
  const from = req.get("from");
  if (via === undefined || from === undefined) {
    throw new TransactionError(`cannot build ${method}: original request has no Via or From`);
  }
  const uri = req.uri.raw;
  const w = new HeadWriter(`${method} ${uri} SIP/2.0`);
  w.add("Via", via);
  w.add("From", from);
  w.add("To", to);
  w.add("Call-ID", req.callId);
  w.add("CSeq", `${req.cseq.seq} ${method}`);
  for (const route of req.getAll("route")) w.add("Route", route);
  w.add("Max-Forwards", "70");
  w.add("Content-Length", "0");
  w.end();
  const bytes = Buffer.from(w.text, "utf8");
  if (!w.plain(bytes, EMPTY)) {
    // Non-ASCII or a line break somewhere: let the parser check it, as for a received message.
    const msg = parseMessage(bytes);
    if (msg.kind !== "request") throw new TransactionError(`${method} did not parse as a request`);
    return msg;
  }
  const msg = new SipRequestImpl(
    bytes,
    0,
    w.startLineEnd,
    w.table(),
    bytes.length,
    bytes.length,
    method,
    uri,
    "SIP/2.0",
  );
  msg.ascii = true;
  msg.contentLengthCache = 0;
  return msg;
}

const EMPTY = Buffer.alloc(0);

/** ACK for a non-2xx final response: same branch as the INVITE, To (with tag) from the response. */
export function buildAck(invite: SipRequest, res: SipResponse): SipRequest {
  const to = res.get("to");
  if (to === undefined) throw new TransactionError("cannot build ACK: response has no To");
  return derive(invite, "ACK", to);
}

/** CANCEL for a pending request: same Request-URI, top Via (branch), From, To, Call-ID, CSeq number. */
export function buildCancel(req: SipRequest): SipRequest {
  const to = req.get("to");
  if (to === undefined) throw new TransactionError("cannot build CANCEL: request has no To");
  return derive(req, "CANCEL", to);
}
