import { createResponse, type ServerTransactionLike, type SipRequest, type SipResponse } from "@centrex/sip";
import type { OutboundCall, OutboundCallOwner, Presentation, Trunk } from "@centrex/trunk";
import type { MediaAnchor } from "./media-anchor.js";

/** How a call to the PSTN differs from a plain one: carriers chosen by another prefix, extra headers. */
export interface PstnExtra {
  readonly routeAs?: string;
  readonly headers?: readonly (readonly [string, string])[];
}

/** What a PSTN call reports back to the proxy. */
export interface PstnCallOwner {
  onPstnAnswered(call: PstnCall, res: SipResponse): void;
  onPstnFailed(call: PstnCall, status: number): void;
}

/**
 * A phone's call to the PSTN, between the caller's server transaction and the
 * trunk's outbound call: relays the carrier's responses (SDP anchored in the
 * relay, in order), and answers the caller itself when every carrier failed.
 */
export class PstnCall implements OutboundCallOwner {
  readonly outbound: OutboundCall;
  #chain: Promise<void> = Promise.resolve();
  #answered = false;
  #failed = false;

  constructor(
    readonly request: SipRequest,
    readonly serverTx: ServerTransactionLike,
    trunk: Trunk,
    destination: string,
    presentation: Presentation,
    readonly owner: PstnCallOwner,
    readonly media: MediaAnchor | undefined,
    recordRoute: string,
    branch: () => string,
    extra: PstnExtra = {},
  ) {
    this.outbound = trunk.outboundCall({
      request,
      destination,
      presentation,
      owner: this,
      recordRoute,
      branch,
      ...(extra.routeAs !== undefined && { routeAs: extra.routeAs }),
      ...(extra.headers !== undefined && { headers: extra.headers }),
    });
  }

  start(): void {
    this.outbound.start();
  }

  cancel(): void {
    this.outbound.cancel();
  }

  get answered(): boolean {
    return this.#answered;
  }

  onCarrierProvisional(_call: OutboundCall, res: SipResponse): void {
    if (res.status === 100) return;
    this.#relay(res, true);
  }

  onCarrierAnswered(_call: OutboundCall, res: SipResponse): void {
    if (!this.#answered) {
      this.#answered = true;
      this.owner.onPstnAnswered(this, res);
    }
    this.#relay(res, true);
  }

  onCarrierFailed(_call: OutboundCall, status: number, res: SipResponse | undefined): void {
    if (this.#failed) return;
    this.#failed = true;
    this.owner.onPstnFailed(this, status);
    const reason = status === 503 ? "Service Unavailable - No carrier available" : undefined;
    this.#relay(res ?? createResponse(this.request, status, reason), false);
  }

  #relay(res: SipResponse, anchor: boolean): void {
    const media = this.media;
    this.#chain = this.#chain
      .then(() => (anchor && media !== undefined ? media.answer(res) : undefined))
      .catch(() => undefined)
      .then(() => {
        this.serverTx.respond(res);
      });
  }
}
