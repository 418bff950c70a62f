import type { NameAddr, SipRequest } from "@centrex/sip";

export interface ExpiryPolicy {
  /** Shortest registration accepted (seconds); shorter ones get 423 Interval Too Brief. */
  readonly min: number;
  /** Longest granted; longer requests are cut to this. */
  readonly max: number;
  /** When the phone asks for nothing. */
  readonly default: number;
}

export const DEFAULT_EXPIRY: ExpiryPolicy = { min: 60, max: 3600, default: 3600 };

/**
 * The expiry a contact asks for (RFC 3261 §10.2.1.1): its `expires` parameter,
 * else the Expires header, else the default. An unreadable value counts as
 * absent, as RFC 4475 §3.1.2.4 allows.
 */
export function requestedExpiry(req: SipRequest, contact: NameAddr, policy: ExpiryPolicy): number {
  const param = contact.params.get("expires");
  const fromParam = param === undefined || param === null ? undefined : toSeconds(param);
  if (fromParam !== undefined) return fromParam;
  let header: number | undefined;
  try {
    header = req.expires;
  } catch {
    header = undefined;
  }
  return header !== undefined && Number.isFinite(header) && header >= 0 ? header : policy.default;
}

function toSeconds(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}
