import { PolicyChangeError } from "./errors.js";
import type { NumberingPlan } from "./numbering-plan.js";
import { isValidPinCode } from "./pin.js";
import { type ClassAccess, type DestinationClass, isClassAccess, isDestinationClass } from "./types.js";

export interface PinCode {
  readonly label: string;
  /** Exactly 4 digits. */
  readonly code: string;
}

export interface EmergencyLocation {
  /** Department code: 01…95, 2A, 2B, 971…976. */
  readonly department: string;
  /** INSEE commune code (5 characters). */
  readonly commune: string;
}

/** Which PSTN classes a partial suspension covers: all of them, every international one, or a list. */
export type PstnSuspensionScope = "all" | "international" | readonly DestinationClass[];

export interface Suspension {
  /** Non-payment (rule 17): every PSTN call refused except emergency. */
  readonly nonPayment?: {
    /** Whether calls to the customer's numbers are still delivered. */
    readonly incoming: "deliver" | "refuse";
  };
  /** Abnormal consumption (rule 16): PSTN access cut partially or totally. */
  readonly pstn?: { readonly scope: PstnSuspensionScope };
}

export interface CustomerPolicy {
  readonly customerId: string;
  /** Telecom professional (call centre, call shop…): separate conditions, not fair-use eligible. */
  readonly telecomProfessional: boolean;
  /** The customer's own extension numbers (digits, never starting with 0). */
  readonly extensions: ReadonlySet<string>;
  /** Per-class overrides of the plan's default access. */
  readonly access: Readonly<Partial<Record<DestinationClass, ClassAccess>>>;
  readonly pins: readonly PinCode[];
  /** Declared location for emergency routing; undefined until the customer declares it. */
  readonly emergencyLocation?: EmergencyLocation | undefined;
  readonly suspension?: Suspension | undefined;
}

/** A new policy with the plan defaults: no overrides, no PINs, no location, no suspension. */
export function newCustomerPolicy(
  customerId: string,
  init: { telecomProfessional?: boolean; extensions?: Iterable<string> } = {},
): CustomerPolicy {
  return {
    customerId,
    telecomProfessional: init.telecomProfessional ?? false,
    extensions: new Set(init.extensions ?? []),
    access: {},
    pins: [],
  };
}

/** The access a customer has to a class: its override, else the plan default. */
export function accessFor(policy: CustomerPolicy, plan: NumberingPlan, cls: DestinationClass): ClassAccess {
  return policy.access[cls] ?? plan.classes[cls].defaultAccess;
}

export interface ClassAccessAudit {
  readonly who: string;
  readonly when: number;
  readonly class: DestinationClass;
  readonly from: ClassAccess;
  readonly to: ClassAccess;
}

export interface ClassAccessChange {
  readonly class: DestinationClass;
  readonly to: ClassAccess;
  /** The administrator who made the change (required: opening a barred class must be traceable). */
  readonly who: string;
  readonly when: number;
}

/**
 * Administrator change of a class's access. A barred class can only be opened to `pin`
 * (rule 19: opened classes stay PIN-protected); the audit entry must be stored by the caller.
 */
export function changeClassAccess(
  policy: CustomerPolicy,
  plan: NumberingPlan,
  change: ClassAccessChange,
): { policy: CustomerPolicy; audit: ClassAccessAudit } {
  if (!isDestinationClass(change.class))
    throw new PolicyChangeError(`unknown destination class "${change.class}"`);
  if (!isClassAccess(change.to)) throw new PolicyChangeError(`unknown access "${change.to}"`);
  if (change.who.trim() === "") throw new PolicyChangeError("a class change needs the administrator's name");
  const from = accessFor(policy, plan, change.class);
  // Barred by default stays PIN-protected once opened: pin → allowed is refused as well.
  const barred = from === "barred" || plan.classes[change.class].defaultAccess === "barred";
  if (barred && change.to === "allowed") {
    throw new PolicyChangeError(
      `class ${change.class} is barred: it can only be opened with PIN protection ("pin")`,
    );
  }
  const access = { ...policy.access };
  if (change.to === plan.classes[change.class].defaultAccess) delete access[change.class];
  else access[change.class] = change.to;
  return {
    policy: { ...policy, access },
    audit: { who: change.who, when: change.when, class: change.class, from, to: change.to },
  };
}

export interface PinAudit {
  readonly who: string;
  readonly when: number;
  readonly action: "pin-added" | "pin-changed" | "pin-removed";
  /** The label only: the code itself is confidential and never audited. */
  readonly label: string;
}

function checkPin(policy: CustomerPolicy, pin: PinCode, ignoreLabel?: string): void {
  if (pin.label.trim() === "") throw new PolicyChangeError("a PIN needs a label");
  if (!isValidPinCode(pin.code)) throw new PolicyChangeError(`PIN "${pin.label}" must be exactly 4 digits`);
  for (const p of policy.pins) {
    if (p.label === ignoreLabel) continue;
    if (p.code === pin.code) throw new PolicyChangeError(`PIN code already used by "${p.label}"`);
  }
}

export function addPin(
  policy: CustomerPolicy,
  pin: PinCode,
  who: string,
  when: number,
): { policy: CustomerPolicy; audit: PinAudit } {
  if (policy.pins.some((p) => p.label === pin.label))
    throw new PolicyChangeError(`PIN "${pin.label}" already exists`);
  checkPin(policy, pin);
  return {
    policy: { ...policy, pins: [...policy.pins, { label: pin.label, code: pin.code }] },
    audit: { who, when, action: "pin-added", label: pin.label },
  };
}

export function changePin(
  policy: CustomerPolicy,
  label: string,
  code: string,
  who: string,
  when: number,
): { policy: CustomerPolicy; audit: PinAudit } {
  if (!policy.pins.some((p) => p.label === label)) throw new PolicyChangeError(`no PIN labelled "${label}"`);
  checkPin(policy, { label, code }, label);
  return {
    policy: { ...policy, pins: policy.pins.map((p) => (p.label === label ? { label, code } : p)) },
    audit: { who, when, action: "pin-changed", label },
  };
}

export function removePin(
  policy: CustomerPolicy,
  label: string,
  who: string,
  when: number,
): { policy: CustomerPolicy; audit: PinAudit } {
  if (!policy.pins.some((p) => p.label === label)) throw new PolicyChangeError(`no PIN labelled "${label}"`);
  return {
    policy: { ...policy, pins: policy.pins.filter((p) => p.label !== label) },
    audit: { who, when, action: "pin-removed", label },
  };
}
