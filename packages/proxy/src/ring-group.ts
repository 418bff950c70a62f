import type { ServerTransactionLike, SipRequest } from "@centrex/sip";
import type { Binding, Extension, RingGroup } from "@centrex/store";
import type { CallEndReason, CallParty } from "./call-events.js";
import { ProxyRefusal } from "./errors.js";
import type { FailureCause } from "./fork.js";
import type { ForwardCause } from "./forward-cause.js";
import type { ProxyContext } from "./proxy-context.js";

/** One member of a group as a call sees it: its extension and the phones it has registered now. */
export interface GroupMember {
  readonly extension: Extension;
  readonly bindings: readonly Binding[];
  /** Do-not-disturb is on: never rung by the group. */
  readonly dnd: boolean;
  /** On a call already (answered): skipped by a sequential group. */
  readonly onCall: boolean;
}

/** Why a member is not rung, for the log line. */
export type SkipReason = "disabled" | "dnd" | "unregistered" | "on-call";

/** Whether a member rings for this group call, or why not. */
export function skipReason(m: GroupMember, strategy: RingGroup["strategy"]): SkipReason | undefined {
  if (!m.extension.enabled) return "disabled";
  if (m.dnd) return "dnd";
  if (m.bindings.length === 0) return "unregistered";
  // A simultaneous group rings a member on a call too (its phone shows a second call, as for a
  // direct call); a hunt moves on to someone free.
  if (strategy === "sequential" && m.onCall) return "on-call";
  return undefined;
}

/**
 * The steps of a sequential (hunt) group from `now`: each ringable member in order for
 * `memberSeconds`, the last step cut short at the group's deadline. Steps that would start
 * at or after the deadline are not taken.
 */
export function huntSteps(
  ringable: readonly number[],
  memberMs: number,
  startedAt: number,
  deadline: number,
): { member: number; ringMs: number }[] {
  const steps: { member: number; ringMs: number }[] = [];
  let at = startedAt;
  for (const member of ringable) {
    if (at >= deadline) break;
    const ringMs = Math.min(memberMs, deadline - at);
    steps.push({ member, ringMs });
    at += ringMs;
  }
  return steps;
}

/** Rings phones; `onFail` takes the call on elsewhere (true) or lets the failure through. */
export type RingMembers = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  bindings: readonly Binding[],
  ringMs: number | undefined,
  onFail?: (cause: FailureCause) => boolean,
) => Promise<void>;

/** Routes a group's overflow target as if the group had dialled it (the forwarding path). */
export type RouteOverflow = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  group: RingGroup,
  target: string,
  cause: ForwardCause,
  chain: readonly number[],
  cancelled: () => boolean,
) => Promise<void>;

/**
 * Calls to ring groups: simultaneous (every ringable member's phones at once, for the
 * group's timeout) or sequential (one member after the other for `memberSeconds` each, in the
 * group's order, within the timeout). Members with do-not-disturb, disabled or with no phone
 * registered are skipped, and in a hunt also members already on a call. A member's own call
 * forwarding does not apply to group calls (the group decides where an unanswered call goes).
 * When nobody answered — or nobody could be rung — the call goes to the group's overflow, else
 * the caller gets 480 (486 when every member was busy) with a reason naming the group; either
 * way a log line says so.
 */
export class RingGroupDelivery {
  constructor(
    readonly ctx: ProxyContext,
    readonly ring: RingMembers,
    readonly overflow: RouteOverflow,
    /** The party a binding belongs to, so the call record and lamps name the member who answered. */
    readonly memberOf: WeakMap<Binding, CallParty>,
  ) {}

  /**
   * `chain`: what this call already went through (extension ids, and groups as negative ids),
   * so an overflow back into the group is refused as a loop.
   */
  async deliver(
    req: SipRequest,
    tx: ServerTransactionLike,
    mf: number,
    group: RingGroup,
    chain: readonly number[],
    cancelled: () => boolean = () => false,
  ): Promise<void> {
    if (chain.includes(-group.id)) {
      this.ctx.o.logger?.warn(
        { event: "ring-group-loop", callId: req.callId, group: group.number },
        "ring group overflow loop refused",
      );
      throw new ProxyRefusal(482, `Loop Detected - Ring group ${group.number} overflows into itself`);
    }
    const members = await this.#members(group);
    const call = new GroupCall(this, req, tx, mf, group, [...chain, -group.id], cancelled);
    await call.start(members);
  }

  async #members(group: RingGroup): Promise<GroupMember[]> {
    const o = this.ctx.o;
    const now = this.ctx.now();
    const out: GroupMember[] = [];
    for (const id of group.members) {
      const extension = await o.store.extensions.get(id);
      const [features, bindings] = await Promise.all([
        o.store.features.get(id),
        o.store.locations.current(id, now),
      ]);
      out.push({
        extension,
        bindings,
        dnd: features.dnd,
        onCall: this.ctx.dialogs.onCall(extension.customerId, extension.number),
      });
    }
    return out;
  }
}

/** One call to one group, from the first ring to an answer, the overflow or the final refusal. */
class GroupCall {
  readonly #fromTag: string;
  #ringable: GroupMember[] = [];
  #steps: { member: number; ringMs: number }[] = [];
  #busy = 0;

  constructor(
    readonly d: RingGroupDelivery,
    readonly req: SipRequest,
    readonly tx: ServerTransactionLike,
    readonly mf: number,
    readonly group: RingGroup,
    readonly path: readonly number[],
    public cancelled: () => boolean,
  ) {
    this.#fromTag = req.from.params.get("tag") ?? "";
  }

  async start(members: readonly GroupMember[]): Promise<void> {
    const { group, req } = this;
    const skipped: Record<string, SkipReason> = {};
    for (const m of members) {
      const why = skipReason(m, group.strategy);
      if (why === undefined) this.#ringable.push(m);
      else skipped[m.extension.number] = why;
    }
    this.d.ctx.o.logger?.info(
      {
        event: "ring-group",
        callId: req.callId,
        group: group.number,
        strategy: group.strategy,
        ringing: this.#ringable.map((m) => m.extension.number),
        skipped,
      },
      "ring group call",
    );
    if (this.cancelled()) throw new ProxyRefusal(487, "Request Terminated");
    if (this.#ringable.length === 0)
      return this.#unanswered(members.length === 0 ? "empty" : "none-available");
    if (group.strategy === "simultaneous") {
      this.d.ctx.dialogs.ringing(
        req.callId,
        this.#fromTag,
        this.#ringable.map((m) => partyOfMember(m, req)),
      );
      await this.d.ring(
        req,
        this.tx,
        this.mf,
        this.#bindingsOf(this.#ringable),
        group.timeoutSeconds * 1000,
        (c) => this.#onFailure(c, () => this.#unanswered(c)),
      );
      return;
    }
    const now = this.d.ctx.now();
    this.#steps = huntSteps(
      this.#ringable.map((_, i) => i),
      group.memberSeconds * 1000,
      now,
      now + group.timeoutSeconds * 1000,
    );
    await this.#hunt(0);
  }

  /** Rings step `i` of a hunt; when it fails, the next step (or the overflow once none is left). */
  async #hunt(i: number): Promise<void> {
    const step = this.#steps[i];
    if (step === undefined) return this.#unanswered(this.#busy === this.#steps.length ? "busy" : "no-answer");
    const member = this.#ringable[step.member]!;
    const { req } = this;
    this.d.ctx.dialogs.ringing(req.callId, this.#fromTag, [partyOfMember(member, req)]);
    this.d.ctx.o.logger?.info(
      {
        event: "ring-group-hunt",
        callId: req.callId,
        group: this.group.number,
        member: member.extension.number,
      },
      "ring group rings the next member",
    );
    await this.d.ring(req, this.tx, this.mf, this.#bindingsOf([member]), step.ringMs, (c) => {
      if (c === "busy") this.#busy++;
      return this.#onFailure(c, () => this.#hunt(i + 1));
    });
  }

  /**
   * The rung phones did not take the call: go on (next member, overflow or the group's own
   * refusal). The fork no longer answers a CANCEL, so until the next leg rings a CANCEL is
   * remembered here.
   */
  #onFailure(_cause: FailureCause, next: () => Promise<void>): boolean {
    const { req, tx } = this;
    const ctx = this.d.ctx;
    let wasCancelled = false;
    ctx.forks.set(tx, {
      cancel: () => {
        wasCancelled = true;
      },
    });
    this.cancelled = () => wasCancelled;
    next().catch((err: unknown) => {
      ctx.forks.delete(tx);
      if (err instanceof ProxyRefusal) ctx.refuse(req, tx, err.status, err.reason, err.recorded);
      else {
        ctx.o.logger?.error({ err, callId: req.callId }, "ring group call failed");
        ctx.refuse(req, tx, 500, "Server Internal Error");
      }
      void ctx.o.media?.release(req.callId);
    });
    return true;
  }

  /** Nobody (left) to ring: the overflow, or 480/486 naming the group (logged, recorded). */
  async #unanswered(why: FailureCause | "empty" | "none-available"): Promise<void> {
    const { req, group } = this;
    const ctx = this.d.ctx;
    if (this.cancelled()) throw new ProxyRefusal(487, "Request Terminated");
    ctx.dialogs.ringing(req.callId, this.#fromTag, []);
    ctx.o.logger?.info(
      {
        event: "ring-group-unanswered",
        callId: req.callId,
        group: group.number,
        why,
        overflow: group.overflow,
      },
      group.overflow === null ? "ring group did not answer" : "ring group overflows",
    );
    if (group.overflow !== null) {
      const cause: ForwardCause =
        why === "busy" ? "busy" : why === "no-answer" || why === "other" ? "no-answer" : "unreachable";
      await this.d.overflow(req, this.tx, this.mf, group, group.overflow, cause, this.path, () =>
        this.cancelled(),
      );
      return;
    }
    const [status, reason, end] =
      why === "empty"
        ? [480, `Temporarily Unavailable - Ring group ${group.number} has no member`, "unreachable"]
        : why === "none-available" || why === "unreachable"
          ? [
              480,
              `Temporarily Unavailable - No member of ring group ${group.number} available`,
              "unreachable",
            ]
          : why === "busy"
            ? [486, `Busy Here - Every member of ring group ${group.number} is busy`, "busy"]
            : [480, `Temporarily Unavailable - No answer from ring group ${group.number}`, "no-answer"];
    await ctx.dialogs.ended(req.callId, this.#fromTag, undefined, status, end as CallEndReason);
    throw new ProxyRefusal(status, reason, true);
  }

  #bindingsOf(members: readonly GroupMember[]): Binding[] {
    const out: Binding[] = [];
    for (const m of members) {
      const party = partyOfMember(m, this.req);
      for (const b of m.bindings) {
        this.d.memberOf.set(b, party);
        out.push(b);
      }
    }
    return out;
  }
}

function partyOfMember(m: GroupMember, req: SipRequest): CallParty {
  const host = "host" in req.uri ? String(req.uri.host) : "invalid";
  return {
    customerId: m.extension.customerId,
    extension: m.extension.number,
    uri: `sip:${m.extension.number}@${host}`,
  };
}
