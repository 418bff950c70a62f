import type { Phone, Store } from "@centrex/store";
import { ProvisioningError } from "./errors.js";
import type { PhoneCatalog } from "./families.js";
import type { PhoneData, PhoneLine } from "./phone-config.js";
import { type SealKey, unseal } from "./seal.js";

/** The stored password of a line cannot be given to the phone; the operator must act. */
export class SecretUnavailableError extends ProvisioningError {
  override name = "SecretUnavailableError";
  readonly extension: string;
  constructor(extension: string, why: string) {
    super(
      `extension ${extension}: ${why}; run \`centrex phone move\` to the same extension to set a new one`,
    );
    this.extension = extension;
  }
}

/**
 * What the templates need about one phone, read from the store. Passwords are unsealed only
 * when `withPasswords` (a file flagged `credentials`, fetched with the phone's credential).
 */
export async function loadPhoneData(
  store: Store,
  catalog: PhoneCatalog,
  phone: Phone,
  sealKey: SealKey | undefined,
  withPasswords: boolean,
): Promise<PhoneData> {
  const model = catalog.model(phone.model);
  if (model === undefined)
    throw new ProvisioningError(`phone ${phone.mac}: model ${phone.model} has no template`);
  const customer = await store.customers.get(phone.customerId);
  const lines: PhoneLine[] = [];
  for (const k of phone.lines) {
    const e = await store.extensions.get(k.extensionId);
    let password: string | undefined;
    if (withPasswords) {
      const s = await store.phones.sealedSecret(e.id);
      if (s === undefined || sealKey === undefined)
        throw new SecretUnavailableError(e.number, "no provisioned password");
      if (!s.current)
        throw new SecretUnavailableError(e.number, "the SIP password was changed outside provisioning");
      password = unseal(sealKey, s.sealed);
    }
    lines.push({ number: e.number, displayName: e.displayName, ...(password !== undefined && { password }) });
  }
  const blf = [];
  for (const k of phone.blf) {
    const e = await store.extensions.get(k.extensionId);
    blf.push({ number: e.number, displayName: e.displayName });
  }
  return { mac: phone.mac, model, domain: customer.domain, lines, blf };
}
