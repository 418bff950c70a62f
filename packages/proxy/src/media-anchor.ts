import type { MediaController, MediaOptions } from "@centrex/media";
import type { SipMessage, SipRequest, SipResponse } from "@centrex/sip";
import type { Logger } from "pino";
import { ProxyRefusal } from "./errors.js";

/**
 * Puts the relay in every call's media path (offer on INVITE, answer on the
 * 18x/2xx, re-anchor on re-INVITE/UPDATE, delete at the end), so phones behind
 * NAT get two-way audio. The proxy never touches packets: it only rewrites SDP
 * through the media control API.
 */
export class MediaAnchor {
  /**
   * Per call, per party (its dialog tag): the last SDP that party sent, as rewritten for the
   * other (the relay's sockets facing the other, the sender's codecs). An outside party's transfer
   * offers the target what the transferor was last sent.
   */
  readonly #sent = new Map<string, Map<string, string>>();

  constructor(
    readonly controller: MediaController,
    readonly options: MediaOptions = {},
    readonly logger?: Logger,
  ) {}

  /** Rewrites an offer in a request (INVITE, re-INVITE, UPDATE); refuses the call if the relay cannot. */
  async offer(req: SipRequest): Promise<void> {
    const sdp = sdpOf(req);
    if (sdp === undefined) return;
    const fromTag = req.from.params.get("tag") ?? "";
    try {
      const out = await this.controller.offer(req.callId, fromTag, sdp, this.options);
      this.#remember(req.callId, fromTag, out);
      req.setBody(Buffer.from(out), "application/sdp");
    } catch (err) {
      this.logger?.warn({ err, callId: req.callId }, "media offer failed");
      throw new ProxyRefusal(488, "Not Acceptable Here - Media relay refused the offer");
    }
  }

  /** Rewrites an answer in a response; on failure the response goes through unchanged (logged). */
  async answer(res: SipResponse): Promise<void> {
    const sdp = sdpOf(res);
    if (sdp === undefined) return;
    const toTag = res.to.params.get("tag");
    if (typeof toTag !== "string") return;
    try {
      const out = await this.controller.answer(res.callId, toTag, sdp, this.options);
      this.#remember(res.callId, toTag, out);
      res.setBody(Buffer.from(out), "application/sdp");
    } catch (err) {
      this.logger?.warn({ err, callId: res.callId }, "media answer failed");
    }
  }

  /** The last SDP the party with this tag sent in the call, as the other party received it. */
  sdpFrom(callId: string, tag: string): string | undefined {
    return this.#sent.get(callId)?.get(tag);
  }

  /**
   * Points the relay's leg of `tag` in `callId` at another endpoint (the SDP it now answers
   * with): the other party's media goes there. What the relay would send the other party is not
   * sent: its own sockets, hence its dialog, do not change. The call's latching becomes
   * trust-address: the new endpoint is one of the relay's own sockets (no NAT to learn), and the
   * party it replaces keeps sending until its BYE — latching again would take whichever packet
   * came first, and a locked wrong source holds for the re-learn time (3 s of silence measured
   * in test/outside-transfer.test.ts). The other leg keeps the address it latched on.
   */
  async repoint(callId: string, tag: string, sdp: string): Promise<void> {
    await this.controller.offer(callId, tag, sdp, { ...this.options, latching: "trust-address" });
  }

  /**
   * The switch answers a held party's re-offer itself: the offer goes through the relay (a moved
   * party is followed), and the answer is what `answeringTag`'s leg now points at, rewritten.
   */
  async answerHeld(
    callId: string,
    offerTag: string,
    offer: string,
    answeringTag: string,
    answer: string,
  ): Promise<string> {
    await this.controller.offer(callId, offerTag, offer, this.options);
    return this.controller.answer(callId, answeringTag, answer, this.options);
  }

  /**
   * The switch answers a held party's offerless re-INVITE itself: the offer it makes is what the
   * leg of `tag` now points at, rewritten for the party; the party's answer comes in its ACK.
   */
  offerAs(callId: string, tag: string, sdp: string): Promise<string> {
    return this.controller.offer(callId, tag, sdp, this.options);
  }

  /** The answer to `offerAs`, from the held party's ACK. */
  async answerFrom(callId: string, tag: string, sdp: string): Promise<void> {
    await this.controller.answer(callId, tag, sdp, this.options);
  }

  /** Ends the call's media: its per-leg counters go to the log (the proof media crossed the relay). */
  async release(callId: string): Promise<void> {
    this.#sent.delete(callId);
    try {
      const stats = await this.controller.query(callId);
      this.logger?.info(
        {
          event: "media-stats",
          callId,
          legs: stats.legs.map((leg) => ({
            tag: leg.tag,
            packets: leg.streams.reduce((n, st) => n + st.packets, 0),
            lost: leg.streams.reduce((n, st) => n + st.lost, 0),
            jitterMs: Math.max(0, ...leg.streams.map((st) => st.jitterMs)),
            strictDrops: leg.streams.reduce((n, st) => n + st.strictDrops, 0),
            // Who forwarded them: the relay's sockets, or the kernel (nftables counters).
            userspacePackets: leg.streams.reduce((n, st) => n + st.userspacePackets, 0),
            kernelPackets: leg.streams.reduce((n, st) => n + st.kernelPackets, 0),
          })),
        },
        "call media",
      );
    } catch {
      // Never anchored, or already timed out: nothing to report.
    }
    try {
      await this.controller.delete(callId);
    } catch (err) {
      this.logger?.debug({ err, callId }, "media delete failed");
    }
  }

  #remember(callId: string, tag: string, sdp: string): void {
    let byTag = this.#sent.get(callId);
    if (byTag === undefined) {
      byTag = new Map();
      this.#sent.set(callId, byTag);
    }
    byTag.set(tag, sdp);
  }
}

function sdpOf(msg: SipMessage): string | undefined {
  if (msg.body.length === 0) return undefined;
  const type = (msg.contentType ?? "").toLowerCase();
  if (!type.startsWith("application/sdp")) return undefined;
  return msg.body.toString("utf8");
}
