import { stripSeparators } from "./classify.js";
import type { InboundDecision } from "./decisions.js";
import { normaliseInbound } from "./normalise.js";
import type { NumberingPlan } from "./numbering-plan.js";
import type { CustomerPolicy } from "./policy.js";
import { refuse } from "./refusals.js";

export interface DidAssignment {
  readonly customerId: string;
  /** Extension, ring group… as the store names it; passed through to the decision. */
  readonly target: string;
}

/** Look-ups the proxy provides (backed by the store); both must be side-effect free. */
export interface InboundDirectory {
  did(e164: string): DidAssignment | undefined;
  policy(customerId: string): CustomerPolicy | undefined;
}

/**
 * Decide what a call from a carrier to `called` becomes. Only the operator's DIDs are reachable:
 * the support line and internal extensions never are (rule 5), and a customer suspended for
 * non-payment with incoming calls cut is refused.
 */
export function decideInbound(
  called: string,
  directory: InboundDirectory,
  plan: NumberingPlan,
): InboundDecision {
  const cleaned = stripSeparators(called);
  // The support line under any disguise a carrier might send: "2222", "+332222", "332222", "02222".
  const bare = cleaned
    .replace(/^\+/, "")
    .replace(new RegExp(`^(?:${plan.internationalPrefix})?${plan.countryCode}`), "");
  const local = bare.startsWith(plan.nationalPrefix) ? bare.slice(plan.nationalPrefix.length) : bare;
  if (plan.support.has(cleaned) || plan.support.has(local)) {
    return refuse("support-not-reachable", true, `carrier call to support line (${called})`);
  }
  const e164 = normaliseInbound(cleaned, plan);
  if (e164 === undefined) {
    return /^[0-9]{1,8}$/.test(cleaned) && !cleaned.startsWith(plan.nationalPrefix)
      ? refuse("internal-not-reachable", false, `carrier call to short number ${called}`)
      : refuse("invalid-number", false, `called number ${called}`);
  }
  const did = directory.did(e164);
  if (did === undefined) return refuse("number-not-assigned", false, e164);
  const policy = directory.policy(did.customerId);
  if (policy === undefined)
    return refuse("number-not-assigned", true, `${e164} points to unknown customer ${did.customerId}`);
  if (policy.suspension?.nonPayment?.incoming === "refuse") {
    return refuse("incoming-suspended", false, `customer ${did.customerId} suspended for non-payment`);
  }
  return { kind: "deliver", e164, customerId: did.customerId, target: did.target };
}
