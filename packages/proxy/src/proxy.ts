import type { Decision } from "@centrex/dialplan";
import type { DigestAuthenticator } from "@centrex/registrar";
import {
  type ClientTransactionDelegate,
  createResponse,
  parseUri,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type SipUri,
  type TransactionTarget,
} from "@centrex/sip";
import type { Binding, Store } from "@centrex/store";
import {
  calledNumber,
  EMERGENCY_COMMUNE_HEADER,
  mainNumberFallback,
  type Presentation,
  presentation,
  requestedIdentity,
  routeInbound,
  type Trunk,
} from "@centrex/trunk";
import type { Logger } from "pino";
import type { CallEventSink, CallParty, CallRouting } from "./call-events.js";
import type { CallPolicy } from "./call-policy.js";
import { type DialogEnds, sendByeBothWays } from "./dialog-teardown.js";
import { DialogTracker } from "./dialogs.js";
import { ProxyRefusal } from "./errors.js";
import { Fork, type ForkOwner } from "./fork.js";
import { LocalAddresses } from "./local-addresses.js";
import { isLooping, loopHash, proxyBranch } from "./loop.js";
import type { MediaAnchor } from "./media-anchor.js";
import { fixNatedContact } from "./nat.js";
import { targetOfUri } from "./next-hop.js";
import { PstnCall, type PstnCallOwner, type PstnExtra } from "./pstn-call.js";

export interface ProxyOptions {
  readonly stack: SipStack;
  readonly store: Pick<Store, "extensions" | "locations" | "ringGroups" | "numbers" | "policies">;
  readonly authenticator: DigestAuthenticator;
  readonly events?: CallEventSink;
  /** The media relay every call is anchored through; none = media flows phone to phone. */
  readonly media?: MediaAnchor;
  /** The operator's rules for numbers that are not extensions; none = such calls get 404. */
  readonly policy?: CallPolicy;
  /** Where the support line (22 22) rings: the operator's own extension. */
  readonly support?: () => Promise<{ customerId: number; extensionId: number } | undefined>;
  /** The carriers: PSTN and emergency calls go out through them, DID calls come in from them. */
  readonly trunk?: Trunk;
  /** Fraud detection on PSTN calls: a call it does not admit is refused (emergency calls never ask). */
  readonly pstnGuard?: PstnGuard;
  /** How long a call may ring before the caller gets 480 (ms); default 60 s. */
  readonly ringTimeoutMs?: number;
  /** Challenge initial requests from phones with 407 (production); a bench may turn it off. */
  readonly authenticateCalls?: boolean;
  /** Address put in our Via and Record-Route when the listener is a wildcard. */
  readonly advertisedAddress?: string;
  /** Other names phones know this server by (the failover service name): Routes to them are ours. */
  readonly localNames?: readonly string[];
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/** Admits (or not) a call to the PSTN: live fraud monitors. */
export interface PstnGuard {
  admit(call: {
    callId: string;
    customerId: number;
    extension: string;
    destinationClass: string;
    called: string;
  }): Promise<boolean>;
  ended(callId: string): void;
}

/** Who placed a call, once authenticated. */
interface Caller {
  readonly customerId: number;
  readonly extension: string;
  readonly domain: string;
}

const DIALOG_CREATING = new Set(["INVITE"]);
const ROUTED_INITIAL = new Set(["INVITE", "MESSAGE", "OPTIONS"]);

/**
 * The stateful proxy (RFC 3261 §16): validates, authenticates the caller,
 * finds the callee's phones in the location service, forks, record-routes,
 * and forwards in-dialog requests along the route set.
 */
export class SipProxy implements ForkOwner, PstnCallOwner {
  readonly dialogs: DialogTracker;
  readonly #o: ProxyOptions;
  readonly #local: LocalAddresses;
  /** Calls still ringing, by the caller's INVITE transaction: what a CANCEL stops. */
  readonly #forks = new Map<ServerTransactionLike, { cancel(): void }>();
  /**
   * PSTN calls whose INVITE to the carrier went out with a higher CSeq (a digest challenge was
   * answered): the caller's later requests are shifted by as much, by Call-ID.
   */
  readonly #cseqShift = new Map<string, { offset: number; callerTag: string }>();
  readonly #forkCallers = new WeakMap<Fork, { caller: Caller }>();
  /** Answered calls, to end them from the middle when their media dies; by Call-ID. */
  readonly #answered = new Map<string, DialogEnds>();

  constructor(opts: ProxyOptions) {
    this.#o = opts;
    this.#local = new LocalAddresses(opts.stack, [
      ...(opts.advertisedAddress === undefined ? [] : [opts.advertisedAddress]),
      ...(opts.localNames ?? []),
    ]);
    this.dialogs = new DialogTracker(opts.events ?? {}, opts.clock);
  }

  get activeForks(): number {
    return this.#forks.size;
  }

  // ---------------------------------------------------------------- entry points

  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, _source: TransactionTarget): void {
    if (req.method === "ACK") {
      if (tx === undefined) this.#forwardAck(req);
      return;
    }
    if (tx === undefined) return;
    if (req.method === "CANCEL") {
      this.#cancel(req, tx);
      return;
    }
    this.#handle(req, tx).catch((err: unknown) => {
      if (err instanceof ProxyRefusal) {
        this.#refuse(req, tx, err.status, err.reason, err.recorded);
        return;
      }
      this.#o.logger?.error({ err, callId: req.callId }, "request handling failed");
      this.#refuse(req, tx, 500, "Server Internal Error");
    });
  }

  /** 2xx retransmissions after the client transaction ended: forward along the Via path. */
  onStrayResponse(res: SipResponse): void {
    const vias = res.via;
    const top = vias[0];
    const next = vias[1];
    if (top === undefined || next === undefined || !this.#local.isOurs(top.host, top.port)) return;
    res.removeFirst("via");
    const target: TransactionTarget = {
      transport: next.transport,
      address: next.received ?? stripBrackets(next.host),
      port: typeof next.rport === "number" ? next.rport : (next.port ?? 5060),
    };
    this.#o.stack.sendStateless(res, target);
  }

  /**
   * The relay saw no media for too long: the call is over for billing (no
   * ghost call is billed), and its ports are already released.
   */
  async onMediaTimeout(callId: string): Promise<void> {
    const ends = this.#answered.get(callId);
    this.#o.logger?.warn(
      { event: "media-timeout", callId, answered: ends !== undefined },
      "call ended: no media",
    );
    if (ends !== undefined) {
      this.#answered.delete(callId);
      sendByeBothWays(this.#o.stack, ends, "Media timeout", this.#o.advertisedAddress);
    }
    await this.dialogs.endAll(callId, 200, "media-timeout");
  }

  // ---------------------------------------------------------------- request handling

  async #handle(req: SipRequest, tx: ServerTransactionLike): Promise<void> {
    const mf = req.maxForwards ?? 70;
    if (mf <= 0) throw new ProxyRefusal(483, "Too Many Hops");
    if (isLooping(req, (h, p) => this.#local.isOurs(h, p))) throw new ProxyRefusal(482, "Loop Detected");
    this.#popOwnRoutes(req);
    if (req.to.params.get("tag") !== undefined) {
      await this.#forwardInDialog(req, tx, mf);
      return;
    }
    await this.#routeInitial(req, tx, mf);
  }

  /** Removes the Route entries that name us (loose routing, §16.4). */
  #popOwnRoutes(req: SipRequest): void {
    for (;;) {
      const top = req.route[0];
      if (top === undefined) return;
      const uri = top.uri;
      if (uri.scheme !== "sip" && uri.scheme !== "sips") return;
      const u = uri as SipUri;
      if (!this.#local.isOurs(u.host, u.port)) return;
      req.removeFirst("route");
    }
  }

  async #routeInitial(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    if (req.method === "BYE" || req.method === "UPDATE" || req.method === "PRACK" || req.method === "INFO") {
      throw new ProxyRefusal(481, "Call/Transaction Does Not Exist");
    }
    if (!ROUTED_INITIAL.has(req.method)) throw new ProxyRefusal(405, "Method Not Allowed");
    if (req.route.length > 0) throw new ProxyRefusal(403, "Forbidden - Relaying denied");
    const from = this.#o.stack.sourceOf(req);
    if (from !== undefined && this.#o.trunk?.isCarrierSource(from.remoteAddress, from.remotePort)) {
      await this.#routeInbound(req, tx, mf);
      return;
    }
    const caller = await this.#identify(req, tx);
    if (caller === undefined) return; // challenged
    const dialled = requestUser(req, caller.domain);
    if (req.method === "INVITE") tx.respond(createResponse(req, 100, "Trying"));
    const now = (this.#o.clock ?? Date.now)();
    const callee = await this.#locateCallee(req, tx, caller, dialled);
    if (callee === undefined) return; // handed over (PSTN) or refused
    let bindings: Binding[] = [];
    for (const id of callee.ids) bindings = bindings.concat(await this.#o.store.locations.current(id, now));
    if (bindings.length === 0) throw new ProxyRefusal(480, "Temporarily Unavailable");

    const callerParty: CallParty = {
      customerId: caller.customerId,
      extension: caller.extension,
      uri: req.from.uri.raw,
    };
    const calleeParty: CallParty = {
      customerId: callee.customerId,
      extension: callee.number,
      uri: req.uri.raw,
    };
    if (req.method === "INVITE") {
      this.dialogs.started(
        req.callId,
        req.from.params.get("tag") ?? "",
        callerParty,
        dialled,
        callee.routing,
        calleeParty,
      );
    }
    await this.#fork(req, tx, mf, bindings, caller);
  }

  /** Forwards a request to every binding in parallel (record-routed, media anchored). */
  async #fork(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    bindings: readonly Binding[],
    caller: Caller | undefined,
  ): Promise<void> {
    const source = this.#o.stack.sourceOf(req);
    if (source !== undefined && DIALOG_CREATING.has(req.method)) {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    if (req.method === "INVITE") await this.#o.media?.offer(req);
    const fork = new Fork(req, tx, this.#o.stack.transactions, this);
    this.#forks.set(tx, fork);
    if (caller !== undefined) this.#forkCallers.set(fork, { caller });
    const recordRoute = DIALOG_CREATING.has(req.method) ? this.#recordRoute(req) : undefined;
    for (const b of bindings) {
      const target = bindingTarget(b);
      fork.addBranch(this.#prepareBranch(req, b.contact, mf, recordRoute, target), target);
    }
    fork.started(req.method === "INVITE" ? (this.#o.ringTimeoutMs ?? 60_000) : undefined);
  }

  /**
   * Who the dialled number reaches: an extension or ring group of the caller's
   * customer, else what the operator's rules say (support line, PSTN via the
   * gateway, emergency, or a refusal with its own status and reason).
   */
  async #locateCallee(
    req: SipRequest,
    tx: ServerTransactionLike,
    caller: Caller,
    dialled: string,
  ): Promise<{ ids: number[]; customerId: number; number: string; routing: CallRouting } | undefined> {
    const internal: CallRouting = { direction: "internal", destinationClass: "internal", called: dialled };
    const ext = await this.#o.store.extensions.find(caller.customerId, dialled);
    if (ext !== undefined) {
      if (!ext.enabled) throw new ProxyRefusal(480, "Temporarily Unavailable");
      return { ids: [ext.id], customerId: caller.customerId, number: dialled, routing: internal };
    }
    const group = await this.#o.store.ringGroups.find(caller.customerId, dialled);
    if (group !== undefined) {
      return { ids: [...group.members], customerId: caller.customerId, number: dialled, routing: internal };
    }
    const policy = this.#o.policy;
    if (policy === undefined) throw new ProxyRefusal(404, "Not Found");
    const decision = await policy.decide(dialled, caller.customerId, caller.extension);
    switch (decision.kind) {
      case "internal":
        throw new ProxyRefusal(404, "Not Found");
      case "refuse":
        this.#o.logger?.warn(
          {
            event: "call-refused",
            callId: req.callId,
            code: decision.code,
            status: decision.status,
            reason: decision.reason,
            alert: decision.alert,
            customerId: caller.customerId,
            extension: caller.extension,
            dialled,
          },
          "call refused by policy",
        );
        if (req.method === "INVITE") {
          const fromTag = req.from.params.get("tag") ?? "";
          this.dialogs.started(req.callId, fromTag, this.#party(req, caller), dialled, {
            direction: "outbound",
            destinationClass: "refused",
          });
          void this.dialogs.ended(req.callId, fromTag, undefined, decision.status, "refused", decision.code);
        }
        throw new ProxyRefusal(decision.status, decision.reason, true);
      case "support": {
        const support = this.#o.support;
        if (support === undefined) throw new ProxyRefusal(480, "Temporarily Unavailable - No support line");
        const target = await support();
        if (target === undefined) throw new ProxyRefusal(480, "Temporarily Unavailable - No support line");
        return {
          ids: [target.extensionId],
          customerId: target.customerId,
          number: decision.number,
          routing: { direction: "internal", destinationClass: "support", called: decision.number },
        };
      }
      case "emergency":
      case "pstn":
        await this.#routePstn(req, tx, caller, dialled, decision);
        return undefined;
    }
  }

  /** A call to the PSTN (or an emergency centre) through the best live carrier. */
  async #routePstn(
    req: SipRequest,
    tx: ServerTransactionLike,
    caller: Caller,
    dialled: string,
    decision: Extract<Decision, { kind: "pstn" | "emergency" }>,
  ): Promise<void> {
    const trunk = this.#o.trunk;
    const plan = this.#o.policy?.data.plan;
    if (trunk === undefined || plan === undefined) {
      throw new ProxyRefusal(503, "Service Unavailable - No PSTN gateway");
    }
    const emergency = decision.kind === "emergency";
    const ext = await this.#o.store.extensions.find(caller.customerId, caller.extension);
    // An emergency call always shows the caller's real identity (rule 15): no privacy request applies.
    const requested = emergency ? {} : requestedIdentity(req, plan);
    const shown = await presentation(this.#o.store, caller.customerId, ext?.id, requested);
    if (shown === undefined) throw new ProxyRefusal(403, "Forbidden - No number of the customer to present");
    const fromTag = req.from.params.get("tag") ?? "";
    // Short numbers (3BPQ, 118…) have no E.164 form: the carrier gets them as dialled. So does an
    // emergency number when no table names the centre: the carrier routes it by the commune.
    const destination =
      decision.kind === "emergency"
        ? (decision.e164 ?? decision.service)
        : (decision.e164 ?? decision.number);
    const destinationClass = emergency ? "emergency" : decision.class;
    this.dialogs.started(req.callId, fromTag, this.#party(req, caller), dialled, {
      direction: "outbound",
      destinationClass,
      called: destination,
    });
    const guard = this.#o.pstnGuard;
    if (!emergency && guard !== undefined) {
      const admitted = await guard.admit({
        callId: req.callId,
        customerId: caller.customerId,
        extension: caller.extension,
        destinationClass,
        called: destination,
      });
      if (!admitted) {
        void this.dialogs.ended(req.callId, fromTag, undefined, 403, "refused", "pstn-suspended");
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
    this.#placePstnCall(req, tx, destination, emergency ? { ...shown, withheld: false } : shown, extra);
  }

  #placePstnCall(
    req: SipRequest,
    tx: ServerTransactionLike,
    e164: string,
    shown: Presentation,
    extra: PstnExtra = {},
  ): void {
    const source = this.#o.stack.sourceOf(req);
    if (source !== undefined) {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    const start = async () => {
      await this.#o.media?.offer(req);
      const hash = loopHash(req);
      const call = new PstnCall(
        req,
        tx,
        this.#o.trunk!,
        e164,
        shown,
        this,
        this.#o.media,
        this.#recordRoute(req),
        () => proxyBranch(hash),
        extra,
      );
      this.#forks.set(tx, call);
      call.start();
    };
    return void start().catch((err: unknown) => {
      if (err instanceof ProxyRefusal) this.#refuse(req, tx, err.status, err.reason);
      else this.#refuse(req, tx, 500, "Server Internal Error");
    });
  }

  onPstnAnswered(call: PstnCall, res: SipResponse): void {
    this.#forks.delete(call.serverTx);
    const req = call.request;
    const callerTag = req.from.params.get("tag") ?? "";
    const offset = call.outbound.cseqOffset;
    if (offset !== 0) this.#cseqShift.set(req.callId, { offset, callerTag });
    const target = call.outbound.target;
    if (target !== undefined) this.#rememberEnds(req, res, target);
    const toTag = res.to.params.get("tag");
    if (typeof toTag === "string") this.dialogs.answered(req.callId, callerTag, toTag);
  }

  onPstnFailed(call: PstnCall, status: number): void {
    this.#forks.delete(call.serverTx);
    const req = call.request;
    this.#o.pstnGuard?.ended(req.callId);
    const reason = status === 487 ? "cancelled" : status === 486 || status === 600 ? "busy" : "rejected";
    void this.dialogs.ended(req.callId, req.from.params.get("tag") ?? "", undefined, status, reason);
    void this.#o.media?.release(req.callId);
  }

  /**
   * A call from a carrier to one of the customers' numbers (DID): never
   * challenged (the carrier is known by its address), routed to the number's
   * extension or ring group; the main number goes to the customer's fallback
   * number when no phone of the customer can take it (rule 22).
   */
  async #routeInbound(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    const plan = this.#o.policy?.data.plan;
    if (plan === undefined || req.method !== "INVITE") throw new ProxyRefusal(403, "Forbidden");
    const called = calledNumber(req);
    if (called === undefined) throw new ProxyRefusal(404, "Not Found");
    const route = await routeInbound(this.#o.store, plan, called);
    if (route.kind === "refuse") throw new ProxyRefusal(route.status, route.reason);
    tx.respond(createResponse(req, 100, "Trying"));
    const now = (this.#o.clock ?? Date.now)();
    const ids =
      route.target.kind === "extension"
        ? [route.target.id]
        : [...(await this.#o.store.ringGroups.get(route.target.id)).members];
    let bindings: Binding[] = [];
    for (const id of ids) bindings = bindings.concat(await this.#o.store.locations.current(id, now));
    const caller: CallParty = { customerId: route.customerId, uri: req.from.uri.raw };
    const fromTag = req.from.params.get("tag") ?? "";
    if (bindings.length === 0) {
      const policy = await this.#o.store.policies.get(route.customerId);
      const fallback = mainNumberFallback({
        isMain: route.isMain,
        reachablePhones: 0,
        fallbackNumber: policy.fallbackNumber,
      });
      if (fallback.kind !== "fallback") throw new ProxyRefusal(480, "Temporarily Unavailable");
      // The outage redirection is at the operator's cost; the caller sees the DID it called.
      this.dialogs.started(req.callId, fromTag, caller, called, {
        direction: "outbound",
        destinationClass: "fallback",
        called: fallback.number,
      });
      this.#o.logger?.info(
        { event: "main-number-fallback", callId: req.callId, to: fallback.number },
        "outage fallback",
      );
      this.#placePstnCall(req, tx, fallback.number, { number: route.e164, withheld: false });
      return;
    }
    this.dialogs.started(req.callId, fromTag, caller, called, {
      direction: "inbound",
      destinationClass: "inbound",
      called: route.e164,
    });
    await this.#fork(req, tx, mf, bindings, undefined);
  }

  #party(req: SipRequest, caller: Caller): CallParty {
    return { customerId: caller.customerId, extension: caller.extension, uri: req.from.uri.raw };
  }

  /** Authenticates the caller (407) and returns who it is; undefined when a challenge was sent. */
  async #identify(req: SipRequest, tx: ServerTransactionLike): Promise<Caller | undefined> {
    const from = req.from.uri;
    if (from.scheme !== "sip" && from.scheme !== "sips")
      throw new ProxyRefusal(403, "Forbidden - Unknown caller");
    const f = from as SipUri;
    const domain = f.host.toLowerCase();
    if (this.#o.authenticateCalls === false) {
      const creds = await this.#o.store.extensions.findCredentials(domain, f.user ?? "");
      if (creds === undefined) throw new ProxyRefusal(403, "Forbidden - Unknown caller");
      return { customerId: creds.customerId, extension: creds.number, domain };
    }
    const auth = await this.#o.authenticator.authenticate(req, domain, "proxy");
    if (!auth.ok) {
      // The 407 keeps no transaction (RFC 3261 §8.2.7); its ACK is absorbed by its To tag.
      if (auth.response.status === 407) tx.respondStateless(auth.response);
      else tx.respond(auth.response);
      return undefined;
    }
    if (f.user !== auth.username) throw new ProxyRefusal(403, "Forbidden - From does not match credentials");
    return { customerId: auth.credentials.customerId, extension: auth.username, domain };
  }

  /** A copy of the request for one branch (§16.6): new Request-URI, Max-Forwards, Record-Route, Via. */
  #prepareBranch(
    req: SipRequest,
    contact: string,
    mf: number,
    recordRoute: string | undefined,
    target: TransactionTarget,
  ): SipRequest {
    const copy = req.clone();
    copy.uri = parseUri(contact);
    copy.set("max-forwards", String(mf - 1));
    copy.remove("proxy-authorization");
    if (recordRoute !== undefined) copy.prepend("record-route", recordRoute);
    copy.prepend("via", this.#via(target, loopHash(req)));
    return copy;
  }

  async #forwardInDialog(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    const next = req.route[0]?.uri ?? req.uri;
    const target = targetOfUri(next);
    if (this.#local.isOurs(target.address, target.port)) throw new ProxyRefusal(404, "Not Found");
    const source = this.#o.stack.sourceOf(req);
    if (source !== undefined && req.method === "INVITE") {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    const shift = this.#shiftCseq(req);
    const reanchor = req.method === "INVITE" || req.method === "UPDATE";
    if (reanchor) await this.#o.media?.offer(req);
    req.set("max-forwards", String(mf - 1));
    req.prepend("via", this.#via(target, loopHash(req)));
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
          relay(res, () => this.#byeAnswered(req, res));
          return;
        }
        const media = this.#o.media;
        if (reanchor && media !== undefined && res.status > 100 && res.status < 300) {
          relay(res, () => media.answer(res));
          return;
        }
        relay(res);
      },
      onTimeout: () => {
        if (req.method === "BYE") void this.#byeAnswered(req, undefined);
        tx.respond(createResponse(req, 408, "Request Timeout"));
      },
      onTransportError: () => {
        if (req.method === "BYE") void this.#byeAnswered(req, undefined);
        tx.respond(createResponse(req, 503, "Service Unavailable"));
      },
    };
    this.#o.stack.transactions.sendRequest(req, target, delegate);
  }

  /** The call ends when its BYE is answered; the record is written before the 200 is relayed. */
  async #byeAnswered(req: SipRequest, _res: SipResponse | undefined): Promise<void> {
    this.#answered.delete(req.callId);
    this.#o.pstnGuard?.ended(req.callId);
    this.#cseqShift.delete(req.callId);
    await this.#o.media?.release(req.callId);
    try {
      await this.dialogs.ended(
        req.callId,
        req.from.params.get("tag") ?? "",
        req.to.params.get("tag") ?? undefined,
        200,
        "caller-bye",
      );
    } catch (err) {
      this.#o.logger?.error({ err, callId: req.callId }, "recording the end of a call failed");
    }
  }

  #forwardAck(req: SipRequest): void {
    try {
      const mf = req.maxForwards ?? 70;
      if (mf <= 0) return;
      this.#popOwnRoutes(req);
      const target = targetOfUri(req.route[0]?.uri ?? req.uri);
      if (this.#local.isOurs(target.address, target.port)) return;
      this.#shiftCseq(req);
      req.set("max-forwards", String(mf - 1));
      req.prepend("via", this.#via(target, loopHash(req)));
      this.#o.stack.sendStateless(req, target);
    } catch (err) {
      this.#o.logger?.debug({ err, callId: req.callId }, "ACK not forwarded");
    }
  }

  #cancel(cancel: SipRequest, tx: ServerTransactionLike): void {
    const invite = this.#o.stack.transactions.findInviteForCancel(cancel);
    const fork = invite === undefined ? undefined : this.#forks.get(invite);
    if (fork === undefined) {
      tx.respond(createResponse(cancel, 481, "Call/Transaction Does Not Exist"));
      return;
    }
    tx.respond(createResponse(cancel, 200, "OK"));
    fork.cancel();
  }

  // ---------------------------------------------------------------- fork outcomes

  async prepareResponse(fork: Fork, res: SipResponse): Promise<void> {
    if (fork.request.method === "INVITE" && res.status > 100 && res.status < 300)
      await this.#o.media?.answer(res);
  }

  onForkAnswered(fork: Fork, res: SipResponse, target: TransactionTarget): void {
    this.#forks.delete(fork.serverTx);
    if (fork.request.method !== "INVITE") return;
    this.#rememberEnds(fork.request, res, target);
    const toTag = res.to.params.get("tag");
    if (typeof toTag === "string")
      this.dialogs.answered(fork.request.callId, fork.request.from.params.get("tag") ?? "", toTag);
  }

  onForkFailed(fork: Fork, status: number): void {
    this.#forks.delete(fork.serverTx);
    const req = fork.request;
    if (req.method !== "INVITE") return;
    const reason =
      status === 487
        ? "cancelled"
        : status === 486 || status === 600
          ? "busy"
          : status === 480
            ? "no-answer"
            : "rejected";
    void this.dialogs.ended(req.callId, req.from.params.get("tag") ?? "", undefined, status, reason);
    void this.#o.media?.release(req.callId);
    this.#o.logger?.info({ event: "call-failed", callId: req.callId, status }, "call not answered");
  }

  // ---------------------------------------------------------------- helpers

  /** Applies a PSTN dialog's CSeq offset to a caller's in-dialog request; returns the shift applied. */
  #shiftCseq(req: SipRequest): number {
    const shift = this.#cseqShift.get(req.callId);
    if (shift === undefined || req.from.params.get("tag") !== shift.callerTag) return 0;
    req.set("cseq", `${req.cseq.seq + shift.offset} ${req.cseq.method}`);
    return shift.offset;
  }

  #rememberEnds(invite: SipRequest, res: SipResponse, calleeTarget: TransactionTarget): void {
    const source = this.#o.stack.sourceOf(invite);
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

  #refuse(
    req: SipRequest,
    tx: ServerTransactionLike,
    status: number,
    reason: string,
    recorded = false,
  ): void {
    this.#o.logger?.info(
      { event: "refused", callId: req.callId, method: req.method, status, reason },
      "request refused",
    );
    if (req.method === "INVITE" && !recorded) {
      void this.dialogs.ended(req.callId, req.from.params.get("tag") ?? "", undefined, status, "rejected");
    }
    tx.respond(createResponse(req, status, reason));
  }

  #recordRoute(req: SipRequest): string {
    const source = this.#o.stack.sourceOf(req);
    const transport = source?.transport ?? "UDP";
    const host = this.#o.advertisedAddress ?? source?.localAddress ?? "127.0.0.1";
    const port = source?.localPort ?? this.#o.stack.sentBy(transport)?.port ?? 5060;
    const t = transport === "UDP" ? "" : `;transport=${transport.toLowerCase()}`;
    return `<sip:${bracket(host)}:${port}${t};lr>`;
  }

  #via(target: TransactionTarget, hash: string): string {
    const transport = target.transport as "UDP" | "TCP" | "TLS";
    const sentBy = this.#o.stack.sentBy(transport);
    let host = this.#o.advertisedAddress ?? sentBy?.host ?? "127.0.0.1";
    if (host === "0.0.0.0" || host === "[::]") host = target.address.includes(":") ? "[::1]" : "127.0.0.1";
    return `SIP/2.0/${transport} ${bracket(host)}:${sentBy?.port ?? 5060};branch=${proxyBranch(hash)};rport`;
  }
}

function bindingTarget(b: Binding): TransactionTarget {
  const connectionId = b.connectionId === null ? undefined : Number(b.connectionId);
  return {
    transport: b.transport.toUpperCase(),
    address: b.sourceAddress,
    port: b.sourcePort,
    ...(connectionId !== undefined && { connectionId }),
  };
}

/** The number dialled: the Request-URI's user part, when the URI is for the caller's domain or for us. */
function requestUser(req: SipRequest, callerDomain: string): string {
  const uri = req.uri;
  if (uri.scheme !== "sip" && uri.scheme !== "sips") throw new ProxyRefusal(416, "Unsupported URI Scheme");
  const u = uri as SipUri;
  if (u.user === undefined) throw new ProxyRefusal(404, "Not Found");
  const host = u.host.toLowerCase();
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
  // Tenants are isolated: a phone reaches only its own customer's extensions.
  if (!isIp && host !== callerDomain) throw new ProxyRefusal(404, "Not Found");
  return u.user;
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function stripBrackets(host: string): string {
  return host.startsWith("[") ? host.slice(1, -1) : host;
}
