import { classifyE164, classifyNational, stripSeparators } from "./classify.js";
import type { NumberingPlan } from "./numbering-plan.js";

/**
 * Normalise a number received from a carrier (called DID or calling party) to E.164:
 * `+33…`, `0033…`, `33…` (11 digits), national `0…`. Returns undefined if it is none of those
 * or not a valid number (short numbers and extensions are never valid from a carrier).
 */
export function normaliseInbound(raw: string, plan: NumberingPlan): string | undefined {
  const s = stripSeparators(raw);
  let r: ReturnType<typeof classifyE164>;
  if (s.startsWith("+")) r = classifyE164(s, plan);
  else if (s.startsWith(plan.internationalPrefix))
    r = classifyE164(s.slice(plan.internationalPrefix.length), plan);
  else if (s.startsWith(plan.nationalPrefix)) r = classifyNational(s.slice(plan.nationalPrefix.length), plan);
  else if (s.startsWith(plan.countryCode) && s.length === plan.countryCode.length + plan.nsnLength) {
    r = classifyE164(s, plan);
  } else return undefined;
  return r.kind === "e164" ? r.e164 : undefined;
}

export type CarrierNumberFormat = "e164" | "national";

/**
 * Format a number the way a carrier wants it. `national`: French numbers (metropolitan and
 * overseas departments) as 0 + 9 digits, others with the international prefix (00…).
 * Short numbers (no "+") pass unchanged.
 */
export function formatForCarrier(number: string, format: CarrierNumberFormat, plan: NumberingPlan): string {
  if (!number.startsWith("+") || format === "e164") return number;
  const r = classifyE164(number, plan);
  if (r.kind === "e164" && r.zone === undefined) {
    // French plan: the NSN is the tail of the E.164 number whatever the country code.
    return plan.nationalPrefix + r.e164.slice(r.e164.length - plan.nsnLength);
  }
  return plan.internationalPrefix + number.slice(1);
}
