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
import { OutsideTransfers } from "./outside-transfer.js";
import type { ProxyContext } from "./proxy-context.js";
import { SESSION_TIMER_DEFAULTS, SessionTimers } from "./session-timer.js";
import { TransferRules } from "./transfer.js";

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
  /** RFC 4028: each answered call's refresh deadline. */
  readonly timers: SessionTimers;
  /** REFERs checked before they are forwarded; the transferee's new call matched to its REFER. */
  readonly transfers: TransferRules;
  /** Transfers of outside parties the switch carries out, and the calls it holds for them. */
  readonly outside: OutsideTransfers;

  constructor(readonly ctx: ProxyContext) {
    this.transfers = new TransferRules(ctx, (callId) => this.#answered.get(callId));
    this.outside = new OutsideTransfers(
      ctx,
      (req) => this.#byeAnswered(req),
      (req, res) => this.timers.onAnswer(req, res),
      (callId) => this.timers.intervalOf(callId),
    );
    this.timers = new SessionTimers(ctx.o.sessionTimer ?? SESSION_TIMER_DEFAULTS, (callId, seconds) => {
      void this.#sessionExpired(callId, seconds);
    });
  }

  /** Both ends of an answered call, while it is up. */
  endsOf(callId: string): DialogEnds | undefined {
    return this.#answered.get(callId);
  }

  /** A PSTN call's CSeq offset, applied to the caller's later requests. */
  shiftCseqOf(callId: string, offset: number, callerTag: string): void {
    if (offset !== 0) this.#cseqShift.set(callId, { offset, callerTag });
  }

  /** Ends an answered call from the middle (BYE both ways); false if it was not answered here. */
  endFromMiddle(callId: string, reason: string, cause?: string): boolean {
    const ends = this.#answered.get(callId);
    this.timers.stop(callId);
    this.outside.endedFromMiddle(callId);
    if (ends === undefined) return false;
    this.#answered.delete(callId);
    this.#cseqShift.delete(callId);
    sendByeBothWays(this.ctx.o.stack, ends, reason, this.ctx.o.advertisedAddress, cause);
    return true;
  }

  async forward(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    const o = this.ctx.o;
    // A call the switch holds for a transferred outside party: answered here, not forwarded.
    if (await this.outside.intercept(req, tx)) return;
    const next = req.route[0]?.uri ?? req.uri;
    const target = targetOfUri(next);
    if (this.ctx.local.isOurs(target.address, target.port)) throw new ProxyRefusal(404, "Not Found");
    // A REFER is ruled on (and challenged: false) before it goes anywhere; a NOTIFY (the
    // transferee's sipfrag progress report, RFC 3515 §2.4.5) is relayed untouched like any request.
    if (req.method === "REFER") {
      const ruling = await this.transfers.checkRefer(req, tx);
      if (ruling === false) return;
      if (ruling !== true) {
        // The transferee is outside (a carrier does not act on REFER): the switch does it.
        const ends = this.#answered.get(req.callId);
        if (ends === undefined) throw new ProxyRefusal(481, "Call/Transaction Does Not Exist");
        await this.outside.start(req, tx, ruling, ends);
        return;
      }
    }
    const source = o.stack.sourceOf(req);
    if (source !== undefined && req.method === "INVITE") {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    const shift = this.#shiftCseq(req);
    // The switch's own re-INVITE (an outside party taken off hold) carries the relay's SDP already.
    const reanchor = (req.method === "INVITE" || req.method === "UPDATE") && !this.outside.owns(req);
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
        // A refresh answered: the call's session timer restarts (RFC 4028 §8.2).
        if (reanchor && res.status >= 200 && res.status < 300) this.timers.onAnswer(req, res);
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
      if (this.outside.absorbsAck(req)) return;
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

  /** Remembers both ends of an answered call, so the proxy can end it itself; its session timer starts. */
  rememberEnds(invite: SipRequest, res: SipResponse, calleeTarget: TransactionTarget): void {
    this.timers.onAnswer(invite, res);
    const source = this.ctx.o.stack.sourceOf(invite);
    const callerContact = invite.contact[0]?.uri.raw;
    const calleeContact = res.contact[0]?.uri.raw;
    const from = invite.get("from");
    const to = res.get("to");
    if (source === undefined || callerContact === undefined || calleeContact === undefined) return;
    if (from === undefined || to === undefined) return;
    const callerTag = invite.from.params.get("tag");
    const calleeTag = res.to.params.get("tag");
    this.#answered.set(invite.callId, {
      callId: invite.callId,
      from,
      to,
      inviteCseq: invite.cseq.seq,
      ...(typeof callerTag === "string" && { callerTag }),
      ...(typeof calleeTag === "string" && { calleeTag }),
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

  /**
   * No refresh came within the session interval (RFC 4028 §10): the phones lost each other (a BYE
   * lost, a phone gone). The switch ends the call both ways and closes its record.
   */
  async #sessionExpired(callId: string, seconds: number): Promise<void> {
    const o = this.ctx.o;
    const answered = this.endFromMiddle(callId, "Session timer expired");
    o.logger?.warn(
      { event: "session-timer-expired", callId, seconds, answered },
      "call ended: no session refresh within the interval",
    );
    o.pstnGuard?.ended(callId);
    this.#cseqShift.delete(callId);
    try {
      await o.media?.release(callId);
      await this.ctx.dialogs.endAll(callId, 200, "session-timer-expired");
    } catch (err) {
      o.logger?.error({ err, callId }, "recording the end of a call failed");
    }
  }

  /** The call ends when its BYE is answered; the record is written before the 200 is relayed. */
  async #byeAnswered(req: SipRequest): Promise<void> {
    const o = this.ctx.o;
    this.timers.stop(req.callId);
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
