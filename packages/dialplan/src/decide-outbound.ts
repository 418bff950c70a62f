import { classifyDialled, stripSeparators } from "./classify.js";
import type { CallerContext, Decision, EmergencyDecision } from "./decisions.js";
import { departmentOfCommune, type EmergencyTable, isDepartment, isInseeCommune } from "./emergency-table.js";
import type { NumberingPlan } from "./numbering-plan.js";
import { parsePinPrefix } from "./pin.js";
import { PinAttemptTracker } from "./pin-attempts.js";
import { accessFor, type CustomerPolicy, type PinCode, type PstnSuspensionScope } from "./policy.js";
import { type Refusal, refuse } from "./refusals.js";
import type { DestinationClass } from "./types.js";

export interface DialplanData {
  readonly plan: NumberingPlan;
  /** The operator's emergency routing table; without one the carrier routes emergency calls. */
  readonly emergency: EmergencyTable | undefined;
}

const INTERNATIONAL_CLASSES: ReadonlySet<DestinationClass> = new Set([
  "intl-eu",
  "intl-europe",
  "intl-north-america",
  "intl-world",
  "fr-overseas-collectivity",
]);

export function isInternationalClass(cls: DestinationClass): boolean {
  return INTERNATIONAL_CLASSES.has(cls);
}

function suspensionCovers(scope: PstnSuspensionScope, cls: DestinationClass): boolean {
  if (scope === "all") return true;
  if (scope === "international") return INTERNATIONAL_CLASSES.has(cls);
  return scope.includes(cls);
}

/** Compare without an early exit, so timing does not tell how many digits were right. */
function samePin(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function findPin(pins: readonly PinCode[], pin: string): PinCode | undefined {
  let found: PinCode | undefined;
  for (const p of pins) if (samePin(p.code, pin) && found === undefined) found = p;
  return found;
}

/**
 * Rule 15: route only once the location is declared — to the centre the operator's table gives
 * for that commune, or, without a table, to the carrier as the dialled short number.
 */
export function decideEmergency(
  number: string,
  serviceName: string,
  policy: CustomerPolicy,
  data: DialplanData,
): EmergencyDecision | Refusal {
  const loc = policy.emergencyLocation;
  if (loc === undefined) return refuse("emergency-location-not-declared", true, `emergency ${number}`);
  if (
    !isInseeCommune(loc.commune) ||
    !isDepartment(loc.department) ||
    departmentOfCommune(loc.commune) !== loc.department
  ) {
    return refuse(
      "emergency-location-not-declared",
      true,
      `invalid declared location ${loc.department}/${loc.commune} for emergency ${number}`,
    );
  }
  if (data.emergency === undefined) {
    // No table: the carrier gets the short number and the declared commune, and routes it.
    return {
      kind: "emergency",
      service: number,
      serviceName,
      routing: "carrier",
      centreNumber: undefined,
      e164: undefined,
      commune: loc.commune,
      department: loc.department,
      charge: "free",
      presentation: "real-identity",
      privacyAllowed: false,
    };
  }
  const commune = data.emergency.communes.get(loc.commune);
  if (commune === undefined) {
    return refuse(
      "emergency-centre-unknown",
      true,
      `commune ${loc.commune} not in the emergency table (${number})`,
    );
  }
  const centre = commune.centres.get(number) ?? data.emergency.national.get(number);
  if (centre === undefined) {
    return refuse("emergency-centre-unknown", true, `no centre for ${number} in commune ${loc.commune}`);
  }
  return {
    kind: "emergency",
    service: number,
    serviceName,
    routing: "table",
    centreNumber: centre,
    e164: `+${data.plan.countryCode}${centre.slice(data.plan.nationalPrefix.length)}`,
    commune: loc.commune,
    department: loc.department,
    charge: "free",
    presentation: "real-identity",
    privacyAllowed: false,
  };
}

/**
 * Decide what an outbound call from one of the customer's phones becomes. Order matters and is
 * the contract: emergency (never blocked by PIN, barring or suspension), support line, internal
 * extensions (never suspended), then PSTN: suspension, barring, PIN.
 *
 * Pure apart from `pinAttempts`, whose wrong-PIN count it updates.
 */
export function decideOutbound(
  dialled: string,
  caller: CallerContext,
  policy: CustomerPolicy,
  data: DialplanData,
  now: number,
  pinAttempts: PinAttemptTracker,
): Decision {
  if (caller.customerId !== policy.customerId) {
    throw new TypeError(
      `policy of customer ${policy.customerId} applied to a call from ${caller.customerId}`,
    );
  }
  const { plan } = data;
  const cleaned = stripSeparators(dialled);
  const prefix = parsePinPrefix(cleaned);
  if (prefix.kind === "incomplete") return refuse("address-incomplete", false, "PIN prefix without a number");
  if (prefix.kind === "malformed")
    return refuse("invalid-number", false, "PIN prefix is * followed by 4 digits");

  const target = classifyDialled(prefix.rest, plan, policy.extensions);
  switch (target.kind) {
    case "invalid":
      return refuse(target.code, false, target.detail);
    case "emergency":
      return decideEmergency(target.number, target.service, policy, data);
    case "support":
      return { kind: "support", number: target.number };
    case "extension":
      return { kind: "internal", extension: target.extension };
  }

  const cls = target.class;
  const suspension = policy.suspension;
  if (suspension?.nonPayment !== undefined) return refuse("customer-suspended", false, `class ${cls}`);
  if (suspension?.pstn !== undefined && suspensionCovers(suspension.pstn.scope, cls)) {
    return refuse("pstn-suspended", false, `class ${cls}`);
  }

  const access = accessFor(policy, plan, cls);
  if (access === "barred") return refuse("destination-barred", false, `class ${cls}`);

  let pinUsed: string | undefined;
  if (prefix.kind === "pin") {
    const key = PinAttemptTracker.key(caller.customerId, caller.extension);
    const lockedUntil = pinAttempts.lockedUntil(key, now);
    if (lockedUntil !== undefined) {
      return refuse("pin-locked", false, `locked until ${new Date(lockedUntil).toISOString()}`);
    }
    const pin = findPin(policy.pins, prefix.pin);
    if (pin === undefined) {
      const r = pinAttempts.recordFailure(key, now);
      return r.lockedUntil === undefined
        ? refuse("wrong-pin", false, `failure ${r.failures}/${pinAttempts.maxFailures}`)
        : refuse(
            "wrong-pin",
            true,
            `lockout of ${caller.extension} until ${new Date(r.lockedUntil).toISOString()}`,
          );
    }
    pinAttempts.recordSuccess(key);
    pinUsed = pin.label;
  } else if (access === "pin") {
    return refuse("pin-required", false, `class ${cls}`);
  }

  return target.kind === "short"
    ? {
        kind: "pstn",
        number: target.number,
        e164: undefined,
        class: cls,
        zone: undefined,
        territory: undefined,
        pinUsed,
      }
    : {
        kind: "pstn",
        number: target.e164,
        e164: target.e164,
        class: cls,
        zone: target.zone,
        territory: target.territory,
        pinUsed,
      };
}
