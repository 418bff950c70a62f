import { createResponse, type ServerTransactionLike, type SipRequest } from "@centrex/sip";
import type { Binding } from "@centrex/store";
import { bindingAt } from "./addressing.js";
import type { CallParty } from "./call-events.js";
import type { Caller } from "./caller.js";
import { ProxyRefusal } from "./errors.js";
import type { Fork } from "./fork.js";
import { fixNatedContact } from "./nat.js";
import { choosePickable, type PickupCode, partyKey, pickupGroupOf, type RingingCall } from "./pickup.js";
import type { ProxyContext } from "./proxy-context.js";

/** A caller's INVITE ringing extensions' phones, as the proxy forked it. */
interface TrackedFork {
  readonly fork: Fork;
  readonly mf: number;
  readonly rings: ReadonlySet<number>;
  readonly at: number;
}

/** Adds the picker's phone as one more branch of the ringing call (the proxy's own branch copy). */
export type RingPicker = (
  fork: Fork,
  mf: number,
  phone: Binding,
  headers: readonly (readonly [string, string])[],
  picker: CallParty,
  onFinal: (status: number) => void,
) => void;

/**
 * Call pickup in a stateful proxy (no B2BUA). The caller's INVITE is still pending, forked
 * to the phones that ring; `*8` / `**EXT` adds the picker's phone — the very phone that
 * dialled, on the flow it dialled from — as one more branch of that same INVITE. Nothing is
 * asked of the caller (it may be a PSTN carrier): it simply gets the picker's 180/200 like any
 * forked answer, and the fork's "first 2xx wins" cancels the phones that were ringing, with
 * `Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326, no missed call shown).
 * Until the picker's phone answers, the others keep ringing: a pickup that fails loses nothing.
 *
 * The picker's own `*8` INVITE gets 180 (so it has an early dialog) and stays pending; the
 * new branch carries `Replaces: <*8 Call-ID>;to-tag=<picker's tag>;from-tag=<our tag>;early-only`
 * (RFC 3891 §3: a UA accepts a Replaces of an early dialog it initiated, answers the new call
 * and CANCELs the old — one press, no second ring) and `Call-Info: <sip:domain>;answer-after=0`
 * (auto-answer, for phones that honour it). Replaces is not in Require: a phone without it
 * (baresip 1.0 answers `420` to `Require: replaces` and ignores both headers otherwise)
 * simply rings with the picked call at once and the user answers it, or answers by itself when
 * set to auto-answer. Once the picked call is answered, the `*8` still pending is ended with
 * `487 Request Terminated` — the one failure phones end silently (baresip plays its error tone
 * over the new call for any other 4xx), and it is the `*8` attempt that was superseded.
 *
 * The picker's barring does not matter (it answers, it does not dial): the call stays the
 * caller's call and bill; its record names the picker in `called`, and the lamps follow
 * (`DialogTracker.answered` with the picker as who answered).
 */
export class CallPickup {
  readonly #ringing = new Map<Fork, TrackedFork>();
  /** Calls a pickup is under way for: a second picker does not take them too. */
  readonly #picking = new WeakSet<Fork>();

  constructor(
    readonly ctx: ProxyContext,
    readonly ringPicker: RingPicker,
  ) {}

  /** A caller's INVITE forked to phones: pickable while it rings extensions (binding aor = extension id). */
  track(fork: Fork, mf: number, bindings: readonly Binding[]): void {
    const rings = new Set<number>();
    for (const b of bindings) if (b.aor > 0) rings.add(b.aor);
    if (rings.size > 0) this.#ringing.set(fork, { fork, mf, rings, at: this.ctx.now() });
  }

  /** The INVITE was answered or failed: nothing to pick up any more. */
  untrack(fork: Fork): void {
    this.#ringing.delete(fork);
  }

  /** `*8` or `**EXT` dialled by `picker` (authenticated); answers the picker's INVITE in every case. */
  async pickUp(req: SipRequest, tx: ServerTransactionLike, picker: Caller, code: PickupCode): Promise<void> {
    const o = this.ctx.o;
    const me = await o.store.extensions.find(picker.customerId, picker.extension);
    if (me === undefined) throw new ProxyRefusal(403, "Forbidden - Unknown caller");
    const log = { callId: req.callId, customerId: picker.customerId, picker: picker.extension };
    let wanted: Set<number>;
    let what: string;
    if (code.kind === "group") {
      wanted = pickupGroupOf(me.id, await o.store.ringGroups.listByCustomer(picker.customerId));
      what = "in the pickup group";
      if (wanted.size === 0) this.#refuse(log, 403, "Forbidden", `${me.number} is in no ring group`);
    } else {
      // The extension is looked up in the picker's own customer only: another customer's calls
      // are never candidates, whatever their numbers.
      const target = await o.store.extensions.find(picker.customerId, code.extension);
      if (target === undefined) this.#refuse(log, 404, "Not Found", `No extension ${code.extension}`);
      if (target.id === me.id)
        this.#refuse(log, 403, "Forbidden", "A call to oneself is answered, not picked up");
      wanted = new Set([target.id]);
      what = `for ${target.number}`;
    }
    const call = choosePickable(this.#candidates(), wanted, {
      id: me.id,
      key: partyKey(picker.customerId, picker.extension),
    });
    if (call === undefined) {
      this.#refuse(log, 480, "Temporarily Unavailable", `No call ringing ${what}`, "pickup-nothing-ringing");
    }
    this.#connect(req, tx, picker, call, log);
  }

  /** The calls ringing now, as the matching logic sees them. */
  #candidates(): (RingingCall & { readonly t: TrackedFork })[] {
    const out: (RingingCall & { readonly t: TrackedFork })[] = [];
    for (const t of this.#ringing.values()) {
      const req = t.fork.request;
      const known = this.ctx.dialogs.find(req.callId, req.from.params.get("tag") ?? "", undefined)?.call;
      const caller =
        known?.caller.extension === undefined
          ? undefined
          : partyKey(known.caller.customerId, known.caller.extension);
      out.push({
        t,
        rings: t.rings,
        caller,
        since: known?.startedAt ?? t.at,
        taken: t.fork.done || t.fork.answered || this.#picking.has(t.fork),
      });
    }
    return out;
  }

  /** Rings the picker's phone as a branch of the call; the `*8` ends with the branch's outcome. */
  #connect(
    req: SipRequest,
    tx: ServerTransactionLike,
    picker: Caller,
    call: { readonly t: TrackedFork },
    log: Record<string, unknown>,
  ): void {
    const { fork, mf } = call.t;
    const source = this.ctx.o.stack.sourceOf(req);
    // The phone that dialled, on its own flow (over TCP/TLS: its connection).
    const flow =
      source === undefined
        ? undefined
        : {
            transport: source.transport,
            address: source.remoteAddress,
            port: source.remotePort,
            ...(source.connectionId !== undefined && { connectionId: source.connectionId }),
          };
    if (flow !== undefined) fixNatedContact(req, flow);
    const contact = req.contact[0]?.uri.raw;
    if (flow === undefined || contact === undefined) throw new ProxyRefusal(400, "Bad Request - No Contact");
    const ringing = createResponse(req, 180, "Ringing");
    const ourTag = ringing.to.params.get("tag") ?? "";
    tx.respond(ringing);
    let open = true;
    const end = (status: number, reason: string): void => {
      if (!open) return;
      open = false;
      this.ctx.forks.delete(tx);
      tx.respond(createResponse(req, status, reason));
    };
    // The picker gives up (or its phone CANCELs the *8 it replaced): the *8 ends; the picked
    // call on its phone is a call of its own, which the phone answers or declines.
    this.ctx.forks.set(tx, { cancel: () => end(487, "Request Terminated") });
    this.#picking.add(fork);
    const pickedCallId = fork.request.callId;
    this.ctx.o.logger?.info(
      { event: "pickup", ...log, picked: pickedCallId },
      "call pickup: picker's phone rung",
    );
    const party: CallParty = {
      customerId: picker.customerId,
      extension: picker.extension,
      uri: req.from.uri.raw,
    };
    const fromTag = req.from.params.get("tag") ?? "";
    const host = "host" in req.uri ? String(req.uri.host) : picker.domain;
    this.ringPicker(
      fork,
      mf,
      bindingAt(contact, flow, this.ctx.now()),
      [
        ["Replaces", `${req.callId};to-tag=${fromTag};from-tag=${ourTag};early-only`],
        ["Call-Info", `<sip:${host}>;answer-after=0`],
      ],
      party,
      (status) => {
        if (status >= 200 && status < 300) {
          this.ctx.o.logger?.info(
            { event: "call-picked-up", ...log, picked: pickedCallId },
            "call picked up",
          );
          end(487, "Request Terminated - Call picked up");
          return;
        }
        this.#picking.delete(fork);
        this.ctx.o.logger?.info(
          { event: "pickup-failed", ...log, picked: pickedCallId, status },
          "call pickup failed: the picker's phone did not take the call",
        );
        end(480, `Temporarily Unavailable - Pickup failed (${status})`);
      },
    );
  }

  #refuse(
    log: Record<string, unknown>,
    status: number,
    phrase: string,
    why: string,
    event = "pickup-refused",
  ): never {
    this.ctx.o.logger?.info({ event, ...log, status, why }, "call pickup refused");
    throw new ProxyRefusal(status, `${phrase} - ${why}`, false, [
      ["Warning", `399 centrex "Pickup: ${why}"`],
    ]);
  }
}
