import type { ClientTransactionDelegate, SipRequest, SipStack, TransactionTarget } from "@centrex/sip";
import { dialogRequest } from "./dialog-request.js";

/** What the proxy remembers of an answered call to end it on its own (media timeout). */
export interface DialogEnds {
  readonly callId: string;
  /** The caller's From and the callee's To, with their tags, as on the wire. */
  readonly from: string;
  readonly to: string;
  readonly inviteCseq: number;
  /** Each side's dialog tag: an INVITE with Replaces names the phone to reach by its own tag. */
  readonly callerTag?: string;
  readonly calleeTag?: string;
  readonly caller: { readonly contact: string; readonly target: TransactionTarget };
  readonly callee: { readonly contact: string; readonly target: TransactionTarget };
}

const IGNORE: ClientTransactionDelegate = { onResponse() {}, onTimeout() {}, onTransportError() {} };

/**
 * Ends a dialog from the middle: a BYE to each phone, so neither keeps a call
 * (and the operator bills none) after its media died or an operator hung it up.
 * `cause` is the Reason header's protocol and cause (RFC 3326), `reason` its text.
 * The callee-to-caller BYE uses a CSeq far above anything the callee has sent in the dialog.
 */
export function sendByeBothWays(
  stack: SipStack,
  d: DialogEnds,
  reason: string,
  advertised?: string,
  cause = "SIP;cause=408",
): void {
  const why = `${cause};text="${reason}"`;
  const toCallee = bye(stack, advertised, d.callee, d.from, d.to, d.callId, d.inviteCseq + 1, why);
  const toCaller = bye(stack, advertised, d.caller, d.to, d.from, d.callId, 1_000_000, why);
  for (const [req, target] of [toCallee, toCaller] as const) {
    try {
      stack.transactions.sendRequest(req, target, IGNORE);
    } catch {
      // The phone is gone as well; nothing more to do.
    }
  }
}

function bye(
  stack: SipStack,
  advertised: string | undefined,
  { contact, target }: { readonly contact: string; readonly target: TransactionTarget },
  from: string,
  to: string,
  callId: string,
  cseq: number,
  reason: string,
): [SipRequest, TransactionTarget] {
  const transport = target.transport as "UDP" | "TCP" | "TLS";
  const side = { local: from, remote: to, remoteTarget: contact, routes: [], cseq, transport };
  return [dialogRequest(stack, advertised, callId, side, "BYE", [["Reason", reason]]), target];
}
