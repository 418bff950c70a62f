import {
  type ClassAccess,
  type CustomerPolicy,
  type Decision,
  type DestinationClass,
  type DialplanData,
  decideOutbound,
  isDestinationClass,
  type PinAttemptTracker,
  parsePinPrefix,
  type Suspension,
  stripSeparators,
} from "@centrex/dialplan";
import type { BarringOverride, Store, CustomerPolicy as StoredPolicy } from "@centrex/store";

const ACCESS: Record<BarringOverride, ClassAccess> = { allow: "allowed", pin: "pin", deny: "barred" };

/**
 * The operator's rules applied to one call: reads the customer's policy from
 * the store, checks a dialled PIN against the stored hashes, and asks the
 * pure dialplan for a verdict. The dialplan never sees a PIN hash, and the
 * store never sees the numbering plan.
 */
export class CallPolicy {
  constructor(
    readonly store: Pick<Store, "customers" | "extensions" | "ringGroups" | "policies" | "pins">,
    readonly data: DialplanData,
    readonly pinAttempts: PinAttemptTracker,
    readonly clock: () => number = Date.now,
  ) {}

  async decide(dialled: string, customerId: number, extension: string): Promise<Decision> {
    const policy = await this.#policy(customerId, dialled);
    return decideOutbound(
      dialled,
      { customerId: String(customerId), extension },
      policy,
      this.data,
      this.clock(),
      this.pinAttempts,
    );
  }

  async #policy(customerId: number, dialled: string): Promise<CustomerPolicy> {
    const [customer, stored, exts, groups] = await Promise.all([
      this.store.customers.get(customerId),
      this.store.policies.get(customerId),
      this.store.extensions.listByCustomer(customerId),
      this.store.ringGroups.listByCustomer(customerId),
    ]);
    const prefix = parsePinPrefix(stripSeparators(dialled));
    // Only a PIN that matches a stored hash reaches the dialplan, under its label.
    const pin = prefix.kind === "pin" ? await this.store.pins.verify(customerId, prefix.pin) : undefined;
    const pins = pin !== undefined && prefix.kind === "pin" ? [{ label: pin.label, code: prefix.pin }] : [];
    return {
      customerId: String(customerId),
      telecomProfessional: stored.telecomProfessional,
      extensions: new Set([...exts.map((e) => e.number), ...groups.map((g) => g.number)]),
      access: accessOverrides(stored),
      pins,
      ...(stored.emergencyDepartment !== null &&
        stored.emergencyCommune !== null && {
          emergencyLocation: { department: stored.emergencyDepartment, commune: stored.emergencyCommune },
        }),
      suspension: suspensionOf(customer.status, stored),
    };
  }
}

function accessOverrides(p: StoredPolicy): Partial<Record<DestinationClass, ClassAccess>> {
  const out: Partial<Record<DestinationClass, ClassAccess>> = {};
  for (const [cls, o] of Object.entries(p.barringOverrides)) {
    if (isDestinationClass(cls)) out[cls] = ACCESS[o];
  }
  return out;
}

/**
 * Non-payment is the customer's contract status (CG art. 17); an abuse
 * suspension of PSTN access (CG art. 13) is partial (international only) or
 * total. Internal and emergency calls are never affected (the dialplan's rule).
 */
function suspensionOf(status: string, p: StoredPolicy): Suspension | undefined {
  const nonPayment = status === "suspended" ? { incoming: "deliver" as const } : undefined;
  const pstn =
    p.pstnSuspension === "total"
      ? { scope: "all" as const }
      : p.pstnSuspension === "partial"
        ? { scope: "international" as const }
        : undefined;
  if (nonPayment === undefined && pstn === undefined) return undefined;
  return { ...(nonPayment !== undefined && { nonPayment }), ...(pstn !== undefined && { pstn }) };
}
