import type { CallStats, MediaController } from "@centrex/media";
import type { CallEventSink, CallStarted } from "@centrex/proxy";

/** RTP the relay received from one carrier, over the calls through it that ended since start. */
export interface CarrierMediaTotals {
  readonly calls: number;
  readonly packets: number;
  /** Missing from the sequence numbers received (RFC 3550 A.3). */
  readonly lost: number;
  /**
   * Packets the loss was measured over: the sequence span the relay itself saw (RFC 3550 A.3
   * "expected"). Once a stream is forwarded by the kernel (media.kernel auto), its packets are
   * counted but their sequence numbers are not read, so this is far below `packets`: the loss
   * rate is lost / measured, over the start of each call only.
   */
  readonly measured: number;
}

interface CarrierCall {
  readonly carrier: string;
  /** The carrier's side of the call is the leg with this tag (inbound) or any other leg (outbound). */
  readonly callerTag: string;
  readonly carrierIsCaller: boolean;
  last: CallStats | undefined;
}

/** A call through a carrier whose media was never released (no relay, media timeout) is forgotten after this. */
const FORGET_MS = 30_000;

/**
 * Loss per carrier: for each call through a carrier, the relay's last counters of the
 * carrier's leg (what the relay received from the carrier) are added to that carrier's
 * totals when the call's media is released. The counters come from the query the proxy's
 * media anchor makes just before it deletes the call (`watch` wraps the controller it uses),
 * so tallying costs no extra round trip to the relay. A call whose media timed out has no
 * final reading and is not counted.
 */
export class CarrierMediaTally implements CallEventSink {
  readonly #calls = new Map<string, CarrierCall>();
  readonly #totals = new Map<string, CarrierMediaTotals>();

  onCallStarted(e: CallStarted): void {
    this.#track(e);
  }

  /** A call to the PSTN is known to go through a carrier only once one answers. */
  onCallAnswered(e: CallStarted): void {
    if (!this.#calls.has(e.callId)) this.#track(e);
  }

  #track(e: CallStarted): void {
    const carrier = e.routing.carrier;
    if (carrier === undefined) return;
    this.#calls.set(e.callId, {
      carrier,
      callerTag: e.fromTag,
      carrierIsCaller: e.routing.direction === "inbound",
      last: undefined,
    });
  }

  onCallEnded(e: { readonly callId: string }): void {
    // The media may be released after the call's end is recorded (an operator's hang-up).
    const c = this.#calls.get(e.callId);
    if (c !== undefined)
      setTimeout(() => this.#calls.get(e.callId) === c && this.#calls.delete(e.callId), FORGET_MS).unref();
  }

  /** Totals by carrier name. */
  totals(): ReadonlyMap<string, CarrierMediaTotals> {
    return this.#totals;
  }

  /** The controller the media anchor should use: its readings and deletes feed the tally. */
  watch(inner: MediaController): MediaController {
    const seen = (s: CallStats): void => {
      const c = this.#calls.get(s.callId);
      if (c !== undefined) c.last = s;
    };
    const released = (callId: string): void => this.#released(callId);
    return {
      get delegate() {
        return inner.delegate;
      },
      set delegate(d) {
        inner.delegate = d;
      },
      offer: (callId, fromTag, sdp, opts) => inner.offer(callId, fromTag, sdp, opts),
      answer: (callId, toTag, sdp, opts) => inner.answer(callId, toTag, sdp, opts),
      query: async (callId) => {
        const s = await inner.query(callId);
        seen(s);
        return s;
      },
      delete: (callId) => {
        released(callId);
        return inner.delete(callId);
      },
      list: () => inner.list(),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
  }

  #released(callId: string): void {
    const c = this.#calls.get(callId);
    this.#calls.delete(callId);
    if (c?.last === undefined) return;
    let packets = 0;
    let lost = 0;
    let measured = 0;
    for (const leg of c.last.legs) {
      const carrierLeg = c.carrierIsCaller ? leg.tag === c.callerTag : leg.tag !== c.callerTag;
      if (!carrierLeg) continue;
      for (const st of leg.streams) {
        packets += st.packets;
        lost += st.lost;
        measured += st.expected;
      }
    }
    const t = this.#totals.get(c.carrier) ?? { calls: 0, packets: 0, lost: 0, measured: 0 };
    this.#totals.set(c.carrier, {
      calls: t.calls + 1,
      packets: t.packets + packets,
      lost: t.lost + lost,
      measured: t.measured + measured,
    });
  }
}
