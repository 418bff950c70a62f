import type { NumberingPlan } from "@centrex/dialplan";
import { formatForCarrier } from "@centrex/dialplan";
import {
  type ClientTransaction,
  type ClientTransactionDelegate,
  type ClientTransactionLike,
  newBranch,
  parseMessage,
  parseUri,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type TransactionTarget,
} from "@centrex/sip";
import type { Carrier } from "@centrex/store";
import type { Logger } from "pino";
import { carrierTransport } from "./carrier-directory.js";
import { answerChallenge, isStale } from "./digest-client.js";
import { hostPort, localHostPort, localVia } from "./local-address.js";
import type { Presentation } from "./presentation.js";
import { defaultPort, type SipTarget } from "./resolver.js";

/** What an outbound call tells its owner (the proxy), as the proxy's `ForkOwner`. */
export interface OutboundCallOwner {
  /** A provisional (180/183…) from the carrier being tried, ready to relay to the caller. */
  onCarrierProvisional?(call: OutboundCall, res: SipResponse): void;
  /** Every 2xx (the first, then retransmissions and other 2xx: relay them all, as §16.7 does). */
  onCarrierAnswered(call: OutboundCall, res: SipResponse): void;
  /**
   * The call failed. `res` is the carrier's final answer when it is about the destination
   * (busy, not found, declined…) and should be relayed; undefined when every carrier failed
   * (`status` 503), or after `cancel()` (487): the owner answers the caller itself.
   */
  onCarrierFailed(call: OutboundCall, status: number, res: SipResponse | undefined): void;
}

/** Where carriers come from: `CarrierDirectory` is the implementation. */
export interface CarrierChooser {
  candidates(e164: string): Promise<Carrier[]>;
  targets(carrier: Carrier): Promise<SipTarget[]>;
  /** Passive health: what this call saw at a carrier (`failure` says why it failed; undefined: it worked). */
  report?(carrier: Carrier, failure: string | undefined): void;
}

export interface OutboundCallOptions {
  readonly stack: SipStack;
  readonly carriers: CarrierChooser;
  readonly plan: NumberingPlan;
  /** The caller's INVITE, already authenticated and authorised by the proxy. Not modified. */
  readonly request: SipRequest;
  /**
   * The destination: E.164 ("+33…"), or a short number sent as dialled ("112", "3646"); the
   * carrier's number format applies to E.164 only.
   */
  readonly destination: string;
  /** The E.164 prefix that chooses carriers when `destination` is a short number ("+33"); default `destination`. */
  readonly routeAs?: string;
  /** Headers added to the carrier-facing INVITE (e.g. the emergency location). */
  readonly headers?: readonly (readonly [string, string])[];
  readonly presentation: Presentation;
  readonly owner: OutboundCallOwner;
  /** A carrier that sends no response at all (not even 100) in this time is cancelled and the next tried. Default 3 s. */
  readonly noResponseTimeoutMs?: number;
  /** Our Record-Route value, when the proxy stays in the dialog. */
  readonly recordRoute?: string;
  readonly advertisedAddress?: string;
  /** Branch for each INVITE we send (the proxy passes its loop-detecting branch); default `newBranch()`. */
  readonly branch?: () => string;
  readonly logger?: Logger;
}

/** One INVITE sent to one address of one carrier. */
export interface CarrierAttempt {
  readonly carrier: Carrier;
  readonly target: SipTarget;
  /** The final status, "timeout" (no response in time), "transport" (send failed), or undefined while pending. */
  outcome: number | "timeout" | "transport" | "cancelled" | undefined;
}

interface Attempt extends CarrierAttempt {
  readonly base: SipRequest;
  tx: ClientTransaction | undefined;
  challenges: number;
  responded: boolean;
  abandoned: boolean;
  /** Passive health already told what this attempt says about its carrier. */
  reported: boolean;
}

/**
 * The header carrying the caller's declared INSEE commune code on every emergency call, so a
 * carrier can route a short emergency number to the centre serving that commune.
 */
export const EMERGENCY_COMMUNE_HEADER = "X-Emergency-Commune";

/** Statuses that say "this carrier cannot take the call now": try the next one (as drouting does). */
function isCarrierFailure(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

/**
 * One call from a phone to the PSTN: builds the carrier-facing INVITE (number in the carrier's
 * format, presented identity, privacy), tries the live carriers for the destination in order
 * and each carrier's addresses in RFC 3263 order, answers digest challenges, and moves to the
 * next on 5xx, 408, no response in `noResponseTimeoutMs`, or a transport error. The caller only
 * notices a longer wait for ringback. Responses reach the owner with our Via removed and the
 * caller's own From, To and CSeq restored, ready to relay.
 */
export class OutboundCall implements ClientTransactionDelegate {
  readonly #o: OutboundCallOptions;
  readonly #attempts: Attempt[] = [];
  readonly #byTx = new Map<ClientTransactionLike, Attempt>();
  #carriers: Carrier[] = [];
  #targets: SipTarget[] = [];
  #carrier: Carrier | undefined;
  #base: SipRequest | undefined;
  #current: Attempt | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #answered = false;
  #cseqOffset = 0;
  #started = false;

  constructor(opts: OutboundCallOptions) {
    this.#o = opts;
  }

  /** Every attempt so far, in order (for logs, CDRs and tests). */
  get attempts(): readonly CarrierAttempt[] {
    return this.#attempts;
  }

  /** The carrier that answered (or is being tried). */
  get carrier(): Carrier | undefined {
    return this.#current?.carrier;
  }

  /** Where the answering carrier was reached. */
  get target(): SipTarget | undefined {
    return this.#current?.target;
  }

  get answered(): boolean {
    return this.#answered;
  }

  get done(): boolean {
    return this.#done;
  }

  /**
   * How much higher the CSeq the carrier saw is than the caller's (one per answered challenge).
   * The proxy adds it to the caller's in-dialog requests (ACK of the 2xx, BYE…) toward the carrier.
   */
  get cseqOffset(): number {
    return this.#cseqOffset;
  }

  /** Starts trying carriers; failures are reported through the owner, never thrown. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#o.carriers.candidates(this.#o.routeAs ?? this.#o.destination).then(
      (carriers) => {
        this.#carriers = carriers;
        if (carriers.length === 0) this.#log("warn", "no live carrier for destination");
        this.#next();
      },
      (err: unknown) => {
        this.#o.logger?.error({ err, callId: this.#o.request.callId }, "carrier lookup failed");
        this.#exhausted();
      },
    );
  }

  /** The caller cancelled (or rang too long): cancel the INVITE in progress; the owner gets 487. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#clearTimer();
    const a = this.#current;
    if (a !== undefined && a.outcome === undefined) {
      a.outcome = "cancelled";
      if (a.tx !== undefined) this.#o.stack.transactions.cancel(a.tx, IGNORE);
    }
    this.#o.owner.onCarrierFailed(this, 487, undefined);
  }

  // ---------------------------------------------------------------- client transaction delegate

  onResponse(res: SipResponse, tx: ClientTransactionLike): void {
    const a = this.#byTx.get(tx);
    if (a === undefined) return;
    const status = res.status;
    a.responded = true;
    if (a === this.#current) this.#clearTimer();
    if (status === 100) return;
    if (status >= 200 && status < 300 && (a.abandoned || (this.#done && !this.#answered))) {
      // Answered after we moved on or were cancelled: nobody will take this leg, hang it up.
      this.#release(a, res);
      return;
    }
    if (a.abandoned) return;
    if (status >= 180) {
      this.#report(a, isCarrierFailure(status) ? `${status} ${res.reason} to a call` : undefined);
    }
    if (status >= 200 && status < 300) {
      const first = !this.#answered;
      this.#answered = true;
      this.#done = true;
      if (first) a.outcome = status;
      this.#o.owner.onCarrierAnswered(this, this.#toCaller(res));
      return;
    }
    if (this.#done) return;
    if (status < 200) {
      this.#o.owner.onCarrierProvisional?.(this, this.#toCaller(res));
      return;
    }
    a.outcome = status;
    if ((status === 401 || status === 407) && this.#retryWithCredentials(a, res)) return;
    if (isCarrierFailure(status) || status === 401 || status === 407 || status === 403) {
      // 401/407 we could not answer, 403 to our credentials: the carrier refuses us, not the callee.
      this.#log("info", "carrier failed, trying next", { status, carrier: a.carrier.name });
      this.#next();
      return;
    }
    this.#done = true;
    this.#o.owner.onCarrierFailed(this, status, this.#toCaller(res));
  }

  onTimeout(tx: ClientTransactionLike): void {
    const a = this.#byTx.get(tx);
    if (a === undefined || a !== this.#current || a.abandoned || this.#done) return;
    a.outcome = "timeout";
    this.#report(a, "INVITE timed out");
    this.#next();
  }

  onTransportError(tx: ClientTransactionLike): void {
    const a = this.#byTx.get(tx);
    if (a === undefined || a !== this.#current || a.abandoned || this.#done) return;
    a.outcome = "transport";
    this.#report(a, "INVITE could not be sent");
    this.#next();
  }

  /** Once per attempt: the carrier's answer (or silence) feeds its passive health. */
  #report(a: Attempt, failure: string | undefined): void {
    if (a.reported) return;
    a.reported = true;
    this.#o.carriers.report?.(a.carrier, failure);
  }

  onTerminated(tx: ClientTransactionLike): void {
    // Later 2xx retransmissions reach the proxy as strays (it forwards them along the Vias).
    this.#byTx.delete(tx);
  }

  // ---------------------------------------------------------------- internals

  /** The next address of the current carrier, else the next carrier, else failure. */
  #next(): void {
    if (this.#done) return;
    this.#clearTimer();
    const target = this.#targets.shift();
    if (target !== undefined && this.#carrier !== undefined && this.#base !== undefined) {
      this.#send(this.#carrier, this.#base, target);
      return;
    }
    const carrier = this.#carriers.shift();
    if (carrier === undefined) {
      this.#exhausted();
      return;
    }
    this.#o.carriers.targets(carrier).then(
      (targets) => {
        if (this.#done) return;
        this.#carrier = carrier;
        this.#targets = targets;
        try {
          this.#base = this.#buildInvite(carrier);
        } catch (err) {
          this.#o.logger?.error({ err, carrier: carrier.name }, "cannot build INVITE for carrier");
          this.#targets = [];
        }
        this.#next();
      },
      (err: unknown) => {
        this.#o.logger?.warn({ err, carrier: carrier.name }, "carrier does not resolve");
        this.#next();
      },
    );
  }

  #send(
    carrier: Carrier,
    base: SipRequest,
    target: SipTarget,
    auth?: { header: string; value: string },
  ): void {
    const req = parseMessage(base.toBuffer()) as SipRequest;
    req.set("cseq", `${this.#o.request.cseq.seq + this.#cseqOffset} INVITE`);
    if (auth !== undefined) req.set(auth.header, auth.value);
    req.prepend("via", localVia(this.#o, target.transport, target.address, (this.#o.branch ?? newBranch)()));
    const a: Attempt = {
      carrier,
      target,
      base,
      outcome: undefined,
      tx: undefined,
      challenges: 0,
      responded: false,
      abandoned: false,
      reported: false,
    };
    const previous = this.#current;
    if (auth !== undefined && previous !== undefined) a.challenges = previous.challenges;
    this.#current = a;
    this.#attempts.push(a);
    const t: TransactionTarget = { transport: target.transport, address: target.address, port: target.port };
    try {
      a.tx = this.#o.stack.transactions.sendRequest(req, t, this);
      this.#byTx.set(a.tx, a);
    } catch (err) {
      this.#o.logger?.warn({ err, carrier: carrier.name }, "INVITE to carrier could not be sent");
      a.outcome = "transport";
      this.#report(a, "INVITE could not be sent");
      queueMicrotask(() => this.#next());
      return;
    }
    const ms = this.#o.noResponseTimeoutMs ?? 3_000;
    this.#timer = setTimeout(() => this.#noResponse(a), ms);
  }

  #noResponse(a: Attempt): void {
    this.#timer = undefined;
    if (this.#done || a !== this.#current || a.responded) return;
    a.outcome = "timeout";
    a.abandoned = true;
    this.#report(a, `no answer to a call in ${this.#o.noResponseTimeoutMs ?? 3_000} ms`);
    // The CANCEL leaves if the carrier ever sends a provisional (§9.1: not before).
    if (a.tx !== undefined) this.#o.stack.transactions.cancel(a.tx, IGNORE);
    this.#log("info", "carrier silent, trying next", { carrier: a.carrier.name, address: a.target.address });
    this.#next();
  }

  /** Re-sends with credentials: new branch, CSeq + 1, same Call-ID and tags. False when we cannot. */
  #retryWithCredentials(a: Attempt, res: SipResponse): boolean {
    const c = a.carrier;
    if (c.username === null || c.password === null) return false;
    if (a.challenges >= 1 && !isStale(res)) return false; // our credentials were refused
    if (a.challenges >= 3) return false;
    let answer: ReturnType<typeof answerChallenge>;
    try {
      answer = answerChallenge(a.base, res, { username: c.username, password: c.password });
    } catch {
      return false;
    }
    this.#cseqOffset++;
    a.challenges++;
    this.#send(c, a.base, a.target, answer);
    return true;
  }

  #exhausted(): void {
    if (this.#done) return;
    this.#done = true;
    this.#clearTimer();
    this.#log("warn", "every carrier failed", {
      attempts: this.#attempts.map(
        (x) => `${x.carrier.name}@${x.target.address}:${x.target.port}=${x.outcome}`,
      ),
    });
    this.#o.owner.onCarrierFailed(this, 503, undefined);
  }

  /** The carrier-facing INVITE (without our Via and CSeq, set per send). */
  #buildInvite(carrier: Carrier): SipRequest {
    const o = this.#o;
    const req = parseMessage(o.request.toBuffer()) as SipRequest;
    const transport = carrierTransport(carrier);
    const number = formatForCarrier(o.destination, carrier.numberFormat, o.plan);
    const port = carrier.port === defaultPort(transport) ? undefined : carrier.port;
    const params = transport === "UDP" ? "" : `;transport=${transport.toLowerCase()}`;
    const uri = `sip:${number}@${hostPort(carrier.host, port)}${params}`;
    req.uri = parseUri(uri);
    req.set("to", `<${uri}>`);
    const fromTag = o.request.from.params.get("tag") ?? "";
    const ourHost = localHostPort(o, transport, carrier.host).replace(/:\d+$/, "");
    const presented = formatForCarrier(o.presentation.number, carrier.numberFormat, o.plan);
    const identity = `<sip:${presented}@${ourHost};user=phone>`;
    const display = o.presentation.displayName;
    if (o.presentation.withheld) {
      // RFC 3323/3325: anonymous From, the real identity in PAI for the carrier's eyes only.
      req.set("from", `"Anonymous" <sip:anonymous@anonymous.invalid>;tag=${fromTag}`);
      req.set("privacy", "id");
    } else {
      req.set(
        "from",
        `${display === undefined ? "" : `${quoteDisplay(display)} `}${identity};tag=${fromTag}`,
      );
      req.remove("privacy");
    }
    req.set("p-asserted-identity", identity);
    req.remove("p-preferred-identity");
    req.remove("remote-party-id");
    req.remove("authorization");
    req.remove("proxy-authorization");
    req.remove("route");
    // Only we say where an emergency caller is: a phone's own header never reaches the carrier.
    req.remove(EMERGENCY_COMMUNE_HEADER);
    for (const [name, value] of o.headers ?? []) req.set(name, value);
    req.set("max-forwards", String(Math.max(0, (o.request.maxForwards ?? 70) - 1)));
    if (o.recordRoute !== undefined) req.prepend("record-route", o.recordRoute);
    return req;
  }

  /** A carrier response as the caller must see it: our Via off, the caller's From/To/CSeq back. */
  #toCaller(res: SipResponse): SipResponse {
    const req = this.#o.request;
    res.removeFirst("via");
    const from = req.get("from");
    const to = req.get("to");
    if (from !== undefined) res.set("from", from);
    const tag = res.to.params.get("tag");
    if (to !== undefined) res.set("to", typeof tag === "string" ? `${to};tag=${tag}` : to);
    if (this.#cseqOffset !== 0) res.set("cseq", `${req.cseq.seq} INVITE`);
    return res;
  }

  /** ACK and BYE a 2xx nobody wants (the call moved on, or was cancelled as it was answered). */
  #release(a: Attempt, res: SipResponse): void {
    const contact = res.contact[0]?.uri.raw;
    const to = res.get("to");
    const from = res.get("from");
    if (contact === undefined || to === undefined || from === undefined) return;
    const t: TransactionTarget = {
      transport: a.target.transport,
      address: a.target.address,
      port: a.target.port,
    };
    const routes = res
      .getAll("record-route")
      .reverse()
      .map((r) => `Route: ${r}\r\n`)
      .join("");
    const build = (method: string, seq: number): SipRequest =>
      parseMessage(
        Buffer.from(
          `${method} ${contact} SIP/2.0\r\n` +
            `Via: ${localVia(this.#o, a.target.transport, a.target.address)}\r\n` +
            `From: ${from}\r\nTo: ${to}\r\nCall-ID: ${res.callId}\r\nCSeq: ${seq} ${method}\r\n` +
            `${routes}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
        ),
      ) as SipRequest;
    try {
      this.#o.stack.sendStateless(build("ACK", res.cseq.seq), t);
      this.#o.stack.transactions.sendRequest(build("BYE", res.cseq.seq + 1), t, IGNORE);
      this.#log("info", "released a late answer", { carrier: a.carrier.name });
    } catch (err) {
      this.#o.logger?.warn({ err, carrier: a.carrier.name }, "could not release a late answer");
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #log(level: "info" | "warn", msg: string, extra: Record<string, unknown> = {}): void {
    this.#o.logger?.[level](
      { callId: this.#o.request.callId, destination: this.#o.destination, ...extra },
      msg,
    );
  }
}

const IGNORE: ClientTransactionDelegate = {
  onResponse() {},
  onTimeout() {},
  onTransportError() {},
};

function quoteDisplay(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&").replace(/[\r\n]/g, " ")}"`;
}
