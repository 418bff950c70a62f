import { createRequest, newBranch, type SipRequest, type SipStack } from "@centrex/sip";
import type { DialogEnds } from "./dialog-teardown.js";

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
}

/** Where the switch sends from: its advertised address, or what its listener is bound to. */
export function localSentBy(
  stack: SipStack,
  advertised: string | undefined,
): { readonly host: string; readonly port: number } {
  const sentBy = stack.sentBy("UDP") ?? { host: "127.0.0.1", port: 5060 };
  const wildcard = sentBy.host === "0.0.0.0" || sentBy.host === "[::]";
  return { host: advertised ?? (wildcard ? "127.0.0.1" : sentBy.host), port: sentBy.port };
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
  const { host, port } = localSentBy(stack, advertised);
  const seq = cseq ?? side.cseq++;
  return createRequest({
    method,
    uri: side.remoteTarget,
    headers: [
      ["Via", `SIP/2.0/UDP ${host}:${port};branch=${newBranch()};rport`],
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

/**
 * The outside party's call as the switch holds it once the party is transferred: the transferor's
 * side of the dialog (the switch now writes its requests: a BYE, a refresh) and the outside
 * party's side (the switch writes the transferor its NOTIFYs, as the REFER's recipient).
 * Learnt from what the proxy saw of the call: tags, Contacts, flows; the CSeqs start far above
 * anything either phone has sent (RFC 3261 §12.2.1.1 only asks for an increase).
 */
export class HeldDialog {
  /** The transferor's side: requests to the outside party. */
  readonly towardOutside: DialogSide;
  /** The outside party's side: requests (NOTIFY) to the transferor. */
  readonly towardTransferor: DialogSide;
  readonly transferorTag: string;
  readonly outsideTag: string;

  constructor(
    readonly callId: string,
    ends: DialogEnds,
    transferorIsCaller: boolean,
    transferorCseq: number,
  ) {
    const callerSide = ends.from;
    const calleeSide = ends.to;
    const transferor = transferorIsCaller ? ends.caller : ends.callee;
    const outside = transferorIsCaller ? ends.callee : ends.caller;
    this.transferorTag = (transferorIsCaller ? ends.callerTag : ends.calleeTag) ?? "";
    this.outsideTag = (transferorIsCaller ? ends.calleeTag : ends.callerTag) ?? "";
    this.towardOutside = {
      local: transferorIsCaller ? callerSide : calleeSide,
      remote: transferorIsCaller ? calleeSide : callerSide,
      remoteTarget: outside.contact,
      routes: [],
      cseq: transferorCseq + 1000,
    };
    this.towardTransferor = {
      local: transferorIsCaller ? calleeSide : callerSide,
      remote: transferorIsCaller ? callerSide : calleeSide,
      remoteTarget: transferor.contact,
      routes: [],
      cseq: ends.inviteCseq + 1_000_000,
    };
  }

  /** The outside party as it appears in its own header (the number shown to the target): no tag. */
  get outsideIdentity(): string {
    return this.towardOutside.remote.replace(/;\s*tag=[^;]*/i, "");
  }
}
