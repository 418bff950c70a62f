import {
  createResponse,
  parseUri,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type TransactionTarget,
} from "@centrex/sip";
import type { Binding, Extension, RingGroup } from "@centrex/store";
import {
  bindingAt,
  bindingTarget,
  onlyOwnRoutes,
  popOwnRoutes,
  recordRouteFor,
  stripBrackets,
  viaFor,
} from "./addressing.js";
import type { CallParty, CallRouting } from "./call-events.js";
import { CallPickup } from "./call-pickup.js";
import { type Caller, challengeWithoutCredentials, identifyCaller, partyOf, requestUser } from "./caller.js";
import { DialogTracker } from "./dialogs.js";
import { ProxyRefusal } from "./errors.js";
import { parseFeatureCode } from "./feature-codes.js";
import { applyFeatureCode } from "./feature-settings.js";
import { type FailureCause, Fork, type ForkOwner } from "./fork.js";
import { ExtensionDelivery } from "./forwarding.js";
import { type HangUpOutcome, hangUpCall } from "./hang-up.js";
import { InDialogRelay } from "./in-dialog.js";
import { routeInboundCall } from "./inbound-routing.js";
import { LocalAddresses } from "./local-addresses.js";
import { isLooping, loopHash } from "./loop.js";
import { fixNatedContact } from "./nat.js";
import type { Cancellable, ProxyContext } from "./proxy-context.js";
import type { ProxyOptions } from "./proxy-options.js";
import { PstnRouter } from "./pstn-routing.js";
import { RingGroupDelivery } from "./ring-group.js";
import { replacesOf } from "./transfer.js";
import { type VoicemailRoute, voicemailBinding } from "./voicemail-route.js";

export type { ProxyOptions, PstnGuard } from "./proxy-options.js";

/** Whom a call inside the customer reaches: one extension (with its call features) or several phones. */
interface Callee {
  readonly ids: readonly number[];
  readonly customerId: number;
  readonly number: string;
  readonly routing: CallRouting;
  readonly extension?: Extension;
  readonly group?: RingGroup;
}

const DIALOG_CREATING = new Set(["INVITE"]);
const ROUTED_INITIAL = new Set(["INVITE", "MESSAGE", "OPTIONS"]);

/**
 * The stateful proxy (RFC 3261 §16): validates, authenticates the caller,
 * finds the callee's phones in the location service, forks and record-routes.
 * PSTN calls, DID calls and in-dialog requests are handled by their own parts.
 */
export class SipProxy implements ForkOwner, ProxyContext {
  readonly dialogs: DialogTracker;
  readonly o: ProxyOptions;
  readonly local: LocalAddresses;
  readonly forks = new Map<ServerTransactionLike, Cancellable>();
  readonly #inDialog: InDialogRelay;
  readonly #pstn: PstnRouter;
  readonly #delivery: ExtensionDelivery;
  readonly #groups: RingGroupDelivery;
  readonly #pickup: CallPickup;
  /** Whose phone a binding is, when the callee is not one extension (a group's members). */
  readonly #memberOf = new WeakMap<Binding, CallParty>();
  /** The same, by the branch target the fork reports an answer with. */
  readonly #answerers = new WeakMap<TransactionTarget, CallParty>();
  /** INVITEs whose offer already went through the relay (a forwarded call is not anchored twice). */
  readonly #anchored = new WeakSet<SipRequest>();
  /** What to do when a fork fails, for forks that may be forwarded on. */
  readonly #onFail = new WeakMap<Fork, (cause: FailureCause) => boolean>();

  constructor(opts: ProxyOptions) {
    this.o = opts;
    this.local = new LocalAddresses(opts.stack, [
      ...(opts.advertisedAddress === undefined ? [] : [opts.advertisedAddress]),
      ...(opts.localNames ?? []),
    ]);
    this.dialogs = new DialogTracker(opts.events ?? {}, opts.clock);
    this.#inDialog = new InDialogRelay(this);
    this.#pstn = new PstnRouter(this, this.#inDialog);
    this.#delivery = new ExtensionDelivery(
      this,
      this.#pstn,
      (req, tx, mf, bindings, ringMs, onFail) => this.#fork(req, tx, mf, bindings, ringMs, onFail),
      (req, tx, mf, route, diversion) => this.#forkToVoicemail(req, tx, mf, route, diversion),
    );
    this.#groups = new RingGroupDelivery(
      this,
      (req, tx, mf, bindings, ringMs, onFail) => this.#fork(req, tx, mf, bindings, ringMs, onFail),
      (req, tx, mf, group, target, cause, chain, cancelled) =>
        this.#delivery.forwardTo(req, tx, mf, group, target, cause, chain, cancelled),
      this.#memberOf,
    );
    this.#delivery.groups = this.#groups;
    this.#pickup = new CallPickup(this, (fork, mf, phone, headers, picker, onFinal) => {
      const target = bindingTarget(phone);
      this.#answerers.set(target, picker);
      const branch = this.#prepareBranch(
        fork.request,
        phone.contact,
        mf,
        this.recordRoute(fork.request),
        target,
        loopHash(fork.request),
      );
      for (const [name, value] of headers) branch.set(name, value);
      fork.addBranch(branch, target, onFinal);
    });
  }

  async anchor(req: SipRequest): Promise<void> {
    if (req.method !== "INVITE" || this.#anchored.has(req)) return;
    await this.o.media?.offer(req);
    this.#anchored.add(req);
  }

  get activeForks(): number {
    return this.forks.size;
  }

  now(): number {
    return (this.o.clock ?? Date.now)();
  }

  recordRoute(req: SipRequest): string {
    return recordRouteFor(this.o.stack, this.o.advertisedAddress, req);
  }

  via(target: TransactionTarget, hash: string): string {
    return viaFor(this.o.stack, this.o.advertisedAddress, target, hash);
  }

  // ---------------------------------------------------------------- entry points

  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, _source: TransactionTarget): void {
    if (req.method === "ACK") {
      if (tx === undefined) this.#inDialog.forwardAck(req);
      return;
    }
    if (tx === undefined) return;
    if (req.method === "CANCEL") {
      this.#cancel(req, tx);
      return;
    }
    this.#handle(req, tx).catch((err: unknown) => {
      if (err instanceof ProxyRefusal) {
        this.refuse(req, tx, err.status, err.reason, err.recorded, err.headers);
        return;
      }
      this.o.logger?.error({ err, callId: req.callId }, "request handling failed");
      this.refuse(req, tx, 500, "Server Internal Error");
    });
  }

  /**
   * The 407 to an initial INVITE from a phone without credentials, before any transaction exists
   * (RFC 3261 §8.2.7): the same response `#handle` would send through `identifyCaller` (same To
   * tag, nonce and headers), decided from memory alone. Undefined — the stateful path — whenever
   * `#handle` would answer otherwise or first: Max-Forwards spent (483), a loop (482), a Route
   * not ours (403), a Session-Expires it refuses (422/400), a request from a carrier (DID call),
   * calls not authenticated, credentials present (their check reads the store), a From that is
   * not a SIP URI; and any exception.
   */
  answerStatelessly(req: SipRequest): SipResponse | undefined {
    if (req.method !== "INVITE") return undefined;
    try {
      if (req.to.params.get("tag") !== undefined) return undefined;
      if ((req.maxForwards ?? 70) <= 0) return undefined;
      if (isLooping(req, (h, p) => this.local.isOurs(h, p))) return undefined;
      if (!onlyOwnRoutes(req, this.local) || this.#inDialog.timers.refuses(req)) return undefined;
      const from = this.o.stack.sourceOf(req);
      if (from === undefined || this.o.trunk?.isCarrierSource(from.remoteAddress, from.remotePort)) {
        return undefined;
      }
      return challengeWithoutCredentials(this.o, req);
    } catch {
      return undefined;
    }
  }

  /** 2xx retransmissions after the client transaction ended: forward along the Via path. */
  onStrayResponse(res: SipResponse): void {
    const vias = res.via;
    const top = vias[0];
    const next = vias[1];
    if (top === undefined || next === undefined || !this.local.isOurs(top.host, top.port)) return;
    res.removeFirst("via");
    const target: TransactionTarget = {
      transport: next.transport,
      address: next.received ?? stripBrackets(next.host),
      port: typeof next.rport === "number" ? next.rport : (next.port ?? 5060),
    };
    this.o.stack.sendStateless(res, target);
  }

  /**
   * The relay saw no media for too long: the call is over for billing (no
   * ghost call is billed), and its ports are already released.
   */
  async onMediaTimeout(callId: string): Promise<void> {
    const answered = this.#inDialog.endFromMiddle(callId, "Media timeout");
    this.o.logger?.warn({ event: "media-timeout", callId, answered }, "call ended: no media");
    await this.dialogs.endAll(callId, 200, "media-timeout");
  }

  /** Ends the session timers' clocks (the switch is stopping). */
  stop(): void {
    this.#inDialog.timers.stopAll();
  }

  /** Ends a call in progress on an operator's request (BYE both ways, or CANCEL while ringing). */
  hangUp(callId: string): Promise<HangUpOutcome> {
    return hangUpCall(this, this.#inDialog, callId);
  }

  // ---------------------------------------------------------------- request handling

  async #handle(req: SipRequest, tx: ServerTransactionLike): Promise<void> {
    const mf = req.maxForwards ?? 70;
    if (mf <= 0) throw new ProxyRefusal(483, "Too Many Hops");
    if (isLooping(req, (h, p) => this.local.isOurs(h, p))) throw new ProxyRefusal(482, "Loop Detected");
    popOwnRoutes(req, this.local);
    if (req.method === "INVITE" || req.method === "UPDATE") this.#inDialog.timers.onRequest(req);
    if (req.to.params.get("tag") !== undefined) {
      await this.#inDialog.forward(req, tx, mf);
      return;
    }
    await this.#routeInitial(req, tx, mf);
  }

  async #routeInitial(req: SipRequest, tx: ServerTransactionLike, mf: number): Promise<void> {
    if (req.method === "BYE" || req.method === "UPDATE" || req.method === "PRACK" || req.method === "INFO") {
      throw new ProxyRefusal(481, "Call/Transaction Does Not Exist");
    }
    if (!ROUTED_INITIAL.has(req.method)) throw new ProxyRefusal(405, "Method Not Allowed");
    if (req.route.length > 0) throw new ProxyRefusal(403, "Forbidden - Relaying denied");
    const from = this.o.stack.sourceOf(req);
    if (from !== undefined && this.o.trunk?.isCarrierSource(from.remoteAddress, from.remotePort)) {
      await routeInboundCall(
        this,
        this.#pstn,
        async (r, t, m, id) => {
          const ext = await this.o.store.extensions.get(id);
          await this.#delivery.deliver(r, t, m, ext, [id]);
        },
        (r, t, m, group) => this.#groups.deliver(r, t, m, group, []),
        req,
        tx,
        mf,
      );
      return;
    }
    const authenticated = await identifyCaller(this.o, req, tx);
    if (authenticated === undefined) return; // challenged
    const dialled =
      this.#inDialog.transfers.dialledInTransferorDomain(req, authenticated) ??
      requestUser(req, authenticated.domain);
    // A transferee's call to the target of a REFER this proxy authorised is the transferor's call.
    const transfer =
      req.method === "INVITE" ? this.#inDialog.transfers.claim(req, authenticated, dialled) : undefined;
    const caller: Caller =
      transfer === undefined ? authenticated : { ...transfer.transferor, domain: authenticated.domain };
    if (transfer !== undefined) {
      this.dialogs.linkTransfer(req.callId, req.from.params.get("tag") ?? "", transfer.original);
    }
    await this.#routeCall(req, tx, mf, caller, dialled);
  }

  /**
   * The switch's own INVITE to the target of an outside party's transfer (it places the call on
   * the transferor's behalf): routed, authorised and billed exactly as if the transferor had
   * dialled the target, its record linked to the call it came from. Responses go to `tx`.
   */
  async placeTransferCall(
    req: SipRequest,
    tx: ServerTransactionLike,
    transferor: Caller,
    original: string,
  ): Promise<void> {
    this.dialogs.linkTransfer(req.callId, req.from.params.get("tag") ?? "", original);
    try {
      await this.#routeCall(req, tx, req.maxForwards ?? 70, transferor, requestUser(req, transferor.domain));
    } catch (err) {
      if (!(err instanceof ProxyRefusal)) throw err;
      this.refuse(req, tx, err.status, err.reason, err.recorded, err.headers);
    }
  }

  /** Passes a request the switch wrote itself (a BYE, an ACK of its own call) along its route. */
  inject(req: SipRequest, tx: ServerTransactionLike | undefined): void {
    this.onRequest(req, tx, { transport: "UDP", address: "127.0.0.1", port: 0 });
  }

  async #routeCall(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    caller: Caller,
    dialled: string,
  ): Promise<void> {
    if (req.method === "INVITE") {
      const code = parseFeatureCode(dialled);
      if (code?.kind === "pickup") {
        await this.#pickup.pickUp(req, tx, caller, code.pickup);
        return;
      }
      if (code !== undefined) {
        const done = await applyFeatureCode(this, caller, code, req.callId);
        tx.respond(createResponse(req, done.status, done.reason));
        return;
      }
      tx.respond(createResponse(req, 100, "Trying"));
    }
    if (req.method === "INVITE" && (await this.#routeReplaces(req, tx, mf, caller, dialled))) return;
    const mailbox = await this.o.voicemail?.dialled(caller.customerId, caller.extension, dialled);
    if (mailbox !== undefined) {
      await this.#routeVoicemail(req, tx, mf, caller, dialled, mailbox, this.now());
      return;
    }
    const callee = await this.#locateCallee(req, tx, caller, dialled);
    if (callee === undefined) return; // handed over (PSTN) or refused

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
      if (callee.extension !== undefined) {
        await this.#delivery.deliver(req, tx, mf, callee.extension, [callee.extension.id]);
        return;
      }
      if (callee.group !== undefined) {
        await this.#groups.deliver(req, tx, mf, callee.group, []);
        return;
      }
    }
    const now = this.now();
    let bindings: Binding[] = [];
    for (const id of callee.ids) bindings = bindings.concat(await this.o.store.locations.current(id, now));
    if (bindings.length === 0) throw new ProxyRefusal(480, "Temporarily Unavailable");
    await this.#fork(req, tx, mf, bindings);
  }

  /**
   * An INVITE with Replaces (RFC 3891, an attended transfer's last step) for a call that is up:
   * sent to the phone of that call the Replaces names by its tag, not to every phone of the
   * extension. False when it names no answered call of the caller's customer (routed as usual:
   * the phone answers 481 itself).
   */
  async #routeReplaces(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    caller: Caller,
    dialled: string,
  ): Promise<boolean> {
    const r = replacesOf(req);
    if (r === undefined) return false;
    const ends = this.#inDialog.endsOf(r.callId);
    const call = this.dialogs.find(r.callId, r.toTag, r.fromTag)?.call;
    if (ends === undefined || call === undefined) return false;
    if (call.caller.customerId !== caller.customerId && call.callee?.customerId !== caller.customerId)
      return false;
    // The to-tag is the receiving phone's own tag in the call to replace (RFC 3891 §3).
    const phone =
      ends.callerTag === r.toTag ? ends.caller : ends.calleeTag === r.toTag ? ends.callee : undefined;
    const party = ends.callerTag === r.toTag ? call.caller : call.callee;
    if (phone === undefined) return false;
    this.o.logger?.info(
      { event: "replaces-routed", callId: req.callId, replaces: r.callId, to: party?.extension },
      "INVITE with Replaces sent to the phone of the call it replaces",
    );
    this.dialogs.started(
      req.callId,
      req.from.params.get("tag") ?? "",
      partyOf(req, caller),
      dialled,
      { direction: "internal", destinationClass: "internal", called: dialled },
      {
        customerId: party?.customerId ?? caller.customerId,
        ...(party?.extension !== undefined && { extension: party.extension }),
        uri: req.uri.raw,
      },
    );
    await this.#fork(req, tx, mf, [bindingAt(phone.contact, phone.target, this.now())]);
    return true;
  }

  /** A call to the voicemail's own user agent: an internal call, anchored and recorded like any. */
  async #routeVoicemail(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    caller: Caller,
    dialled: string,
    route: VoicemailRoute,
    now: number,
  ): Promise<void> {
    if (req.method === "INVITE") {
      this.dialogs.started(
        req.callId,
        req.from.params.get("tag") ?? "",
        partyOf(req, caller),
        dialled,
        { direction: "internal", destinationClass: "internal", called: dialled },
        { customerId: caller.customerId, uri: `voicemail:${route.mailbox}` },
      );
    }
    await this.#fork(req, tx, mf, [voicemailBinding(route, now)]);
  }

  /** Forwards a request to every binding in parallel (record-routed, media anchored). */
  async #fork(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    bindings: readonly Binding[],
    ringMs?: number,
    onFail?: (cause: FailureCause) => boolean,
  ): Promise<void> {
    const source = this.o.stack.sourceOf(req);
    if (source !== undefined && DIALOG_CREATING.has(req.method)) {
      fixNatedContact(req, {
        transport: source.transport,
        address: source.remoteAddress,
        port: source.remotePort,
      });
    }
    await this.anchor(req);
    const fork = new Fork(req, tx, this.o.stack.transactions, this);
    this.forks.set(tx, fork);
    if (onFail !== undefined) this.#onFail.set(fork, onFail);
    const recordRoute = DIALOG_CREATING.has(req.method) ? this.recordRoute(req) : undefined;
    const hash = loopHash(req); // of the request as received: the same for every branch
    for (const b of bindings) {
      const target = bindingTarget(b);
      const member = this.#memberOf.get(b);
      if (member !== undefined) this.#answerers.set(target, member);
      fork.addBranch(this.#prepareBranch(req, b.contact, mf, recordRoute, target, hash), target);
    }
    fork.started(req.method === "INVITE" ? (ringMs ?? this.o.ringTimeoutMs ?? 60_000) : undefined);
    if (req.method === "INVITE" && !fork.done) this.#pickup.track(fork, mf, bindings);
  }

  /** A forwarded call to the voicemail's user agent, saying whose box and why (Diversion). */
  async #forkToVoicemail(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    route: VoicemailRoute,
    diversion: string,
  ): Promise<void> {
    await this.anchor(req);
    const fork = new Fork(req, tx, this.o.stack.transactions, this);
    this.forks.set(tx, fork);
    const binding = voicemailBinding(route, this.now());
    const target = bindingTarget(binding);
    const branch = this.#prepareBranch(
      req,
      binding.contact,
      mf,
      this.recordRoute(req),
      target,
      loopHash(req),
    );
    branch.prepend("diversion", diversion);
    fork.addBranch(branch, target);
    fork.started(this.o.ringTimeoutMs ?? 60_000);
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
  ): Promise<Callee | undefined> {
    const internal: CallRouting = { direction: "internal", destinationClass: "internal", called: dialled };
    const ext = await this.o.store.extensions.find(caller.customerId, dialled);
    if (ext !== undefined) {
      if (!ext.enabled) throw new ProxyRefusal(480, "Temporarily Unavailable");
      return {
        ids: [ext.id],
        customerId: caller.customerId,
        number: dialled,
        routing: internal,
        extension: ext,
      };
    }
    const group = await this.o.store.ringGroups.find(caller.customerId, dialled);
    if (group !== undefined) {
      return {
        ids: [...group.members],
        customerId: caller.customerId,
        number: dialled,
        routing: internal,
        group,
      };
    }
    const policy = this.o.policy;
    if (policy === undefined) throw new ProxyRefusal(404, "Not Found");
    const decision = await policy.decide(dialled, caller.customerId, caller.extension);
    switch (decision.kind) {
      case "internal":
        throw new ProxyRefusal(404, "Not Found");
      case "refuse":
        this.o.logger?.warn(
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
          this.dialogs.started(req.callId, fromTag, partyOf(req, caller), dialled, {
            direction: "outbound",
            destinationClass: "refused",
          });
          void this.dialogs.ended(req.callId, fromTag, undefined, decision.status, "refused", decision.code);
        }
        throw new ProxyRefusal(decision.status, decision.reason, true);
      case "support": {
        const support = this.o.support;
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
        await this.#pstn.route(req, tx, caller, dialled, decision);
        return undefined;
    }
  }

  /** A copy of the request for one branch (§16.6): new Request-URI, Max-Forwards, Record-Route, Via. */
  #prepareBranch(
    req: SipRequest,
    contact: string,
    mf: number,
    recordRoute: string | undefined,
    target: TransactionTarget,
    hash: string,
  ): SipRequest {
    const copy = req.clone();
    copy.uri = parseUri(contact);
    copy.set("max-forwards", String(mf - 1));
    copy.remove("proxy-authorization");
    if (recordRoute !== undefined) copy.prepend("record-route", recordRoute);
    copy.prepend("via", this.via(target, hash));
    return copy;
  }

  #cancel(cancel: SipRequest, tx: ServerTransactionLike): void {
    const invite = this.o.stack.transactions.findInviteForCancel(cancel);
    const fork = invite === undefined ? undefined : this.forks.get(invite);
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
      await this.o.media?.answer(res);
  }

  onForkAnswered(fork: Fork, res: SipResponse, target: TransactionTarget): void {
    this.forks.delete(fork.serverTx);
    this.#pickup.untrack(fork);
    if (fork.request.method !== "INVITE") return;
    this.#inDialog.rememberEnds(fork.request, res, target);
    const toTag = res.to.params.get("tag");
    if (typeof toTag === "string")
      this.dialogs.answered(
        fork.request.callId,
        fork.request.from.params.get("tag") ?? "",
        toTag,
        this.#answerers.get(target),
      );
  }

  divert(fork: Fork, cause: FailureCause): boolean {
    this.#pickup.untrack(fork);
    const onFail = this.#onFail.get(fork);
    return onFail !== undefined && fork.request.method === "INVITE" && onFail(cause);
  }

  onForkFailed(fork: Fork, status: number): void {
    this.forks.delete(fork.serverTx);
    this.#pickup.untrack(fork);
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
    void this.o.media?.release(req.callId);
    this.o.logger?.info({ event: "call-failed", callId: req.callId, status }, "call not answered");
  }

  // ---------------------------------------------------------------- helpers

  refuse(
    req: SipRequest,
    tx: ServerTransactionLike,
    status: number,
    reason: string,
    recorded = false,
    headers: readonly (readonly [string, string])[] = [],
  ): void {
    this.o.logger?.info(
      { event: "refused", callId: req.callId, method: req.method, status, reason },
      "request refused",
    );
    if (req.method === "INVITE" && !recorded) {
      void this.dialogs.ended(req.callId, req.from.params.get("tag") ?? "", undefined, status, "rejected");
    }
    tx.respond(createResponse(req, status, reason, { headers: headers.map(([n, v]) => [n, v]) }));
  }
}
