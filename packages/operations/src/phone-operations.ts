import { type AddPhoneInput, PhoneInputError, type PhoneInventory } from "@centrex/provisioning";
import type { Phone, Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { OperationError, translate } from "./errors.js";

/** A desk phone as operators see it: its keys by extension number, never its credential hash. */
export interface PhoneView {
  readonly mac: string;
  readonly model: string;
  readonly domain: string;
  /** Line keys (accounts), extension numbers in key order. */
  readonly lines: readonly string[];
  readonly blf: readonly string[];
  readonly createdAt: number;
}

export interface PhoneKeys {
  readonly extensions: readonly string[];
  readonly blf?: readonly string[];
}

/** What the running switch answers to a check-sync NOTIFY (the admin API relays it). */
export interface ResyncView {
  readonly mac: string;
  readonly event: string;
  readonly attempts: readonly {
    readonly extension: string;
    readonly contact: string;
    readonly remote: string;
    readonly outcome: number | string;
  }[];
}

/**
 * The desk-phone inventory (`@centrex/provisioning`'s rules: known model, well-formed MAC
 * assigned once, keys on the customer's own extensions) for every entry point, each change
 * one store transaction with its audit entry. The provisioning password shown once and the
 * SIP passwords set for the lines are never in the audit trail (only which extensions got one).
 */
export class PhoneOperations {
  readonly #store: Store;
  readonly #inventory: PhoneInventory | undefined;

  constructor(store: Store, inventory: PhoneInventory | undefined) {
    this.#store = store;
    this.#inventory = inventory;
  }

  #on(s: Store): PhoneInventory {
    // A wiring fault, not operator input: the composition root gives the inventory.
    if (this.#inventory === undefined) throw new Error("no phone inventory given to Operations");
    return this.#inventory.on(s);
  }

  async #view(s: Store, p: Phone): Promise<PhoneView> {
    return {
      mac: p.mac,
      model: p.model,
      domain: (await s.customers.get(p.customerId)).domain,
      lines: p.lines.map((k) => k.number),
      blf: p.blf.map((k) => k.number),
      createdAt: p.createdAt,
    };
  }

  async list(domain: string): Promise<PhoneView[]> {
    const { phones } = await asOperation(() => this.#on(this.#store).list(domain));
    const out: PhoneView[] = [];
    for (const p of phones) out.push(await this.#view(this.#store, p));
    return out;
  }

  /** Adds a phone; `credential` (its provisioning password) is returned this once, never stored in clear. */
  async add(
    actor: Actor,
    input: AddPhoneInput,
  ): Promise<{ phone: PhoneView; credential: string; newPasswords: readonly string[] }> {
    checkActor(actor);
    return asOperation(() =>
      this.#store.transaction(async (tx) => {
        const added = await this.#on(tx).add(input);
        const phone = await this.#view(tx, added.phone);
        await appendAudit(tx, actor, "phone.add", customerOf(added.phone, phone), {
          after: { mac: phone.mac, model: phone.model, lines: phone.lines, blf: phone.blf },
          newPasswords: added.newPasswords,
        });
        return { phone, credential: added.credential, newPasswords: added.newPasswords };
      }),
    );
  }

  /** Points the phone's keys at other extensions of its customer. */
  async move(
    actor: Actor,
    mac: string,
    keys: PhoneKeys,
  ): Promise<{ phone: PhoneView; newPasswords: readonly string[] }> {
    checkActor(actor);
    return asOperation(() =>
      this.#store.transaction(async (tx) => {
        const inv = this.#on(tx);
        const before = await this.#view(tx, await inv.find(mac));
        const moved = await inv.move(mac, keys);
        const phone = await this.#view(tx, moved.phone);
        await appendAudit(tx, actor, "phone.move", customerOf(moved.phone, phone), {
          mac: phone.mac,
          before: { lines: before.lines, blf: before.blf },
          after: { lines: phone.lines, blf: phone.blf },
          newPasswords: moved.newPasswords,
        });
        return { phone, newPasswords: moved.newPasswords };
      }),
    );
  }

  async remove(actor: Actor, mac: string): Promise<PhoneView> {
    checkActor(actor);
    return asOperation(() =>
      this.#store.transaction(async (tx) => {
        const inv = this.#on(tx);
        const view = await this.#view(tx, await inv.find(mac));
        const removed = await inv.remove(mac);
        await appendAudit(tx, actor, "phone.remove", customerOf(removed, view), {
          before: { mac: view.mac, model: view.model, lines: view.lines, blf: view.blf },
        });
        return view;
      }),
    );
  }

  /**
   * Makes the phone fetch its configuration now: `send` (the running switch's check-sync
   * NOTIFY) is network, so it runs outside any transaction; the audit entry records its outcome.
   */
  async resync(actor: Actor, mac: string, send: (phone: Phone) => Promise<ResyncView>): Promise<ResyncView> {
    checkActor(actor);
    const phone = await asOperation(() => this.#on(this.#store).find(mac));
    const result = await send(phone);
    const view = await this.#view(this.#store, phone);
    await this.#store.transaction((tx) =>
      appendAudit(tx, actor, "phone.resync", customerOf(phone, view), {
        mac: result.mac,
        event: result.event,
        outcomes: result.attempts.map((a) => a.outcome),
      }),
    );
    return result;
  }
}

const customerOf = (p: Phone, v: PhoneView) => ({ id: p.customerId, domain: v.domain });

/** Provisioning's input errors as the operations layer's (400, 404, 409 → invalid, not_found, conflict). */
async function asOperation<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PhoneInputError)
      throw new OperationError(
        err.status === 404 ? "not_found" : err.status === 409 ? "conflict" : "invalid",
        err.message,
        err.field,
      );
    throw translate(err);
  }
}
