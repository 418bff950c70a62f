import {
  type ClientTransactionDelegate,
  createResponse,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type TransactionTarget,
} from "@centrex/sip";
import { popOwnRoutes } from "./addressing.js";
import { type DialogEnds, sendByeBothWays } from "./dialog-teardown.js";
import { ProxyRefusal } from "./errors.js";
import { loopHash } from "./loop.js";
import { fixNatedContact } from "./nat.js";
import { targetOfUri } from "./next-hop.js";
import type { ProxyContext } from "./proxy-context.js";

/**
 * Requests inside an established call (re-INVITE, UPDATE, BYE, ACK, REFER…):
 * forwarded along the route set, media re-anchored, the call's end recorded
 * when its BYE is answered; and the answered calls this proxy can end itself.
 */
export class InDialogRelay {
  /**
   * PSTN calls whose INVITE to the carrier went out with a higher CSeq (a digest challenge was
   * answered): the caller's later requests are shifted by as much, by Call-ID.
   */
  readonly #cseqShift = new Map<string, { offset: number; callerTag: string }>();
  /** Answered calls, to end them from the middle when their media dies; by Call-ID. */
  readonly #answered = new Map<string, DialogEnds>();

  constructor(readonly ctx: ProxyContext) {}

  /** A PSTN call's CSeq offset, applied to the caller's later requests. */
  shiftCseqOf(callId: string, offset: number, callerTag: string): void {
    if (offset !== 0) this.#cseqShift.set(callId, { offset, callerTag });
  }

  /** Ends an answered call from the middle (BYE both ways); false if it was not answered here. */
  endFromMiddle(callId: string, reason: string): boolean {
    const ends = this.#answered.get(callId);
    if (ends === undefined) return false;
    this.#answered.delete(callId);
    sendByeBothWays(this.ctx.o.stack, ends, reason, this.ctx.o.advertisedAddress);
    return true;
  }

  async forward(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    const o = this.ctx.o;
    const next = req.route[0]?.uri ?? req.uri;
    const target = targetOfUri(next);
    if (this.ctx.local.isOurs(target.address, target.port)) throw new ProxyRefusal(404, "Not Found");
    const source = o.stack.sourceOf(req);
    if (source !== undefined && req.method === "INVITE") {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    const shift = this.#shiftCseq(req);
    const reanchor = req.method === "INVITE" || req.method === "UPDATE";
    if (reanchor) await o.media?.offer(req);
    req.set("max-forwards", String(mf - 1));
    req.prepend("via", this.ctx.via(target, loopHash(req)));
    let chain: Promise<void> = Promise.resolve();
    const relay = (res: SipResponse, before?: () => Promise<void>) => {
      chain = chain
        .then(before)
        .catch(() => undefined)
        .then(() => {
          tx.respond(res);
        });
    };
    const delegate: ClientTransactionDelegate = {
      onResponse: (res: SipResponse) => {
        if (res.status === 100) return;
        res.removeFirst("via");
        if (shift !== 0) res.set("cseq", `${res.cseq.seq - shift} ${res.cseq.method}`);
        if (res.status >= 200 && res.status < 300 && req.method === "INVITE") fixNatedContact(res, target);
        if (req.method === "BYE" && res.status >= 200) {
          relay(res, () => this.#byeAnswered(req));
          return;
        }
        const media = o.media;
        if (reanchor && media !== undefined && res.status > 100 && res.status < 300) {
          relay(res, () => media.answer(res));
          return;
        }
        relay(res);
      },
      onTimeout: () => {
        if (req.method === "BYE") void this.#byeAnswered(req);
        tx.respond(createResponse(req, 408, "Request Timeout"));
      },
      onTransportError: () => {
        if (req.method === "BYE") void this.#byeAnswered(req);
        tx.respond(createResponse(req, 503, "Service Unavailable"));
      },
    };
    o.stack.transactions.sendRequest(req, target, delegate);
  }

  /** An ACK (no transaction): forwarded statelessly along the route set. */
  forwardAck(req: SipRequest): void {
    try {
      const mf = req.maxForwards ?? 70;
      if (mf <= 0) return;
      popOwnRoutes(req, this.ctx.local);
      const target = targetOfUri(req.route[0]?.uri ?? req.uri);
      if (this.ctx.local.isOurs(target.address, target.port)) return;
      this.#shiftCseq(req);
      req.set("max-forwards", String(mf - 1));
      req.prepend("via", this.ctx.via(target, loopHash(req)));
      this.ctx.o.stack.sendStateless(req, target);
    } catch (err) {
      this.ctx.o.logger?.debug({ err, callId: req.callId }, "ACK not forwarded");
    }
  }

  /** Remembers both ends of an answered call, so the proxy can end it itself. */
  rememberEnds(invite: SipRequest, res: SipResponse, calleeTarget: TransactionTarget): void {
    const source = this.ctx.o.stack.sourceOf(invite);
    const callerContact = invite.contact[0]?.uri.raw;
    const calleeContact = res.contact[0]?.uri.raw;
    const from = invite.get("from");
    const to = res.get("to");
    if (source === undefined || callerContact === undefined || calleeContact === undefined) return;
    if (from === undefined || to === undefined) return;
    this.#answered.set(invite.callId, {
      callId: invite.callId,
      from,
      to,
      inviteCseq: invite.cseq.seq,
      caller: {
        contact: callerContact,
        target: {
          transport: source.transport,
          address: source.remoteAddress,
          port: source.remotePort,
          ...(source.connectionId !== undefined && { connectionId: source.connectionId }),
        },
      },
      callee: { contact: calleeContact, target: calleeTarget },
    });
  }

  /** The call ends when its BYE is answered; the record is written before the 200 is relayed. */
  async #byeAnswered(req: SipRequest): Promise<void> {
    const o = this.ctx.o;
    this.#answered.delete(req.callId);
    o.pstnGuard?.ended(req.callId);
    this.#cseqShift.delete(req.callId);
    await o.media?.release(req.callId);
    try {
      await this.ctx.dialogs.ended(
        req.callId,
        req.from.params.get("tag") ?? "",
        req.to.params.get("tag") ?? undefined,
        200,
        "caller-bye",
      );
    } catch (err) {
      o.logger?.error({ err, callId: req.callId }, "recording the end of a call failed");
    }
  }

  /** Applies a PSTN dialog's CSeq offset to a caller's in-dialog request; returns the shift applied. */
  #shiftCseq(req: SipRequest): number {
    const shift = this.#cseqShift.get(req.callId);
    if (shift === undefined || req.from.params.get("tag") !== shift.callerTag) return 0;
    req.set("cseq", `${req.cseq.seq + shift.offset} ${req.cseq.method}`);
    return shift.offset;
  }
}
