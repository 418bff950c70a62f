import { loadEmergencyTable, loadNumberingPlan, PinAttemptTracker } from "@centrex/dialplan";
import { CallPolicy } from "@centrex/proxy";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/** The operator's rules, loaded from the data files the config names. */
export function createCallPolicy(config: CentrexConfig, store: Store, logger: Logger): CallPolicy {
  const d = config.dialplan;
  const plan = loadNumberingPlan(d.numberingPlan);
  // Without the operator's own table, emergency calls go to the carrier as the dialled short
  // number with the declared commune (X-Emergency-Commune): the shipped SAMPLE table has
  // fictional centre numbers and is for tests only, never a default.
  if (d.emergencyTable === undefined) {
    logger.info(
      { event: "emergency-routing", routing: "carrier" },
      "no dialplan.emergencyTable: emergency numbers go to the carrier as dialled, with the declared INSEE commune",
    );
  }
  const emergency = d.emergencyTable === undefined ? undefined : loadEmergencyTable(d.emergencyTable);
  if (emergency?.sample === true) {
    logger.warn(
      { event: "emergency-table-sample" },
      "dialplan.emergencyTable is the SAMPLE table: its centre numbers are fictional (tests only)",
    );
  }
  const attempts = new PinAttemptTracker({
    maxFailures: d.pinMaxFailures,
    windowMs: d.pinWindowMinutes * 60_000,
    lockoutMs: d.pinLockoutMinutes * 60_000,
  });
  return new CallPolicy(store, { plan, emergency }, attempts);
}

/** The support line's extension, looked up at call time so a change applies at once. */
export function supportTarget(config: CentrexConfig, store: Store) {
  const s = config.dialplan.support;
  if (s === undefined) return undefined;
  return async () => {
    const customer = await store.customers.findByDomain(s.domain.toLowerCase());
    if (customer === undefined) return undefined;
    const ext = await store.extensions.find(customer.id, s.extension);
    return ext === undefined ? undefined : { customerId: customer.id, extensionId: ext.id };
  };
}
