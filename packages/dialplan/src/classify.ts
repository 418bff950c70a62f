import { longestPrefix, type NumberingPlan } from "./numbering-plan.js";
import type { DestinationClass } from "./types.js";

/** What a dialled string designates, before any customer policy is applied. */
export type DialledTarget =
  | { readonly kind: "emergency"; readonly number: string; readonly service: string }
  | { readonly kind: "support"; readonly number: string }
  | { readonly kind: "extension"; readonly extension: string }
  | { readonly kind: "short"; readonly number: string; readonly class: DestinationClass }
  | {
      readonly kind: "e164";
      readonly e164: string;
      readonly class: DestinationClass;
      /** International zone name; undefined for numbers of the French plan (metropolitan or overseas). */
      readonly zone: string | undefined;
      readonly territory: string | undefined;
    }
  | {
      readonly kind: "invalid";
      readonly code: "invalid-number" | "address-incomplete";
      readonly detail: string;
    };

type E164Target = Extract<DialledTarget, { kind: "e164" }>;
type Invalid = Extract<DialledTarget, { kind: "invalid" }>;

const VISUAL_SEPARATORS = /[\s\-.()]/g;

/** Strip visual separators (RFC 3966): spaces, dashes, dots, parentheses. */
export function stripSeparators(raw: string): string {
  return raw.replace(VISUAL_SEPARATORS, "");
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function invalid(code: Invalid["code"], detail: string): Invalid {
  return { kind: "invalid", code, detail };
}

/**
 * Classify a French national significant number (the digits after the national prefix 0).
 * Overseas departments share the national plan but have their own E.164 country code.
 */
export function classifyNational(nsn: string, plan: NumberingPlan): E164Target | Invalid {
  if (nsn !== "" && !isDigits(nsn)) return invalid("invalid-number", "national number has non-digits");
  if (nsn.length < plan.nsnLength)
    return invalid("address-incomplete", `national number too short (${nsn.length + 1} digits)`);
  if (nsn.length > plan.nsnLength)
    return invalid("invalid-number", `national number too long (${nsn.length + 1} digits)`);
  const range = longestPrefix(plan.national, plan.nationalMaxPrefix, nsn);
  if (!range) return invalid("invalid-number", `no national range for 0${nsn.slice(0, 3)}`);
  const cc = range.countryCode ?? plan.countryCode;
  return {
    kind: "e164",
    e164: `+${cc}${nsn}`,
    class: range.class,
    zone: undefined,
    territory: range.territory,
  };
}

/** Classify an E.164 number (with or without its leading "+"). */
export function classifyE164(e164: string, plan: NumberingPlan): E164Target | Invalid {
  const digits = e164.startsWith("+") ? e164.slice(1) : e164;
  if (!isDigits(digits))
    return invalid(digits.length === 0 ? "address-incomplete" : "invalid-number", "not an E.164 number");
  if (digits.startsWith(plan.countryCode)) {
    let nsn = digits.slice(plan.countryCode.length);
    // "+33 0 1 23…": a national prefix wrongly kept after the country code, common on business cards.
    if (nsn.length === plan.nsnLength + 1 && nsn.startsWith(plan.nationalPrefix)) nsn = nsn.slice(1);
    return classifyNational(nsn, plan);
  }
  for (const cc of plan.overseasCountryCodes) {
    if (!digits.startsWith(cc)) continue;
    const nsn = digits.slice(cc.length);
    const r = classifyNational(nsn, plan);
    if (r.kind === "invalid") return r;
    if (r.e164 !== `+${digits}`) return invalid("invalid-number", `+${cc} has no range ${nsn.slice(0, 3)}`);
    return r;
  }
  if (digits.length < plan.intlMinDigits)
    return invalid("address-incomplete", "international number too short");
  if (digits.length > plan.intlMaxDigits) return invalid("invalid-number", "international number too long");
  if (digits.startsWith("0")) return invalid("invalid-number", "country codes do not start with 0");
  const zone = longestPrefix(plan.zoneByPrefix, plan.zoneMaxPrefix, digits) ?? plan.defaultZone;
  return { kind: "e164", e164: `+${digits}`, class: zone.class, zone: zone.name, territory: undefined };
}

/**
 * Classify what a phone dialled (PIN prefix already removed, separators already stripped):
 * emergency and support numbers first (no extension may shadow them), then the customer's
 * extensions, then short numbers, national (0…) and international (00… or +…).
 */
export function classifyDialled(
  dialled: string,
  plan: NumberingPlan,
  extensions?: ReadonlySet<string>,
): DialledTarget {
  if (dialled.startsWith("+")) return classifyE164(dialled, plan);
  if (!isDigits(dialled)) {
    return invalid(
      dialled.length === 0 ? "address-incomplete" : "invalid-number",
      "dialled string has non-digits",
    );
  }
  if (dialled.startsWith(plan.internationalPrefix)) {
    return classifyE164(dialled.slice(plan.internationalPrefix.length), plan);
  }
  if (dialled.startsWith(plan.nationalPrefix))
    return classifyNational(dialled.slice(plan.nationalPrefix.length), plan);
  const service = plan.emergency.get(dialled);
  if (service !== undefined) return { kind: "emergency", number: dialled, service };
  if (plan.support.has(dialled)) return { kind: "support", number: dialled };
  if (extensions?.has(dialled)) return { kind: "extension", extension: dialled };
  const range = longestPrefix(plan.short, plan.shortMaxPrefix, dialled);
  if (range) {
    if (dialled.length < range.length)
      return invalid("address-incomplete", `short number ${range.prefix}… needs ${range.length} digits`);
    if (dialled.length === range.length) return { kind: "short", number: dialled, class: range.class };
  }
  return invalid("invalid-number", "not an extension, short number or national number");
}

/** True for numbers no extension may take (emergency, support): for the store to validate extensions. */
export function isReservedNumber(digits: string, plan: NumberingPlan): boolean {
  return plan.emergency.has(digits) || plan.support.has(digits);
}
