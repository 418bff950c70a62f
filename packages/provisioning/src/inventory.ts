import { generatePassword } from "@centrex/guard";
import {
  ConflictError,
  type Customer,
  checkMac,
  type Extension,
  type Phone,
  type ProvisionedPassword,
  type Store,
  ValidationError,
} from "@centrex/store";
import { hashProvisioningPassword, newProvisioningPassword } from "./credential.js";
import { PhoneInputError } from "./errors.js";
import type { PhoneCatalog, PhoneModel } from "./families.js";
import { type SealKey, seal } from "./seal.js";

/*
 * The operator's phone inventory: add, move, remove, list. Everything is checked before
 * anything is written, and each change is one store transaction, so a bad call leaves the
 * store as it was. One implementation for the CLI and the API.
 */

export interface AddPhoneInput {
  readonly domain: string;
  readonly mac: string;
  readonly model: string;
  /** Line keys: extension numbers of the customer, optionally "NUMBER@DOMAIN". At least one. */
  readonly extensions: readonly string[];
  /** BLF keys, same form. */
  readonly blf?: readonly string[];
}

export interface AddedPhone {
  readonly phone: Phone;
  /** The provisioning password (user name: the MAC), shown this once; only its hash is kept. */
  readonly credential: string;
  /** Extensions given a new SIP password for this phone (the phone learns it by provisioning). */
  readonly newPasswords: readonly string[];
}

export interface MovedPhone {
  readonly phone: Phone;
  readonly newPasswords: readonly string[];
}

export class PhoneInventory {
  #sealKey: SealKey | (() => SealKey);

  /** `sealKey` may be a loader: called only once a change is valid (nothing written before). */
  constructor(
    readonly store: Store,
    readonly catalog: PhoneCatalog,
    sealKey: SealKey | (() => SealKey),
  ) {
    this.#sealKey = sealKey;
  }

  #key(): SealKey {
    // Loaded once: an inventory made by `on` shares it (a loader may create the key file).
    if (typeof this.#sealKey === "function") this.#sealKey = this.#sealKey();
    return this.#sealKey;
  }

  /**
   * The same inventory (catalog, provisioning key) working on `store` — a store transaction's,
   * so a change and its audit entry commit together. Its calls wait on the store only.
   */
  on(store: Store): PhoneInventory {
    return new PhoneInventory(store, this.catalog, () => this.#key());
  }

  #mac(mac: string): string {
    try {
      return checkMac(mac);
    } catch (err) {
      throw new PhoneInputError("mac", `malformed MAC ${JSON.stringify(mac)}: ${(err as Error).message}`);
    }
  }

  model(name: string): PhoneModel {
    const m = this.catalog.model(name);
    if (m === undefined)
      throw new PhoneInputError(
        "model",
        `unknown model ${JSON.stringify(name)} (known: ${this.catalog.describeModels()})`,
      );
    return m;
  }

  async #customer(domain: string): Promise<Customer> {
    const c = await this.store.customers.findByDomain(domain.trim().toLowerCase());
    if (c === undefined) throw new PhoneInputError("domain", `no customer with domain ${domain}`, 404);
    return c;
  }

  async #extension(customer: Customer, ref: string, field: string): Promise<Extension> {
    const at = ref.indexOf("@");
    const number = at < 0 ? ref : ref.slice(0, at);
    const domain = at < 0 ? customer.domain : ref.slice(at + 1).toLowerCase();
    if (domain !== customer.domain)
      throw new PhoneInputError(
        field,
        `extension ${ref} belongs to another customer than ${customer.domain}`,
      );
    const e = await this.store.extensions.find(customer.id, number);
    if (e === undefined) throw new PhoneInputError(field, `no extension ${number} in ${customer.domain}`);
    return e;
  }

  async #extensions(customer: Customer, refs: readonly string[], field: string): Promise<Extension[]> {
    const out: Extension[] = [];
    for (const r of refs) {
      const e = await this.#extension(customer, r, field);
      if (out.some((o) => o.id === e.id))
        throw new PhoneInputError(field, `extension ${e.number} given twice`);
      out.push(e);
    }
    return out;
  }

  /**
   * A line needs its SIP password in clear in the phone's file. An extension already set up
   * by provisioning (its sealed copy still matches) keeps its password, so a second phone on
   * it does not log the first one out; any other gets a new generated one.
   */
  async #passwordsFor(lines: readonly Extension[]): Promise<ProvisionedPassword[]> {
    const out: ProvisionedPassword[] = [];
    for (const e of lines) {
      const s = await this.store.phones.sealedSecret(e.id);
      if (s?.current === true) continue;
      const password = generatePassword({ username: e.number });
      out.push({ extensionId: e.id, password, sealed: seal(this.#key(), password) });
    }
    return out;
  }

  async add(input: AddPhoneInput): Promise<AddedPhone> {
    const mac = this.#mac(input.mac);
    const model = this.model(input.model);
    const customer = await this.#customer(input.domain);
    if (input.extensions.length === 0)
      throw new PhoneInputError("extension", "a phone needs at least one --extension");
    const lines = await this.#extensions(customer, input.extensions, "extension");
    const blf = await this.#extensions(customer, input.blf ?? [], "blf");
    const existing = await this.store.phones.findByMac(mac);
    if (existing !== undefined) throw new PhoneInputError("mac", `MAC ${mac} is already assigned`, 409);
    const passwords = await this.#passwordsFor(lines);
    const credential = newProvisioningPassword();
    try {
      const phone = await this.store.phones.create({
        customerId: customer.id,
        mac,
        model: model.name,
        lines: lines.map((e) => e.id),
        blf: blf.map((e) => e.id),
        credentialHash: hashProvisioningPassword(credential),
        passwords,
      });
      return { phone, credential, newPasswords: this.#numbers(lines, passwords) };
    } catch (err) {
      throw translate(err, mac);
    }
  }

  async find(mac: string): Promise<Phone> {
    const key = this.#mac(mac);
    const phone = await this.store.phones.findByMac(key);
    if (phone === undefined) throw new PhoneInputError("mac", `no phone with MAC ${key}`, 404);
    return phone;
  }

  /** Points the phone's keys at other extensions of its customer (a desk changes hands). */
  async move(
    mac: string,
    keys: { extensions: readonly string[]; blf?: readonly string[] },
  ): Promise<MovedPhone> {
    const phone = await this.find(mac);
    const customer = await this.store.customers.get(phone.customerId);
    if (keys.extensions.length === 0)
      throw new PhoneInputError("extension", "a phone needs at least one --extension");
    const lines = await this.#extensions(customer, keys.extensions, "extension");
    const blf =
      keys.blf === undefined
        ? phone.blf.map((k) => k.extensionId)
        : (await this.#extensions(customer, keys.blf, "blf")).map((e) => e.id);
    const passwords = await this.#passwordsFor(lines);
    try {
      const moved = await this.store.phones.setKeys(
        phone.id,
        { lines: lines.map((e) => e.id), blf },
        passwords,
      );
      return { phone: moved, newPasswords: this.#numbers(lines, passwords) };
    } catch (err) {
      throw translate(err, phone.mac);
    }
  }

  async remove(mac: string): Promise<Phone> {
    const phone = await this.find(mac);
    await this.store.phones.delete(phone.id);
    return phone;
  }

  async list(domain: string): Promise<{ customer: Customer; phones: Phone[] }> {
    const customer = await this.#customer(domain);
    return { customer, phones: await this.store.phones.listByCustomer(customer.id) };
  }

  #numbers(lines: readonly Extension[], passwords: readonly ProvisionedPassword[]): string[] {
    return lines.filter((e) => passwords.some((p) => p.extensionId === e.id)).map((e) => e.number);
  }
}

function translate(err: unknown, mac: string): unknown {
  if (err instanceof ConflictError && err.field === "mac")
    return new PhoneInputError("mac", `MAC ${mac} is already assigned`, 409);
  if (err instanceof ValidationError) return new PhoneInputError(err.field, err.message);
  return err;
}
