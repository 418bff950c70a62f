import {
  type DidAssignment,
  decideInbound,
  type NumberingPlan,
  newCustomerPolicy,
  normaliseInbound,
  type Refusal,
} from "@centrex/dialplan";
import type { SipRequest, SipUri, TelUri } from "@centrex/sip";
import type { NumberTarget, PhoneNumber, Store } from "@centrex/store";

/** Where a call from a carrier goes. */
export type InboundRoute =
  | {
      readonly kind: "deliver";
      readonly e164: string;
      readonly customerId: number;
      readonly target: NumberTarget;
      /** The customer's main number: rule 22's fallback applies to it. */
      readonly isMain: boolean;
      readonly number: PhoneNumber;
    }
  | Refusal;

/** The called number of a request from a carrier: the Request-URI user (or tel number), else the To user. */
export function calledNumber(req: SipRequest): string | undefined {
  return userOf(req.uri) ?? userOf(req.to.uri);
}

/** The calling number a carrier sent, normalised to E.164 when it is one (PAI first, then From). */
export function callingNumber(req: SipRequest, plan: NumberingPlan): string | undefined {
  const pai = req.get("p-asserted-identity");
  const m = pai === undefined ? undefined : /<(?:sips?|tel):([^@;>]+)/.exec(pai);
  const raw = m?.[1] ?? userOf(req.from.uri);
  return raw === undefined ? undefined : normaliseInbound(raw, plan);
}

/**
 * DID lookup for a call from a carrier: the called number normalised (`+33…`, `0033…`, `0…`),
 * found in the store, routed to its extension or ring group. Refusals carry the SIP status:
 * 404 for a number that is not ours (or not routed), 403 for the support line and short numbers
 * (rule 5: 22 22 is reachable only from the operator's own phones).
 */
export async function routeInbound(
  store: Pick<Store, "numbers">,
  plan: NumberingPlan,
  called: string,
): Promise<InboundRoute> {
  const e164 = normaliseInbound(called, plan);
  const number = e164 === undefined ? undefined : await store.numbers.findByE164(e164);
  // decideInbound is synchronous: give it the one DID it can ask about, already fetched.
  const did: DidAssignment | undefined =
    number?.target == null
      ? undefined
      : { customerId: String(number.customerId), target: targetKey(number.target) };
  const decision = decideInbound(
    called,
    {
      did: (n) => (n === e164 ? did : undefined),
      policy: (customerId) => newCustomerPolicy(customerId),
    },
    plan,
  );
  if (decision.kind === "refuse") return decision;
  if (number === undefined || number.target === null) throw new Error("unreachable: decided without a DID");
  return {
    kind: "deliver",
    e164: decision.e164,
    customerId: number.customerId,
    target: number.target,
    isMain: number.isMain,
    number,
  };
}

/** What to do with a call to a customer's number when its phones may be down (rule 22). */
export type FallbackDecision =
  | { readonly kind: "ring" }
  /** Send the call to the customer's fallback number over the PSTN, at the operator's cost. */
  | { readonly kind: "fallback"; readonly number: string; readonly billedTo: "operator" }
  | { readonly kind: "unavailable"; readonly status: 480; readonly reason: string };

export interface FallbackInput {
  /** The called DID is the customer's main number. */
  readonly isMain: boolean;
  /** Registered, unexpired contacts across all the customer's extensions. */
  readonly reachablePhones: number;
  /** The policy's fallback number (E.164) or null when none was given. */
  readonly fallbackNumber: string | null;
  /**
   * The status the ring attempt ended with, when it was tried: 408/480/503 with no phone
   * answering at all also counts as "unreachable" (phones registered but gone).
   */
  readonly ringStatus?: number | undefined;
}

/**
 * Rule 22 (CS art. 5): during an outage, calls to the customer's main number go to the fixed or
 * mobile number the customer gave, at the operator's cost. An outage, for one call, is "no phone
 * of the customer can be reached": none registered, or ringing them all ended in 408/480/503.
 * Other numbers, and the main number without a fallback, get 480.
 */
export function mainNumberFallback(input: FallbackInput): FallbackDecision {
  const ringFailed =
    input.ringStatus !== undefined &&
    (input.ringStatus === 408 || input.ringStatus === 480 || input.ringStatus === 503);
  const unreachable = input.reachablePhones === 0 || ringFailed;
  if (!unreachable) return { kind: "ring" };
  if (input.isMain && input.fallbackNumber !== null && input.fallbackNumber !== "") {
    return { kind: "fallback", number: input.fallbackNumber, billedTo: "operator" };
  }
  return { kind: "unavailable", status: 480, reason: "Temporarily Unavailable" };
}

function targetKey(t: NumberTarget): string {
  return `${t.kind}:${t.id}`;
}

function userOf(uri: SipRequest["uri"]): string | undefined {
  if (uri.scheme === "tel") return (uri as TelUri).number;
  if (uri.scheme === "sip" || uri.scheme === "sips") return (uri as SipUri).user;
  return undefined;
}
