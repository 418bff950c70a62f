import type { ServerTransactionLike, SipRequest } from "@centrex/sip";
import type { Binding, Extension, ExtensionFeatures } from "@centrex/store";
import type { CallParty } from "./call-events.js";
import { type BilledParty, partyOf } from "./caller.js";
import { ProxyRefusal } from "./errors.js";
import type { FailureCause } from "./fork.js";
import { DIVERSION_REASON, type ForwardCause } from "./forward-cause.js";
import type { ProxyContext } from "./proxy-context.js";
import type { PstnRouter } from "./pstn-routing.js";
import type { RingGroupDelivery } from "./ring-group.js";
import type { VoicemailRoute } from "./voicemail-route.js";

/** How many times one call may be forwarded on before it is refused (483). */
export const MAX_FORWARDS = 5;

/**
 * Rings phones; `onFail` is asked before a failure is relayed and returns true
 * when it took the call on elsewhere.
 */
export type RingPhones = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  bindings: readonly Binding[],
  ringMs: number | undefined,
  onFail?: (cause: FailureCause) => boolean,
) => Promise<void>;

/** Forwards the INVITE to the voicemail's user agent, with a Diversion header. */
export type RingVoicemail = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  route: VoicemailRoute,
  diversion: string,
) => Promise<void>;

/**
 * A call to one extension, with its call forwarding and do-not-disturb:
 * unconditional forwarding before the phones ring; busy (or DND), no answer
 * after the extension's ring time, unreachable (no phone registered or none
 * reachable) after. A forwarded call is routed as if the forwarding extension
 * had dialled the target: its customer's barring, PIN and fraud rules apply
 * and a PSTN leg is billed to it. Loops are refused with 482, long chains 483.
 */
export class ExtensionDelivery {
  /** Where a call forwarded to a ring group goes (set once the proxy has built both). */
  groups: RingGroupDelivery | undefined;

  constructor(
    readonly ctx: ProxyContext,
    readonly pstn: PstnRouter,
    readonly ring: RingPhones,
    readonly ringVoicemail: RingVoicemail,
  ) {}

  /** `chain`: the extensions this call already went through (the callee last). */
  async deliver(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    ext: Extension,
    chain: readonly number[],
  ): Promise<void> {
    const o = this.ctx.o;
    if (!ext.enabled) throw new ProxyRefusal(480, "Temporarily Unavailable");
    const f = await o.store.features.get(ext.id);
    if (f.forwardAlways !== null)
      return this.forwardTo(req, tx, mf, ext, f.forwardAlways, "unconditional", chain);
    if (f.dnd) {
      if (f.forwardBusy !== null) return this.forwardTo(req, tx, mf, ext, f.forwardBusy, "dnd", chain);
      o.logger?.info(
        { event: "dnd", callId: req.callId, extension: ext.number },
        "call refused: do not disturb",
      );
      throw new ProxyRefusal(486, "Busy Here - Do Not Disturb");
    }
    const bindings = await o.store.locations.current(ext.id, this.ctx.now());
    if (bindings.length === 0) {
      if (f.forwardUnreachable !== null) {
        return this.forwardTo(req, tx, mf, ext, f.forwardUnreachable, "unreachable", chain);
      }
      throw new ProxyRefusal(480, "Temporarily Unavailable");
    }
    const ringMs = f.forwardNoAnswer === null ? undefined : f.noAnswerSeconds * 1000;
    await this.ring(req, tx, mf, bindings, ringMs, (cause) =>
      this.#onFailure(req, tx, mf, ext, f, cause, chain),
    );
  }

  /** The phones did not take the call: forward it if the extension says where, else let the failure through. */
  #onFailure(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    ext: Extension,
    f: ExtensionFeatures,
    cause: FailureCause,
    chain: readonly number[],
  ): boolean {
    const target =
      cause === "busy"
        ? f.forwardBusy
        : cause === "no-answer"
          ? f.forwardNoAnswer
          : cause === "unreachable"
            ? f.forwardUnreachable
            : null;
    if (target === null || cause === "other") return false;
    // The fork no longer answers a CANCEL: until the next leg is placed, a CANCEL is remembered here.
    let cancelled = false;
    this.ctx.forks.set(tx, {
      cancel: () => {
        cancelled = true;
      },
    });
    this.forwardTo(req, tx, mf, ext, target, cause, chain, () => cancelled).catch((err: unknown) => {
      this.ctx.forks.delete(tx);
      if (err instanceof ProxyRefusal) this.ctx.refuse(req, tx, err.status, err.reason, err.recorded);
      else {
        this.ctx.o.logger?.error({ err, callId: req.callId }, "call forwarding failed");
        this.ctx.refuse(req, tx, 500, "Server Internal Error");
      }
      void this.ctx.o.media?.release(req.callId);
    });
    return true;
  }

  /**
   * Routes the call on to `target` as if `from` had dialled it (`from`: an extension that
   * forwards, or a ring group that overflows). "voicemail" is `from`'s own mailbox,
   * "voicemail:<ext>" that extension's.
   */
  async forwardTo(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    from: Pick<Extension, "customerId" | "number">,
    target: string,
    cause: ForwardCause,
    chain: readonly number[],
    cancelled: () => boolean = () => false,
  ): Promise<void> {
    const o = this.ctx.o;
    const log = { callId: req.callId, from: from.number, to: target, cause };
    if (chain.length > MAX_FORWARDS) {
      o.logger?.warn(
        { event: "forwarding-too-long", ...log, chain: chain.length },
        "call forwarding chain too long",
      );
      throw new ProxyRefusal(483, "Too Many Hops - Forwarding chain too long");
    }
    o.logger?.info({ event: "call-forwarded", ...log }, "call forwarded");
    const billed: BilledParty = { customerId: from.customerId, extension: from.number };
    const fromTag = req.from.params.get("tag") ?? "";
    const mailboxOf = target === "voicemail" ? from.number : /^voicemail:(\d+)$/.exec(target)?.[1];
    if (mailboxOf !== undefined) {
      const route = o.voicemail?.deposit(from.customerId, mailboxOf);
      if (route === undefined) {
        o.logger?.warn({ event: "voicemail-unavailable", ...log }, "forwarded to voicemail, none available");
        throw new ProxyRefusal(480, "Temporarily Unavailable - No voicemail");
      }
      this.ctx.dialogs.forwarded(req.callId, fromTag, partyOf(req, billed), target, {
        direction: "internal",
        destinationClass: "voicemail",
        called: mailboxOf,
      });
      if (cancelled()) throw new ProxyRefusal(487, "Request Terminated");
      await this.ringVoicemail(req, tx, mf, route, diversion(req, from, cause));
      return;
    }
    const ext = await o.store.extensions.find(from.customerId, target);
    if (ext !== undefined) {
      if (chain.includes(ext.id)) {
        o.logger?.warn({ event: "forwarding-loop", ...log }, "call forwarding loop refused");
        throw new ProxyRefusal(482, "Loop Detected - Call forwarding loop");
      }
      const callee: CallParty = { customerId: ext.customerId, extension: ext.number, uri: req.uri.raw };
      this.ctx.dialogs.forwarded(
        req.callId,
        fromTag,
        partyOf(req, billed),
        target,
        { direction: "internal", destinationClass: "internal", called: target },
        callee,
      );
      if (cancelled()) throw new ProxyRefusal(487, "Request Terminated");
      await this.deliver(req, tx, mf, ext, [...chain, ext.id]);
      return;
    }
    const group = await o.store.ringGroups.find(from.customerId, target);
    if (group !== undefined && this.groups !== undefined) {
      this.ctx.dialogs.forwarded(
        req.callId,
        fromTag,
        partyOf(req, billed),
        target,
        { direction: "internal", destinationClass: "internal", called: target },
        { customerId: group.customerId, extension: group.number, uri: req.uri.raw },
      );
      if (cancelled()) throw new ProxyRefusal(487, "Request Terminated");
      await this.groups.deliver(req, tx, mf, group, chain, cancelled);
      return;
    }
    const policy = o.policy;
    if (policy === undefined) throw new ProxyRefusal(404, "Not Found - Forwarding target");
    const decision = await policy.decide(target, from.customerId, from.number);
    switch (decision.kind) {
      case "pstn":
      case "emergency":
        if (cancelled()) throw new ProxyRefusal(487, "Request Terminated");
        await this.pstn.route(req, tx, billed, target, decision);
        return;
      case "refuse":
        o.logger?.warn(
          {
            event: "call-refused",
            ...log,
            code: decision.code,
            status: decision.status,
            alert: decision.alert,
          },
          "forwarded call refused by policy",
        );
        this.ctx.dialogs.forwarded(req.callId, fromTag, partyOf(req, billed), target, {
          direction: "outbound",
          destinationClass: "refused",
        });
        void this.ctx.dialogs.ended(
          req.callId,
          fromTag,
          undefined,
          decision.status,
          "refused",
          decision.code,
        );
        throw new ProxyRefusal(decision.status, decision.reason, true);
      default:
        throw new ProxyRefusal(404, "Not Found - Forwarding target");
    }
  }
}

/** RFC 5806 Diversion: who forwarded the call and why (the voicemail box and its greeting). */
function diversion(req: SipRequest, from: Pick<Extension, "number">, cause: ForwardCause): string {
  const uri = req.uri;
  const host = "host" in uri ? String(uri.host) : "invalid";
  return `<sip:${from.number}@${host}>;reason=${DIVERSION_REASON[cause]};counter=1`;
}
