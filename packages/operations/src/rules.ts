import {
  type ClassAccess,
  changeClassAccess,
  classifyE164,
  DESTINATION_CLASSES,
  type DestinationClass,
  type CustomerPolicy as DialplanPolicy,
  departmentOfCommune,
  isDepartment,
  isDestinationClass,
  isInseeCommune,
  isValidPinCode,
  type NumberingPlan,
  newCustomerPolicy,
  PolicyChangeError,
} from "@centrex/dialplan";
import type { BarringOverride, CustomerPolicy } from "@centrex/store";
import { invalid, refused } from "./errors.js";

/*
 * The service terms' rules on tenant data, checked before anything is written. The call path
 * enforces the same rules on each call (packages/dialplan); these keep the data from ever
 * saying something the rules forbid.
 */

const TO_ACCESS: Record<BarringOverride, ClassAccess> = { allow: "allowed", pin: "pin", deny: "barred" };
const TO_OVERRIDE: Record<ClassAccess, BarringOverride> = { allowed: "allow", pin: "pin", barred: "deny" };

/** What an operator may ask a class to be: one of the overrides, or back to the plan's default. */
export type BarringRequest = BarringOverride | "default";
export const BARRING_REQUESTS: readonly BarringRequest[] = ["allow", "pin", "deny", "default"];

export function checkClass(value: string): DestinationClass {
  if (!isDestinationClass(value))
    throw invalid(
      "class",
      `class "${value}" is not a destination class (one of ${DESTINATION_CLASSES.join(", ")})`,
    );
  return value;
}

/**
 * Rule 19: a class the plan bars by default may only be opened to "pin", never to "allow" —
 * not directly, and not from "pin" either (the dialplan's `changeClassAccess` decides from the
 * current access; the plan default is checked here too, so pin → allow cannot open it). Returns
 * the new override map (a class at its default has no override) and the audit's from/to.
 */
export function barringChange(
  plan: NumberingPlan,
  stored: CustomerPolicy,
  cls: DestinationClass,
  request: BarringRequest,
  who: string,
  when: number,
): { overrides: Record<string, BarringOverride>; from: ClassAccess; to: ClassAccess } {
  if (!(BARRING_REQUESTS as readonly string[]).includes(request))
    throw invalid("access", `access must be allow, pin, deny or default, got "${request}"`);
  const dflt = plan.classes[cls].defaultAccess;
  const to: ClassAccess = request === "default" ? dflt : TO_ACCESS[request];
  if (dflt === "barred" && to === "allowed")
    throw refused(
      "access",
      `${cls} (${plan.classes[cls].label}) is barred by default: it can only be opened with PIN protection ("pin"), not "allow"`,
    );
  const policy: DialplanPolicy = {
    ...newCustomerPolicy(String(stored.customerId)),
    access: accessOf(stored),
  };
  try {
    const r = changeClassAccess(policy, plan, { class: cls, to, who, when });
    const overrides: Record<string, BarringOverride> = {};
    for (const [k, v] of Object.entries(stored.barringOverrides))
      if (!isDestinationClass(k)) overrides[k] = v;
    for (const [k, v] of Object.entries(r.policy.access)) overrides[k] = TO_OVERRIDE[v];
    return { overrides, from: r.audit.from, to: r.audit.to };
  } catch (err) {
    if (err instanceof PolicyChangeError) throw refused("access", err.message);
    throw err;
  }
}

function accessOf(p: CustomerPolicy): Partial<Record<DestinationClass, ClassAccess>> {
  const out: Partial<Record<DestinationClass, ClassAccess>> = {};
  for (const [cls, o] of Object.entries(p.barringOverrides))
    if (isDestinationClass(cls)) out[cls] = TO_ACCESS[o];
  return out;
}

/** Rule 18: a PIN is exactly 4 digits. */
export function checkPinCode(code: string): string {
  if (typeof code !== "string" || !isValidPinCode(code))
    throw invalid("code", "code must be exactly 4 digits (the code itself is not repeated here)");
  return code;
}

/** Trimmed text of 1 to `max` characters without control characters, or invalid naming `field`. */
export function printable(value: string, field: string, max: number): string {
  const t = typeof value === "string" ? value.trim() : "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (t.length === 0 || t.length > max || /[\u0000-\u001f\u007f]/.test(t))
    throw invalid(field, `${field} must be 1 to ${max} printable characters, got "${String(value)}"`);
  return t;
}

export function checkLabel(label: string): string {
  return printable(label, "label", 100);
}

/** Rule 15: emergency calls are routed only to a declared, coherent location. */
export function checkEmergencyLocation(
  department: string,
  commune: string,
): { department: string; commune: string } {
  const dep = typeof department === "string" ? department.trim().toUpperCase() : "";
  const com = typeof commune === "string" ? commune.trim().toUpperCase() : "";
  // "20" was split into 2A and 2B in 1976: a Corsican commune needs one of those.
  if (!isDepartment(dep) || dep === "20")
    throw invalid(
      "department",
      `department "${department}" is not a French department code (01..95, 2A, 2B, 971..976)`,
    );
  if (!isInseeCommune(com))
    throw invalid(
      "commune",
      `commune "${commune}" is not a 5-character INSEE commune code (e.g. 75056, 2A004)`,
    );
  if (departmentOfCommune(com) !== dep)
    throw invalid("commune", `commune ${com} is not in department ${dep}`);
  return { department: dep, commune: com };
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

export function checkE164(value: string, field: string): string {
  if (typeof value !== "string" || !E164.test(value))
    throw invalid(field, `${field} "${String(value)}" is not an E.164 number like +33123456789`);
  return value;
}

/** Rule 3: customers receive calls on French geographic numbers (01–05, and overseas geographic). */
export function checkDid(plan: NumberingPlan, e164: string): string {
  checkE164(e164, "e164");
  const c = classifyE164(e164, plan);
  if (c.kind !== "e164" || (c.class !== "fr-geographic" && c.class !== "fr-overseas-geographic"))
    throw refused(
      "e164",
      `e164 ${e164} is not a French geographic number (01 to 05 + 8 digits): only those are allocated to customers`,
    );
  return c.e164;
}

const NOT_FALLBACK: ReadonlySet<string> = new Set([
  "fr-premium",
  "fr-shared",
  "fr-directory",
  "fr-short",
  "fr-short-free",
]);

/** Rule 22: the outage fallback is a fixed or mobile number the customer answers, not a service number. */
export function checkFallback(plan: NumberingPlan, e164: string): string {
  checkE164(e164, "e164");
  const c = classifyE164(e164, plan);
  if (c.kind !== "e164") throw invalid("e164", `e164 ${e164} is not a valid number: ${c.detail}`);
  if (NOT_FALLBACK.has(c.class))
    throw refused(
      "e164",
      `e164 ${e164} is a ${plan.classes[c.class].label} number: the fallback must be a fixed or mobile line`,
    );
  return c.e164;
}
