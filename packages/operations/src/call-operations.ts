import type { Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { invalid, notFound } from "./errors.js";

/** What ending calls needs of the running switch (its proxy and its calls in progress). */
export interface CallControl {
  /** The customer a call in progress belongs to; undefined when no such call is in progress. */
  customerOf(callId: string): number | undefined;
  /** Ends the call: BYE both ways when answered, CANCEL while ringing; the record says "operator". */
  hangUp(callId: string): Promise<"ended" | "cancelled" | "not-found">;
}

export interface HangUpView {
  readonly callId: string;
  readonly outcome: "ended" | "cancelled";
}

/**
 * Calls in progress, seen and ended from the middle. They live in the switch's memory, so
 * these run in the switch (the admin API). The audit entry is written first, in its own
 * transaction: the hang-up itself waits on the network and writes the call record, which a
 * store transaction must not hold (see Store.transaction). A refused audit write hangs
 * nothing up; a call that ended by itself in between is answered 404 and leaves the entry,
 * which then records a request that found nothing to end.
 */
export class CallOperations {
  readonly #store: Store;
  readonly #control: CallControl | undefined;

  constructor(store: Store, control: CallControl | undefined) {
    this.#store = store;
    this.#control = control;
  }

  #calls(): CallControl {
    if (this.#control === undefined) throw new Error("no call control given to Operations");
    return this.#control;
  }

  /** Whether calls can be ended here (only inside the running switch). */
  get available(): boolean {
    return this.#control !== undefined;
  }

  /**
   * Hangs up `callId`. `onlyCustomerId` limits it to that customer's calls (a customer's
   * administrator): another customer's call is "not found", as if it did not exist.
   */
  async hangUp(actor: Actor, callId: string, onlyCustomerId?: number): Promise<HangUpView> {
    checkActor(actor);
    if (typeof callId !== "string" || callId === "" || callId.length > 256 || /[\s\0]/.test(callId))
      throw invalid("callId", `not a Call-ID: "${String(callId).slice(0, 80)}"`);
    const calls = this.#calls();
    const customerId = calls.customerOf(callId);
    if (customerId === undefined || (onlyCustomerId !== undefined && customerId !== onlyCustomerId))
      throw notFound(`no call in progress with Call-ID ${callId}`, "callId");
    const customer = await this.#store.customers.get(customerId).catch(() => undefined);
    await this.#store.transaction((tx) =>
      appendAudit(tx, actor, "call.hangup", customer ?? null, { callId }),
    );
    const outcome = await calls.hangUp(callId);
    if (outcome === "not-found") throw notFound(`call ${callId} ended before it could be hung up`, "callId");
    return { callId, outcome };
  }
}
