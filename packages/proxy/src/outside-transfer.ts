import { isHold, parseSdp } from "@centrex/media";
import {
  createRequest,
  createResponse,
  newBranch,
  newTag,
  randomBase64url,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
} from "@centrex/sip";
import { localSentBy } from "./addressing.js";
import type { Caller } from "./caller.js";
import { type DialogSide, dialogRequest } from "./dialog-request.js";
import type { DialogEnds } from "./dialog-teardown.js";
import { ProxyRefusal } from "./errors.js";
import { HeldDialog } from "./held-dialog.js";
import { LocalServerTransaction } from "./local-transaction.js";
import type { ProxyContext } from "./proxy-context.js";
import type { Replaces } from "./transfer.js";

/** A transfer of an outside party the switch carries out itself. */
export interface OutsideReferral {
  readonly kind: "outside";
  readonly transferor: Caller;
  /** The Refer-To user: what the transferor would dial. */
  readonly target: string;
  readonly replaces?: Replaces;
}

/** Why a transfer of an outside party cannot be carried out: answered on the REFER. */
export class OutsideTransferError extends ProxyRefusal {
  constructor(status: number, reason: string, why: string) {
    super(status, reason, false, [["Warning", `399 centrex "Transfer refused: ${why}"`]]);
  }
}

/** The switch's own call to the transfer target: its dialog, once answered. */
interface TargetLeg {
  readonly callId: string;
  readonly tag: string;
  readonly invite: SipRequest;
  readonly tx: LocalServerTransaction;
  /** The SDP the switch offered the target (the relay's sockets of the outside call). */
  readonly offer: string;
  side?: DialogSide;
  /** The target's SDP as the relay rewrote it for the switch: where the outside leg now points. */
  answer?: string;
}

interface Transfer {
  readonly held: HeldDialog;
  readonly referCseq: number;
  readonly leg: TargetLeg;
  state: "calling" | "bridged" | "ended";
  /** The transferor hung up (its BYE absorbed): nobody to give the call back to. */
  transferorGone: boolean;
  /** The switch's own session refreshes of the held dialogs, once bridged. */
  refreshes: NodeJS.Timeout[];
}

const SIPFRAG = "message/sipfrag;version=2.0";
const HOLD = /^a=(sendonly|recvonly|inactive)\r?$/m;

/** An SDP with a stream on hold, as the relay reads it (a=sendonly/recvonly/inactive, or c=0.0.0.0). */
function isOnHold(sdp: string | undefined): boolean {
  if (sdp === undefined) return false;
  try {
    return parseSdp(sdp).media.some(isHold);
  } catch {
    return false; // the relay took this SDP already: it parses; nothing on hold to undo otherwise
  }
}

/** The same SDP, sendrecv. */
function offHold(sdp: string): string {
  return sdp.replace(new RegExp(HOLD.source, "gm"), "a=sendrecv");
}

/** The same SDP as a new offer of the same session: its o= version one higher (RFC 3264 §8). */
function nextVersion(sdp: string): string {
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_m, head: string, v: string) => `${head}${BigInt(v) + 1n}`);
}

/**
 * Transfer of an outside party (a carrier's caller or callee): carriers do not act on REFER, so
 * the switch does it. It accepts the transferor's REFER (202, NOTIFY sipfrag as a phone would),
 * places a call to the target itself (routed, authorised and billed as the transferor's, offering
 * the relay's sockets of the outside call, From showing the outside party), and when the target
 * answers points the relay's transferor leg at the target's leg: the outside party hears the
 * target, its own dialog unchanged. From then on the switch holds the outside party's dialog in
 * the transferor's place (the transferor's BYE is answered here, not forwarded): it answers the
 * outside party's refreshes and BYE, and carries hang-ups across (target ↔ outside party). A
 * target that does not answer is reported to the transferor (NOTIFY with its status) and the call
 * stays as it was; if the transferor had already hung up, the outside party gets a BYE.
 */
export class OutsideTransfers {
  /** By the outside call's Call-ID. */
  readonly #byOutside = new Map<string, Transfer>();
  /** By the target call's Call-ID. */
  readonly #byTarget = new Map<string, Transfer>();
  /** Requests the switch wrote itself: passed along, never intercepted again. */
  readonly #own = new WeakSet<SipRequest>();

  constructor(
    readonly ctx: ProxyContext,
    /** Records a call's end when its BYE is answered (the proxy's own bookkeeping). */
    readonly byeAnswered: (req: SipRequest) => Promise<void>,
    /** Restarts a call's session timer when the switch answers a refresh itself. */
    readonly refreshed: (req: SipRequest, res: SipResponse) => void,
    /** A call's agreed session interval (s), while its session timer runs. */
    readonly intervalOf: (callId: string) => number | undefined = () => undefined,
  ) {}

  get active(): number {
    return this.#byOutside.size;
  }

  /** Takes the REFER: 202, the first NOTIFY, then the call to the target. */
  async start(
    req: SipRequest,
    tx: ServerTransactionLike,
    referral: OutsideReferral,
    ends: DialogEnds,
  ): Promise<void> {
    const media = this.ctx.o.media;
    const callId = req.callId;
    if (this.#byOutside.has(callId))
      throw new OutsideTransferError(491, "Request Pending", "a transfer of this call is in progress");
    const fromTag = req.from.params.get("tag") ?? "";
    const transferorIsCaller = ends.callerTag === fromTag;
    const held = new HeldDialog(callId, ends, transferorIsCaller, req.cseq.seq);
    const last = media?.sdpFrom(callId, held.outsideTag);
    if (last === undefined) {
      throw new OutsideTransferError(
        501,
        "Not Implemented - Transfer of an outside party without the media relay",
        "the outside party's media does not go through the relay",
      );
    }
    // The transferor may have put the outside party on hold first: the target is offered a call.
    const offer = offHold(last);
    const leg = this.#targetLeg(held, referral, offer);
    const t: Transfer = {
      held,
      referCseq: req.cseq.seq,
      leg,
      state: "calling",
      transferorGone: false,
      refreshes: [],
    };
    this.#byOutside.set(callId, t);
    this.#byTarget.set(leg.callId, t);
    tx.respond(createResponse(req, 202, "Accepted"));
    this.#notify(t, "SIP/2.0 100 Trying", false);
    this.ctx.o.logger?.info(
      {
        event: "outside-transfer-started",
        callId,
        targetCallId: leg.callId,
        transferor: referral.transferor.extension,
        target: referral.target,
        attended: referral.replaces !== undefined,
      },
      "transfer of an outside party: the switch calls the target",
    );
    try {
      await this.ctx.placeTransferCall(leg.invite, leg.tx, referral.transferor, callId);
    } catch (err) {
      // The REFER is already accepted: the failure goes to the transferor in the NOTIFY.
      this.ctx.o.logger?.error({ err, callId }, "placing a transferred outside party's call failed");
      if (t.state === "calling") this.#failed(t, 500, "Server Internal Error");
    }
  }

  /**
   * A request of a call this part holds: handled here (true) instead of being forwarded. The
   * transferor's BYE is answered and absorbed; the outside party's and the target's requests to
   * the switch are answered by it once the call is bridged.
   */
  async intercept(req: SipRequest, tx: ServerTransactionLike): Promise<boolean> {
    if (this.#own.has(req)) return false;
    const fromTag = req.from.params.get("tag") ?? "";
    const outside = this.#byOutside.get(req.callId);
    if (outside !== undefined) {
      if (fromTag === outside.held.transferorTag) return this.#fromTransferor(outside, req, tx);
      if (fromTag === outside.held.outsideTag) return this.#fromOutside(outside, req, tx);
      return false;
    }
    const target = this.#byTarget.get(req.callId);
    if (target !== undefined && fromTag !== target.leg.tag) {
      await this.#answerHeld(req, tx, target.leg.callId, fromTag, target.leg.tag, target.leg.offer);
      if (req.method === "BYE") this.#end(target, "target");
      return true;
    }
    return false;
  }

  /** A request the switch wrote itself: its SDP is the switch's business, not the relay's to re-anchor. */
  owns(req: SipRequest): boolean {
    return this.#own.has(req);
  }

  /** An ACK of a held dialog (the outside party's, for a refresh the switch answered): not forwarded. */
  absorbsAck(req: SipRequest): boolean {
    if (this.#own.has(req)) return false;
    const t = this.#byOutside.get(req.callId) ?? this.#byTarget.get(req.callId);
    if (t === undefined || (t.held.callId === req.callId && t.state !== "bridged")) return false;
    // The answer to the offer the switch made in its 200 to an offerless re-INVITE.
    const media = this.ctx.o.media;
    if (req.body.length > 0 && media !== undefined) {
      const tag = req.from.params.get("tag") ?? "";
      media.answerFrom(req.callId, tag, req.body.toString("utf8")).catch((err: unknown) => {
        this.ctx.o.logger?.warn({ err, callId: req.callId }, "a held party's answer in its ACK not taken");
      });
    }
    return true;
  }

  /** The switch ended a call from the middle (media timeout, session timer, operator): end its partner. */
  endedFromMiddle(callId: string): void {
    const asOutside = this.#byOutside.get(callId);
    if (asOutside !== undefined) {
      this.#end(asOutside, "outside-ended");
      return;
    }
    const asTarget = this.#byTarget.get(callId);
    if (asTarget !== undefined) this.#end(asTarget, "target-ended");
  }

  // ---------------------------------------------------------------- the transferor

  #fromTransferor(t: Transfer, req: SipRequest, tx: ServerTransactionLike): boolean {
    if (req.method === "BYE") {
      // The transferor leaves as RFC 5589 asks; the outside party stays, now the switch's.
      t.transferorGone = true;
      tx.respond(createResponse(req, 200, "OK"));
      // Its lamp goes idle and hunt groups may ring it again; the call's record stays as it was.
      this.ctx.dialogs.partyLeft(req.callId, t.held.transferorTag);
      this.ctx.o.logger?.info(
        { event: "outside-transfer-transferor-left", callId: req.callId, state: t.state },
        "the transferor's BYE answered by the switch: the outside party stays on the call",
      );
      return true;
    }
    if (t.state === "calling") return false; // still the transferor's call (a hold, a NOTIFY answer)
    tx.respond(createResponse(req, 481, "Call/Transaction Does Not Exist"));
    return true;
  }

  // ---------------------------------------------------------------- the outside party

  async #fromOutside(t: Transfer, req: SipRequest, tx: ServerTransactionLike): Promise<boolean> {
    if (t.state === "calling") {
      // Still the transferor's call: forwarded. A BYE now ends the attempt too.
      if (req.method === "BYE") this.#end(t, "outside-left");
      return false;
    }
    const leg = t.leg;
    if (leg.answer === undefined) return false;
    await this.#answerHeld(req, tx, req.callId, t.held.outsideTag, t.held.transferorTag, leg.answer);
    if (req.method === "BYE") this.#end(t, "outside");
    return true;
  }

  /**
   * The switch answers a request in a dialog it holds: a BYE (the call's end recorded as the
   * proxy records any), a refresh (INVITE/UPDATE: its offer through the relay, the answer what
   * the switch's leg points at; the session timer restarts), anything else 200 (OPTIONS, INFO).
   */
  async #answerHeld(
    req: SipRequest,
    tx: ServerTransactionLike,
    callId: string,
    offerTag: string,
    answerTag: string,
    answerSdp: string,
  ): Promise<void> {
    if (req.method === "BYE") {
      await this.byeAnswered(req);
      tx.respond(createResponse(req, 200, "OK"));
      return;
    }
    if (req.method !== "INVITE" && req.method !== "UPDATE") {
      const known = req.method === "OPTIONS" || req.method === "INFO" || req.method === "NOTIFY";
      tx.respond(createResponse(req, known ? 200 : 501, known ? "OK" : "Not Implemented"));
      return;
    }
    const headers: [string, string][] = [];
    const se = req.get("session-expires");
    if (se !== undefined) {
      headers.push(["Session-Expires", `${se.split(";")[0]?.trim()};refresher=uac`], ["Require", "timer"]);
    }
    const { host, port } = localSentBy(this.ctx.o.stack, this.ctx.o.advertisedAddress);
    headers.push(["Contact", `<sip:transfer@${host}:${port}>`]);
    const media = this.ctx.o.media;
    let body: Buffer | undefined;
    if (media !== undefined) {
      try {
        // An offerless re-INVITE (RFC 3261 §14.2) gets an offer: the party answers in its ACK.
        if (req.method === "INVITE" && req.body.length === 0)
          body = Buffer.from(await media.offerAs(callId, answerTag, answerSdp));
        else if (req.body.length > 0)
          body = Buffer.from(
            await media.answerHeld(callId, offerTag, req.body.toString("utf8"), answerTag, answerSdp),
          );
      } catch (err) {
        this.ctx.o.logger?.warn({ err, callId }, "held call's re-offer not taken by the relay");
        tx.respond(createResponse(req, 488, "Not Acceptable Here"));
        return;
      }
    }
    const res = createResponse(req, 200, "OK", {
      headers,
      ...(body !== undefined && { body, contentType: "application/sdp" }),
    });
    this.refreshed(req, res);
    tx.respond(res);
  }

  // ---------------------------------------------------------------- the target

  #targetLeg(held: HeldDialog, referral: OutsideReferral, offer: string): TargetLeg {
    const o = this.ctx.o;
    const { host, port } = localSentBy(o.stack, o.advertisedAddress);
    const callId = `xfer-${randomBase64url(12)}@${host}`;
    const tag = newTag();
    const domain = referral.transferor.domain;
    const headers: [string, string][] = [
      ["Via", `SIP/2.0/UDP ${host}:${port};branch=${newBranch()};rport`],
      ["From", `${held.outsideIdentity};tag=${tag}`],
      ["To", `<sip:${referral.target}@${domain}>`],
      ["Call-ID", callId],
      ["CSeq", "1 INVITE"],
      ["Contact", `<sip:transfer@${host}:${port}>`],
      ["Max-Forwards", "70"],
      ["Referred-By", `<sip:${referral.transferor.extension}@${domain}>`],
      ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"],
    ];
    const r = referral.replaces;
    if (r !== undefined) headers.push(["Replaces", `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}`]);
    const invite = createRequest({
      method: "INVITE",
      uri: `sip:${referral.target}@${domain}`,
      headers,
      contentType: "application/sdp",
      body: Buffer.from(offer),
    });
    this.#own.add(invite);
    const leg: TargetLeg = {
      callId,
      tag,
      invite,
      offer,
      tx: new LocalServerTransaction(invite, (res) => this.#onTargetResponse(leg, res)),
    };
    return leg;
  }

  #onTargetResponse(leg: TargetLeg, res: SipResponse): void {
    const t = this.#byTarget.get(leg.callId);
    if (res.status < 200) {
      if (t !== undefined && res.status === 180) this.#notify(t, "SIP/2.0 180 Ringing", false);
      return;
    }
    if (res.status >= 300) {
      if (t !== undefined) this.#failed(t, res.status, res.reason);
      return;
    }
    const toTag = res.to.params.get("tag");
    const contact = res.contact[0]?.uri.raw;
    const to = res.get("to");
    if (typeof toTag !== "string" || contact === undefined || to === undefined) return;
    leg.side = {
      local: leg.invite.get("from") ?? "",
      remote: to,
      remoteTarget: contact,
      routes: [...res.getAll("record-route")].reverse(),
      cseq: 2,
    };
    this.#send(
      dialogRequest(
        this.ctx.o.stack,
        this.ctx.o.advertisedAddress,
        leg.callId,
        leg.side,
        "ACK",
        [],
        undefined,
        1,
      ),
    );
    if (t === undefined || t.state !== "calling") {
      // The outside party left while the target was answering: the target gets a BYE at once.
      this.#send(this.#bye(leg.callId, leg.side, "Q.850;cause=16"), () => undefined);
      return;
    }
    void this.#bridge(t, res).catch((err: unknown) => {
      this.ctx.o.logger?.error({ err, callId: t.held.callId }, "bridging a transferred outside party failed");
      this.#end(t, "failed");
    });
  }

  async #bridge(t: Transfer, res: SipResponse): Promise<void> {
    const media = this.ctx.o.media;
    const sdp = res.body.length > 0 ? res.body.toString("utf8") : undefined;
    if (media === undefined || sdp === undefined) {
      this.#failed(t, 488, "Not Acceptable Here");
      return;
    }
    await media.repoint(t.held.callId, t.held.transferorTag, sdp);
    t.leg.answer = sdp;
    t.state = "bridged";
    this.#refreshEvery(t, t.held.callId, t.held.towardOutside);
    if (t.leg.side !== undefined) this.#refreshEvery(t, t.leg.callId, t.leg.side);
    this.#notify(t, "SIP/2.0 200 OK", true);
    if (isOnHold(media.sdpFrom(t.held.callId, t.held.outsideTag))) this.#takeOffHold(t);
    this.ctx.o.logger?.info(
      { event: "outside-transfer-bridged", callId: t.held.callId, targetCallId: t.leg.callId },
      "transfer of an outside party: the target answered, the outside party's media goes to it",
    );
  }

  /**
   * The transferor had put the outside party on hold: the outside party would go on not sending.
   * The switch re-INVITEs it, in the transferor's place, with the transferor's last offer (the
   * relay's sockets facing it) made sendrecv, a new version; the answer is applied to the relay's
   * outside leg and the transferor's leg stays pointed at the target.
   */
  #takeOffHold(t: Transfer): void {
    const media = this.ctx.o.media;
    const last = media?.sdpFrom(t.held.callId, t.held.transferorTag);
    const answer = t.leg.answer;
    if (media === undefined || last === undefined || answer === undefined) return;
    const { callId } = t.held;
    const side = t.held.towardOutside;
    const invite = dialogRequest(
      this.ctx.o.stack,
      this.ctx.o.advertisedAddress,
      callId,
      side,
      "INVITE",
      [["Contact", `<${t.held.towardTransferor.remoteTarget}>`]],
      { type: "application/sdp", bytes: Buffer.from(nextVersion(offHold(last))) },
    );
    this.#send(invite, (res) => {
      if (res.status < 200) return;
      if (res.status >= 300) {
        this.ctx.o.logger?.warn(
          { event: "outside-transfer-resume-refused", callId, status: res.status },
          "the outside party refused to be taken off hold",
        );
        return;
      }
      this.#send(
        dialogRequest(
          this.ctx.o.stack,
          this.ctx.o.advertisedAddress,
          callId,
          side,
          "ACK",
          [],
          undefined,
          invite.cseq.seq,
        ),
      );
      const sdp = res.body.toString("utf8");
      if (sdp === "") return;
      media.answerHeld(callId, t.held.outsideTag, sdp, t.held.transferorTag, answer).catch((err: unknown) => {
        this.ctx.o.logger?.warn({ err, callId }, "the outside party's resumed SDP not taken by the relay");
      });
    });
    this.ctx.o.logger?.info(
      { event: "outside-transfer-resume", callId },
      "the outside party was on hold: the switch takes it off hold",
    );
  }

  /** The target did not answer: the transferor is told; with no transferor left, the call ends. */
  #failed(t: Transfer, status: number, reason: string): void {
    this.#forget(t);
    t.state = "ended";
    this.#notify(t, `SIP/2.0 ${status} ${reason}`, true);
    this.ctx.o.logger?.info(
      { event: "outside-transfer-failed", callId: t.held.callId, status, transferorGone: t.transferorGone },
      "transfer of an outside party: the target did not answer",
    );
    if (t.transferorGone) this.#send(this.#bye(t.held.callId, t.held.towardOutside, "Q.850;cause=16"));
  }

  /**
   * One side hung up, or the switch ended one: the side(s) still up get a BYE, once. `outside`:
   * the outside party's BYE (answered here); `target`: the target's; `outside-left`: the outside
   * party left while the target rang; `outside-ended`: the switch ended the outside call from the
   * middle (its BYEs already sent); `target-ended`: the same for the target's call, which the
   * switch placed itself (no BYE of the middle reaches it); `failed`: the bridge could not be made.
   */
  #end(
    t: Transfer,
    who: "outside" | "target" | "outside-left" | "outside-ended" | "target-ended" | "failed",
  ): void {
    if (t.state === "ended") return;
    const wasCalling = t.state === "calling";
    t.state = "ended";
    this.#forget(t);
    const leg = t.leg;
    this.ctx.o.logger?.info(
      { event: "outside-transfer-ended", callId: t.held.callId, targetCallId: leg.callId, by: who },
      "transferred outside call ended",
    );
    if (wasCalling || leg.side === undefined) {
      this.ctx.forks.get(leg.tx)?.cancel();
      return;
    }
    if (who !== "target") this.#send(this.#bye(leg.callId, leg.side, "Q.850;cause=16"));
    if (who === "target" || who === "target-ended" || who === "failed")
      this.#send(this.#bye(t.held.callId, t.held.towardOutside, "Q.850;cause=16"));
  }

  /**
   * RFC 4028 on the held dialogs: the transferor may have been the outside call's refresher, and
   * the switch is the target call's UAC; nobody else would refresh them, and the far end would
   * end the call at the interval. The switch refreshes each dialog whose session timer runs at
   * half its interval, with an UPDATE without a body (RFC 4028 §7.4: no media change, nothing for
   * the relay), taking the refresher role (`refresher=uac`). Its 2xx restarts the proxy's timer
   * on the way back, as any refresh's does.
   */
  #refreshEvery(t: Transfer, callId: string, side: DialogSide): void {
    const seconds = this.intervalOf(callId);
    if (seconds === undefined) return;
    const timer = setTimeout(
      () => {
        t.refreshes = t.refreshes.filter((x) => x !== timer);
        if (t.state !== "bridged") return;
        const update = dialogRequest(this.ctx.o.stack, this.ctx.o.advertisedAddress, callId, side, "UPDATE", [
          ["Session-Expires", `${seconds};refresher=uac`],
          ["Supported", "timer"],
        ]);
        this.#send(update, (res) => {
          if (res.status >= 200 && res.status < 300) this.#refreshEvery(t, callId, side);
          else
            this.ctx.o.logger?.warn(
              { event: "held-refresh-refused", callId, status: res.status },
              "a held call's session refresh was refused: its session timer will end it",
            );
        });
      },
      (seconds * 1000) / 2,
    );
    timer.unref();
    t.refreshes.push(timer);
  }

  #forget(t: Transfer): void {
    for (const timer of t.refreshes) clearTimeout(timer);
    t.refreshes = [];
    this.#byOutside.delete(t.held.callId);
    this.#byTarget.delete(t.leg.callId);
  }

  // ---------------------------------------------------------------- messages

  #notify(t: Transfer, frag: string, final: boolean): void {
    if (t.transferorGone) return;
    const req = dialogRequest(
      this.ctx.o.stack,
      this.ctx.o.advertisedAddress,
      t.held.callId,
      t.held.towardTransferor,
      "NOTIFY",
      [
        ["Event", `refer;id=${t.referCseq}`],
        ["Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"],
        // The outside party's own Contact: the transferor's view of the dialog does not move.
        ["Contact", `<${t.held.towardOutside.remoteTarget}>`],
      ],
      { type: SIPFRAG, bytes: Buffer.from(`${frag}\r\n`) },
    );
    this.#send(req);
  }

  #bye(callId: string, side: DialogSide, cause: string): SipRequest {
    return dialogRequest(this.ctx.o.stack, this.ctx.o.advertisedAddress, callId, side, "BYE", [
      ["Reason", `${cause};text="Transferred call ended"`],
    ]);
  }

  /** Through the proxy's own in-dialog path (route set, CSeq shift, records), responses to `then`. */
  #send(req: SipRequest, then: (res: SipResponse) => void = () => undefined): void {
    this.#own.add(req);
    if (req.method === "ACK") {
      this.ctx.inject(req, undefined);
      return;
    }
    this.ctx.inject(req, new LocalServerTransaction(req, then));
  }
}
