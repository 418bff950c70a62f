import type {
  CallEnded,
  CallEndReason,
  CallEventSink,
  CallParty,
  CallRouting,
  CallStarted,
} from "./call-events.js";

interface CallState {
  readonly start: CallStarted;
  toTag: string | undefined;
  answeredAt: number | undefined;
  /** A party that left the call while it goes on (an outside party's transferor). */
  left?: "caller" | "callee";
}

/**
 * The calls in progress, keyed by Call-ID and From tag (the caller's side of
 * the dialog, stable from INVITE to BYE). One entry per call, removed when the
 * call ends: the source of dialog events for records.
 */
export class DialogTracker {
  readonly #calls = new Map<string, CallState>();
  /** Calls a transfer created, by key, until they start: the Call-ID they came from. */
  readonly #links = new Map<string, string>();
  readonly #sink: CallEventSink;
  readonly #clock: () => number;

  constructor(sink: CallEventSink, clock: () => number = Date.now) {
    this.#sink = sink;
    this.#clock = clock;
  }

  get size(): number {
    return this.#calls.size;
  }

  started(
    callId: string,
    fromTag: string,
    caller: CallParty,
    dialled: string,
    routing: CallRouting,
    callee?: CallParty,
  ): void {
    const key = `${callId}\0${fromTag}`;
    if (this.#calls.has(key)) return;
    const link = this.#links.get(key);
    this.#links.delete(key);
    const start: CallStarted = {
      callId,
      fromTag,
      caller,
      dialled,
      routing,
      ...(callee !== undefined && { callee }),
      startedAt: this.#clock(),
      ...(link !== undefined && { transferredFrom: link }),
    };
    this.#calls.set(key, { start, toTag: undefined, answeredAt: undefined });
    this.#sink.onCallStarted?.(start);
  }

  /**
   * A call forwarded on: its record now names the forwarding extension as the caller (who pays
   * for a forward to the PSTN) and the new destination; the start time is kept. A call not yet
   * tracked is started.
   */
  forwarded(
    callId: string,
    fromTag: string,
    caller: CallParty,
    dialled: string,
    routing: CallRouting,
    callee?: CallParty,
  ): void {
    const c = this.#calls.get(`${callId}\0${fromTag}`);
    if (c === undefined) {
      this.started(callId, fromTag, caller, dialled, routing, callee);
      return;
    }
    const { callee: _old, ...rest } = c.start;
    this.#calls.set(`${callId}\0${fromTag}`, {
      ...c,
      start: { ...rest, caller, dialled, routing, ...(callee !== undefined && { callee }) },
    });
  }

  /** The call about to start was created by a transfer of `original` (its record links them). */
  linkTransfer(callId: string, fromTag: string, original: string): void {
    this.#links.set(`${callId}\0${fromTag}`, original);
  }

  /**
   * The call an in-dialog request belongs to, and whether its sender is the caller (its From tag
   * is the caller's) or the callee (its From tag is the callee's, its To tag the caller's).
   */
  find(
    callId: string,
    fromTag: string,
    toTag: string | undefined,
  ):
    | { readonly call: CallStarted; readonly answered: boolean; readonly senderIsCaller: boolean }
    | undefined {
    const asCaller = this.#calls.get(`${callId}\0${fromTag}`);
    if (asCaller !== undefined) {
      return { call: asCaller.start, answered: asCaller.answeredAt !== undefined, senderIsCaller: true };
    }
    const asCallee = toTag === undefined ? undefined : this.#calls.get(`${callId}\0${toTag}`);
    if (asCallee === undefined) return undefined;
    return { call: asCallee.start, answered: asCallee.answeredAt !== undefined, senderIsCaller: false };
  }

  /** The extensions ringing for a call now (a ring group's members), for their lamps. */
  ringing(callId: string, fromTag: string, parties: readonly CallParty[]): void {
    const c = this.#calls.get(`${callId}\0${fromTag}`);
    if (c === undefined || c.answeredAt !== undefined) return;
    this.#sink.onCallRinging?.({ ...c.start, ringing: parties });
  }

  /**
   * `answeredBy`: the extension that took the call when it is not the callee the call started
   * with (a ring group's member, a picked-up call): the lamps then show it busy, and the record's
   * `called` names it (`dialled` keeps what the caller dialled: the group number, the DID).
   */
  answered(callId: string, fromTag: string, toTag: string, answeredBy?: CallParty): void {
    const key = `${callId}\0${fromTag}`;
    let c = this.#calls.get(key);
    if (c === undefined || c.answeredAt !== undefined) return;
    if (answeredBy !== undefined) {
      const routing = {
        ...c.start.routing,
        ...(answeredBy.extension !== undefined && { called: answeredBy.extension }),
      };
      c = { ...c, start: { ...c.start, callee: answeredBy, routing } };
      this.#calls.set(key, c);
    }
    c.toTag = toTag;
    c.answeredAt = this.#clock();
    this.#sink.onCallAnswered?.({ ...c.start, toTag, answeredAt: c.answeredAt });
  }

  /**
   * The carrier that took a call to the PSTN (the trunk knows it only once one answers, after
   * any failover): the answered event, the live view, the loss tally and the record name it.
   */
  viaCarrier(callId: string, fromTag: string, carrier: string): void {
    const key = `${callId}\0${fromTag}`;
    const c = this.#calls.get(key);
    if (c === undefined) return;
    this.#calls.set(key, { ...c, start: { ...c.start, routing: { ...c.start.routing, carrier } } });
  }

  /**
   * The party that sent `senderTag` left the answered call, which goes on without it (the switch
   * holds it in its place): no longer on the call for hunt groups and lamps; the record unchanged.
   */
  partyLeft(callId: string, senderTag: string): void {
    let c = this.#calls.get(`${callId}\0${senderTag}`);
    let left: "caller" | "callee" = "caller";
    if (c === undefined) {
      c = [...this.#calls.values()].find((x) => x.start.callId === callId && x.toTag === senderTag);
      left = "callee";
    }
    if (c === undefined || c.answeredAt === undefined || c.toTag === undefined || c.left !== undefined)
      return;
    c.left = left;
    this.#sink.onCallPartyLeft?.({ ...c.start, toTag: c.toTag, left });
  }

  /** Whether an extension is on an answered call now (a hunt group skips it). */
  onCall(customerId: number, extension: string): boolean {
    for (const c of this.#calls.values()) {
      if (c.answeredAt === undefined) continue;
      const { caller, callee } = c.start;
      if (c.left !== "caller" && caller.customerId === customerId && caller.extension === extension)
        return true;
      if (c.left !== "callee" && callee?.customerId === customerId && callee.extension === extension)
        return true;
    }
    return false;
  }

  isAnswered(callId: string, fromTag: string): boolean {
    return this.#calls.get(`${callId}\0${fromTag}`)?.answeredAt !== undefined;
  }

  /** Ends every call leg with this Call-ID (e.g. when its media stopped); returns how many. */
  async endAll(callId: string, status: number, reason: CallEndReason): Promise<number> {
    const keys = [...this.#calls.keys()].filter((k) => k.startsWith(`${callId}\0`));
    for (const k of keys) await this.ended(callId, k.slice(callId.length + 1), undefined, status, reason);
    return keys.length;
  }

  /**
   * Ends a call given either tag pair orientation (a BYE may come from the
   * callee, whose From tag is the caller's To tag).
   */
  async ended(
    callId: string,
    tagA: string,
    tagB: string | undefined,
    status: number,
    reason: CallEndReason,
    refusal?: string,
  ) {
    let key = `${callId}\0${tagA}`;
    let c = this.#calls.get(key);
    if (c === undefined && tagB !== undefined) {
      key = `${callId}\0${tagB}`;
      c = this.#calls.get(key);
      if (c !== undefined && reason === "caller-bye") reason = "callee-bye";
    }
    this.#links.delete(key);
    if (c === undefined) return;
    this.#calls.delete(key);
    const e: CallEnded = {
      ...c.start,
      ...(c.toTag !== undefined && { toTag: c.toTag }),
      ...(c.answeredAt !== undefined && { answeredAt: c.answeredAt }),
      endedAt: this.#clock(),
      status,
      reason,
      ...(refusal !== undefined && { refusal }),
    };
    await this.#sink.onCallEnded?.(e);
  }
}
