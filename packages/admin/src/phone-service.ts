import type { OperationsOptions, ResyncView } from "@centrex/operations";
import type { Phone } from "@centrex/store";

/*
 * What the switch gives the API for desk phones: its inventory (catalog, provisioning key),
 * which the operations layer changes (rules, one transaction, audit), and the check-sync
 * NOTIFY, which needs the switch's SIP stack. Without it the /phones routes are not registered.
 */
export interface PhoneService {
  readonly inventory: NonNullable<OperationsOptions["phones"]>;
  /** Sends the check-sync NOTIFY to the phone's registered lines and reports their answers. */
  resync(phone: Phone): Promise<ResyncView>;
}
