import { createRequest, newBranch, type SipRequest, type SipStack } from "@centrex/sip";
import { localSentBy } from "./addressing.js";

/** One side of a dialog as the switch writes requests into it. */
export interface DialogSide {
  /** This side's From (our requests) header value, with its tag, as on the wire. */
  readonly local: string;
  /** The other side's header value, with its tag (our To). */
  readonly remote: string;
  /** Where the other side is reached: its Contact (our Request-URI). */
  readonly remoteTarget: string;
  /** Route headers toward the other side, in order (none: straight to the Request-URI). */
  readonly routes: readonly string[];
  /** The next CSeq of our requests. */
  cseq: number;
  /** The transport toward the other side (default UDP). */
  readonly transport?: "UDP" | "TCP" | "TLS";
}

/**
 * An in-dialog request written by the switch as one party of `side`'s dialog (RFC 3261 §12.2.1.1):
 * its own Via, the dialog's From/To/Call-ID, the next CSeq, along the route set. Written as bytes.
 */
export function dialogRequest(
  stack: SipStack,
  advertised: string | undefined,
  callId: string,
  side: DialogSide,
  method: string,
  extra: readonly (readonly [string, string])[] = [],
  body?: { readonly type: string; readonly bytes: Buffer },
  cseq?: number,
): SipRequest {
  const transport = side.transport ?? "UDP";
  const { host, port } = localSentBy(stack, advertised, transport);
  const seq = cseq ?? side.cseq++;
  return createRequest({
    method,
    uri: side.remoteTarget,
    headers: [
      ["Via", `SIP/2.0/${transport} ${host}:${port};branch=${newBranch()};rport`],
      ...side.routes.map((r) => ["Route", r] as [string, string]),
      ["From", side.local],
      ["To", side.remote],
      ["Call-ID", callId],
      ["CSeq", `${seq} ${method}`],
      ["Max-Forwards", "70"],
      ...extra.map(([n, v]) => [n, v] as [string, string]),
    ],
    ...(body !== undefined && { contentType: body.type, body: body.bytes }),
  });
}
