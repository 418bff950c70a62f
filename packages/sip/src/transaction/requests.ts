import { createRequest } from "../message/request.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { TransactionError } from "./errors.js";

/**
 * Requests the transaction layer derives from another one: the ACK of a non-2xx final response
 * (§17.1.1.3) and CANCEL (§9.1). Both are written from the original's header values with their
 * header table (no re-parse), so they are ordinary messages for everything downstream.
 */

function derive(
  req: SipRequest,
  method: "ACK" | "CANCEL",
  to: string,
  extra: readonly (readonly [string, string])[] = [],
): SipRequest {
  const via = req.getAll("via")[0];
  const from = req.get("from");
  if (via === undefined || from === undefined) {
    throw new TransactionError(`cannot build ${method}: original request has no Via or From`);
  }
  const headers: [string, string][] = [
    ["Via", via],
    ["From", from],
    ["To", to],
    ["Call-ID", req.callId],
    ["CSeq", `${req.cseq.seq} ${method}`],
  ];
  for (const route of req.getAll("route")) headers.push(["Route", route]);
  headers.push(["Max-Forwards", "70"]);
  for (const [name, value] of extra) headers.push([name, value]);
  return createRequest({ method, uri: req.uri.raw, headers });
}

/** ACK for a non-2xx final response: same branch as the INVITE, To (with tag) from the response. */
export function buildAck(invite: SipRequest, res: SipResponse): SipRequest {
  const to = res.get("to");
  if (to === undefined) throw new TransactionError("cannot build ACK: response has no To");
  return derive(invite, "ACK", to);
}

/**
 * CANCEL for a pending request: same Request-URI, top Via (branch), From, To, Call-ID, CSeq
 * number; `extra` headers after those (a `Reason`).
 */
export function buildCancel(req: SipRequest, extra: readonly (readonly [string, string])[] = []): SipRequest {
  const to = req.get("to");
  if (to === undefined) throw new TransactionError("cannot build CANCEL: request has no To");
  return derive(req, "CANCEL", to, extra);
}
