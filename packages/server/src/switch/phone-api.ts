import { ApiError, type PhoneOperations, type PhoneView } from "@centrex/admin";
import { PhoneInputError, type PhoneInventory, type PhoneResync } from "@centrex/provisioning";
import type { Phone, Store } from "@centrex/store";

/** The API's view of the provisioning inventory: what the admin routes are given. */
export function phoneOperations(
  store: Store,
  inventory: PhoneInventory,
  resync: PhoneResync,
): PhoneOperations {
  const view = async (p: Phone): Promise<PhoneView> => ({
    mac: p.mac,
    model: p.model,
    domain: (await store.customers.get(p.customerId)).domain,
    lines: p.lines.map((k) => k.number),
    blf: p.blf.map((k) => k.number),
    createdAt: p.createdAt,
  });
  const api = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PhoneInputError)
        throw new ApiError(err.status, codeOf(err.status), err.message, err.field);
      throw err;
    }
  };
  return {
    add: (input) =>
      api(async () => {
        const added = await inventory.add(input);
        return {
          phone: await view(added.phone),
          credential: added.credential,
          newPasswords: added.newPasswords,
        };
      }),
    list: (domain) => api(async () => Promise.all((await inventory.list(domain)).phones.map(view))),
    move: (mac, keys) =>
      api(async () => {
        const moved = await inventory.move(mac, keys);
        return { phone: await view(moved.phone), newPasswords: moved.newPasswords };
      }),
    remove: (mac) => api(async () => view(await inventory.remove(mac))),
    resync: (mac) => api(async () => resync.resync(await inventory.find(mac))),
    customerOf: async (mac) => (await store.phones.findByMac(mac))?.customerId ?? null,
  };
}

function codeOf(status: number): string {
  return status === 404 ? "not_found" : status === 409 ? "conflict" : "invalid";
}
