import type { SipRequest, SipResponse, Via } from "../message/types.js";
import { hasMagicCookie } from "./branch.js";

/**
 * Transaction matching keys (RFC 3261 §17.1.3, §17.2.3). Strings, so one Map lookup finds the
 * transaction; the unit separator cannot occur in a header value.
 */

const SEP = "\x1f";

function defaultPort(transport: string): number {
  return transport === "TLS" || transport === "WSS" ? 5061 : 5060;
}

/** The Via sent-by, with the default port made explicit so `host` and `host:5060` compare equal. */
export function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? defaultPort(via.transport.toUpperCase())}`;
}

/** ACK belongs to the INVITE transaction it acknowledges. */
function methodClass(method: string): string {
  return method === "ACK" ? "INVITE" : method;
}

/** §17.2.3: branch + sent-by + method, when the top Via's branch has the magic cookie; else undefined. */
export function serverKey(req: SipRequest, method = methodClass(req.method)): string | undefined {
  const via = req.via[0];
  if (via === undefined || !hasMagicCookie(via.branch)) return undefined;
  return via.branch + SEP + sentBy(via) + SEP + method;
}

/**
 * RFC 2543 matching (§17.2.3, last paragraphs): Request-URI, To tag, From tag, Call-ID, CSeq
 * number and top Via. An ACK carries the tag of our response rather than the INVITE's, so its
 * lookup passes the To tag to try explicitly.
 */
export function rfc2543Key(
  req: SipRequest,
  method = methodClass(req.method),
  toTag = tagOf(req.to.params),
): string | undefined {
  const via = req.via[0];
  if (via === undefined) return undefined;
  return (
    req.uri.raw +
    SEP +
    toTag +
    SEP +
    tagOf(req.from.params) +
    SEP +
    req.callId +
    SEP +
    req.cseq.seq +
    SEP +
    via.transport.toUpperCase() +
    " " +
    sentBy(via) +
    ";" +
    (via.branch ?? "") +
    SEP +
    method
  );
}

/** §17.1.3: a response matches the client transaction of its top Via branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + method;
}

export function responseKey(res: SipResponse): string | undefined {
  const branch = res.via[0]?.branch;
  return branch === undefined ? undefined : clientKey(branch, res.cseq.method);
}

export function tagOf(params: Map<string, string | null>): string {
  return params.get("tag") ?? "";
}
