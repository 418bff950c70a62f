import { type NumberingPlan, normaliseInbound } from "@centrex/dialplan";
import type { SipRequest, SipUri, TelUri } from "@centrex/sip";
import type { PhoneNumber, Store } from "@centrex/store";

/** The identity an outbound call presents to the PSTN. */
export interface Presentation {
  /** E.164 ("+33…"), always a number the customer owns. */
  readonly number: string;
  /** CLIR: the callee must not see it (From anonymous, `Privacy: id`); the carrier still gets PAI. */
  readonly withheld: boolean;
  readonly displayName?: string;
}

/** What the phone asked to present (P-Preferred-Identity / From), before any check. */
export interface RequestedIdentity {
  readonly number?: string | undefined;
  readonly withheld?: boolean | undefined;
  readonly displayName?: string | undefined;
}

/**
 * Chooses the presented number: the one requested when the customer owns it; otherwise the
 * DID routed to the calling extension; otherwise the customer's main number; otherwise any
 * number of the customer. Never a number the customer does not own: undefined when it owns none.
 * Pure: `numbers` are the customer's DIDs.
 */
export function choosePresentation(
  numbers: readonly PhoneNumber[],
  extensionId: number | undefined,
  requested: RequestedIdentity = {},
): Presentation | undefined {
  const owned = new Set(numbers.map((n) => n.e164));
  let number: string | undefined;
  if (requested.number !== undefined && owned.has(requested.number)) number = requested.number;
  number ??= extensionDid(numbers, extensionId)?.e164;
  number ??= numbers.find((n) => n.isMain)?.e164;
  number ??= [...numbers].sort((a, b) => a.id - b.id)[0]?.e164;
  if (number === undefined) return undefined;
  return {
    number,
    withheld: requested.withheld === true,
    ...(requested.displayName !== undefined && { displayName: requested.displayName }),
  };
}

/** The extension's own DID: a number whose target is that extension (the main one if it is, else the oldest). */
export function extensionDid(
  numbers: readonly PhoneNumber[],
  extensionId: number | undefined,
): PhoneNumber | undefined {
  if (extensionId === undefined) return undefined;
  const mine = numbers
    .filter((n) => n.target?.kind === "extension" && n.target.id === extensionId)
    .sort((a, b) => Number(b.isMain) - Number(a.isMain) || a.id - b.id);
  return mine[0];
}

/** `presentation(customerId, extensionId, requested)` backed by the store. */
export async function presentation(
  store: Pick<Store, "numbers">,
  customerId: number,
  extensionId: number | undefined,
  requested: RequestedIdentity = {},
): Promise<Presentation | undefined> {
  return choosePresentation(await store.numbers.listByCustomer(customerId), extensionId, requested);
}

/**
 * What the phone asks for: the number in P-Preferred-Identity (or the From user when it looks like
 * a public number), normalised to E.164; withheld when it sends `Privacy: id`/`header` or an
 * anonymous From (RFC 3323).
 */
export function requestedIdentity(req: SipRequest, plan: NumberingPlan): RequestedIdentity {
  const privacy = (req.get("privacy") ?? "").toLowerCase();
  const from = req.from;
  const fromUser = userOf(from.uri);
  const withheld =
    /\b(id|header|user)\b/.test(privacy) ||
    fromUser?.toLowerCase() === "anonymous" ||
    (from.uri.scheme === "sip" && (from.uri as SipUri).host.endsWith("anonymous.invalid"));
  const ppi = req.get("p-preferred-identity");
  let candidate: string | undefined;
  if (ppi !== undefined) {
    const m = /<([^>]+)>/.exec(ppi);
    const raw = m?.[1] ?? ppi.trim();
    candidate = /^(sips?|tel):\+?[0-9]/.test(raw)
      ? raw.replace(/^(sips?|tel):/, "").split(/[@;]/)[0]
      : undefined;
  }
  candidate ??= fromUser;
  const number = candidate === undefined ? undefined : normaliseInbound(candidate, plan);
  return {
    withheld,
    ...(number !== undefined && { number }),
    ...(from.displayName !== undefined && !withheld && { displayName: from.displayName }),
  };
}

function userOf(uri: SipRequest["from"]["uri"]): string | undefined {
  if (uri.scheme === "tel") return (uri as TelUri).number;
  if (uri.scheme === "sip" || uri.scheme === "sips") return (uri as SipUri).user;
  return undefined;
}
