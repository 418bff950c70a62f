import type { SipRequest } from "../message/types.js";
import type { InboundSource } from "../transport/types.js";

/**
 * Records where a request really came from in its topmost Via (RFC 3261 §18.2.1,
 * RFC 3581): `received` when the sent-by host is not the packet's source address,
 * and the source port in an `rport` the client asked for. Responses sent back
 * along the Via path then reach a phone behind NAT.
 */
export function stampVia(req: SipRequest, source: InboundSource): void {
  const top = req.via[0];
  if (top === undefined) return;
  const needReceived = stripBrackets(top.host) !== source.remoteAddress;
  const needRport = top.rport === null;
  if (!needReceived && !needRport) return;
  const raw = req.getAll("via")[0];
  if (raw === undefined) return;
  let value = raw;
  if (needRport) value = value.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${source.remotePort}`);
  if (needReceived && top.received === undefined) value += `;received=${source.remoteAddress}`;
  req.removeFirst("via");
  req.prepend("via", value);
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
