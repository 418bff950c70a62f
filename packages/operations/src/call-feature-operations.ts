import type { ExtensionFeatures, ExtensionFeaturesPatch, Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { invalid, notFound, storeCall } from "./errors.js";

/** An extension's call forwarding and do-not-disturb, as the CLI and the API show them. */
export interface CallFeaturesView extends Omit<ExtensionFeatures, "extensionId"> {
  readonly extension: string;
}

/**
 * Call forwarding and do-not-disturb set by the operator (the phone sets them with feature
 * codes, through the proxy). The store checks each target's form; whether the extension may
 * call it (barring, PIN) is decided on each forwarded call, as for a dialled one.
 */
export class CallFeatureOperations {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async show(domain: string, number: string): Promise<CallFeaturesView> {
    const { ext } = await this.#extension(this.#store, domain, number);
    return view(number, await this.#store.features.get(ext.id));
  }

  async set(
    actor: Actor,
    domain: string,
    number: string,
    patch: ExtensionFeaturesPatch,
  ): Promise<CallFeaturesView> {
    checkActor(actor);
    if (Object.values(patch).every((v) => v === undefined)) {
      throw invalid("forwardAlways", "nothing to change: give a forwarding, noAnswerSeconds or dnd");
    }
    for (const [field, v] of Object.entries(patch)) {
      if (v === number) throw invalid(field, `${field}: extension ${number} cannot forward to itself`);
    }
    return this.#store.transaction(async (tx) => {
      const { customer, ext } = await this.#extension(tx, domain, number);
      const before = await tx.features.get(ext.id);
      const after = await storeCall(() => tx.features.update(ext.id, patch), {}, { ...patch });
      await appendAudit(tx, actor, "extension.call-features", customer, {
        number,
        before: view(number, before),
        after: view(number, after),
      });
      return view(number, after);
    });
  }

  async #extension(s: Store, domain: string, number: string) {
    const customer = await s.customers.findByDomain(String(domain).trim().toLowerCase());
    if (customer === undefined) throw notFound(`no customer with domain "${String(domain)}"`, "domain");
    const ext = await s.extensions.find(customer.id, number);
    if (ext === undefined) throw notFound(`no extension "${number}" in ${customer.domain}`, "number");
    return { customer, ext };
  }
}

function view(extension: string, f: ExtensionFeatures): CallFeaturesView {
  const { extensionId: _id, ...rest } = f;
  return { extension, ...rest };
}
