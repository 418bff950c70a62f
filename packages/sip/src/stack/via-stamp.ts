import type { MessageImpl } from "../message/message.js";
import type { SipRequest, Via } from "../message/types.js";
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
  const rportEdited = value !== raw;
  const addReceived = needReceived && top.received === undefined;
  if (addReceived) value += `;received=${source.remoteAddress}`;
  // Most phones ask for rport: the stamp is on (nearly) every request. The stamped Via is made
  // from the one just decoded rather than parsed again, when that is sure to be the same thing.
  const stamped = plainStamp(raw, top, needRport && !rportEdited, needRport, addReceived, source);
  if (stamped !== undefined) {
    (req as unknown as MessageImpl).replaceTopVia(value, stamped);
    return;
  }
  req.removeFirst("via");
  req.prepend("via", value);
}

/**
 * `top` with the stamp's parameters, or undefined when parsing the stamped value might give
 * something else: a quoted parameter value (the edit could have hit text inside it), `rport`
 * written more than once (in any case, the host included), or an rport asked for but not edited.
 */
function plainStamp(
  raw: string,
  top: Via,
  rportMissed: boolean,
  needRport: boolean,
  addReceived: boolean,
  source: InboundSource,
): Via | undefined {
  if (rportMissed || raw.indexOf('"') !== -1) return undefined;
  if (needRport && RPORT_TWICE.test(raw)) return undefined;
  const params = new Map(top.params);
  if (needRport) params.set("rport", String(source.remotePort));
  if (addReceived) params.set("received", source.remoteAddress);
  return {
    protocol: top.protocol,
    transport: top.transport,
    host: top.host,
    port: top.port,
    params,
    branch: top.branch,
    received: addReceived ? source.remoteAddress : top.received,
    rport: needRport ? source.remotePort : top.rport,
  };
}

/** `rport` twice or more, in any case (one native scan; no match array). */
const RPORT_TWICE = /rport[\s\S]*rport/i;

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
