import type { Decision } from "@centrex/dialplan";
import type { ServerTransactionLike, SipRequest, SipResponse } from "@centrex/sip";
import { EMERGENCY_COMMUNE_HEADER, type Presentation, presentation, requestedIdentity } from "@centrex/trunk";
import { type BilledParty, partyOf } from "./caller.js";
import { ProxyRefusal } from "./errors.js";
import type { InDialogRelay } from "./in-dialog.js";
import { loopHash, proxyBranch } from "./loop.js";
import { fixNatedContact } from "./nat.js";
import type { ProxyContext } from "./proxy-context.js";
import { PstnCall, type PstnCallOwner, type PstnExtra } from "./pstn-call.js";

/**
 * Calls to the PSTN (or an emergency centre) through the best live carrier:
 * the presented identity, the fraud guard's admission, the call record's
 * routing, then the carrier call itself.
 */
export class PstnRouter implements PstnCallOwner {
  constructor(
    readonly ctx: ProxyContext,
    readonly inDialog: InDialogRelay,
  ) {}

  /** A call the dialplan sent to the PSTN or an emergency centre; `caller` is who is billed. */
  async route(
    req: SipRequest,
    tx: ServerTransactionLike,
    caller: BilledParty,
    dialled: string,
    decision: Extract<Decision, { kind: "pstn" | "emergency" }>,
  ): Promise<void> {
    const o = this.ctx.o;
    const trunk = o.trunk;
    const plan = o.policy?.data.plan;
    if (trunk === undefined || plan === undefined) {
      throw new ProxyRefusal(503, "Service Unavailable - No PSTN gateway");
    }
    const emergency = decision.kind === "emergency";
    const ext = await o.store.extensions.find(caller.customerId, caller.extension);
    // An emergency call always shows the caller's real identity (rule 15): no privacy request applies.
    const requested = emergency ? {} : requestedIdentity(req, plan);
    const shown = await presentation(o.store, caller.customerId, ext?.id, requested);
    if (shown === undefined) throw new ProxyRefusal(403, "Forbidden - No number of the customer to present");
    const fromTag = req.from.params.get("tag") ?? "";
    // Short numbers (3BPQ, 118…) have no E.164 form: the carrier gets them as dialled. So does an
    // emergency number when no table names the centre: the carrier routes it by the commune.
    const destination =
      decision.kind === "emergency"
        ? (decision.e164 ?? decision.service)
        : (decision.e164 ?? decision.number);
    const destinationClass = emergency ? "emergency" : decision.class;
    this.ctx.dialogs.forwarded(req.callId, fromTag, partyOf(req, caller), dialled, {
      direction: "outbound",
      destinationClass,
      called: destination,
    });
    const guard = o.pstnGuard;
    if (!emergency && guard !== undefined) {
      const admitted = await guard.admit({
        callId: req.callId,
        customerId: caller.customerId,
        extension: caller.extension,
        destinationClass,
        called: destination,
      });
      if (!admitted) {
        void this.ctx.dialogs.ended(req.callId, fromTag, undefined, 403, "refused", "pstn-suspended");
        throw new ProxyRefusal(403, "PSTN access suspended", true);
      }
    }
    const extra: PstnExtra =
      decision.kind === "emergency"
        ? {
            headers: [[EMERGENCY_COMMUNE_HEADER, decision.commune]],
            ...(decision.e164 === undefined && { routeAs: `+${plan.countryCode}` }),
          }
        : {};
    this.place(req, tx, destination, emergency ? { ...shown, withheld: false } : shown, extra);
  }

  /** Hands the caller's INVITE to the trunk's outbound call (media anchored first). */
  place(
    req: SipRequest,
    tx: ServerTransactionLike,
    e164: string,
    shown: Presentation,
    extra: PstnExtra = {},
  ): void {
    const o = this.ctx.o;
    const source = o.stack.sourceOf(req);
    if (source !== undefined) {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    const start = async () => {
      await this.ctx.anchor(req);
      const hash = loopHash(req);
      const call = new PstnCall(
        req,
        tx,
        o.trunk!,
        e164,
        shown,
        this,
        o.media,
        this.ctx.recordRoute(req),
        () => proxyBranch(hash),
        extra,
      );
      this.ctx.forks.set(tx, call);
      call.start();
    };
    return void start().catch((err: unknown) => {
      if (err instanceof ProxyRefusal) this.ctx.refuse(req, tx, err.status, err.reason);
      else this.ctx.refuse(req, tx, 500, "Server Internal Error");
    });
  }

  onPstnAnswered(call: PstnCall, res: SipResponse): void {
    this.ctx.forks.delete(call.serverTx);
    const req = call.request;
    const callerTag = req.from.params.get("tag") ?? "";
    this.inDialog.shiftCseqOf(req.callId, call.outbound.cseqOffset, callerTag);
    const target = call.outbound.target;
    if (target !== undefined) this.inDialog.rememberEnds(req, res, target);
    const carrier = call.outbound.carrier?.name;
    if (carrier !== undefined) this.ctx.dialogs.viaCarrier(req.callId, callerTag, carrier);
    const toTag = res.to.params.get("tag");
    if (typeof toTag === "string") this.ctx.dialogs.answered(req.callId, callerTag, toTag);
  }

  onPstnFailed(call: PstnCall, status: number): void {
    this.ctx.forks.delete(call.serverTx);
    const req = call.request;
    this.ctx.o.pstnGuard?.ended(req.callId);
    const reason = status === 487 ? "cancelled" : status === 486 || status === 600 ? "busy" : "rejected";
    void this.ctx.dialogs.ended(req.callId, req.from.params.get("tag") ?? "", undefined, status, reason);
    void this.ctx.o.media?.release(req.callId);
  }
}
