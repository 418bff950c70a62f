import type { PhoneService } from "@centrex/admin";
import type { PhoneInventory, PhoneResync } from "@centrex/provisioning";

/** What the admin routes are given for desk phones: the inventory (changed through the operations layer) and resync. */
export function phoneService(inventory: PhoneInventory, resync: PhoneResync): PhoneService {
  return { inventory, resync: (phone) => resync.resync(phone) };
}
