import type { DialogSide } from "./dialog-request.js";
import type { DialogEnds } from "./dialog-teardown.js";

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
