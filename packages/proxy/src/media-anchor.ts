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
      res.setBody(Buffer.from(out), "application/sdp");
    } catch (err) {
      this.logger?.warn({ err, callId: res.callId }, "media answer failed");
    }
  }

  /** Ends the call's media: its per-leg counters go to the log (the proof media crossed the relay). */
  async release(callId: string): Promise<void> {
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
}

function sdpOf(msg: SipMessage): string | undefined {
  if (msg.body.length === 0) return undefined;
  const type = (msg.contentType ?? "").toLowerCase();
  if (!type.startsWith("application/sdp")) return undefined;
  return msg.body.toString("utf8");
}
