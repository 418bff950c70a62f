import type { FailoverConfig } from "./config.js";
import { FailoverConfigError } from "./config.js";

export interface ExpiryBounds {
  min: number;
  max: number;
  default: number;
}

/**
 * The registration expiry the registrar grants: a paired node caps it at
 * `failover.registrationExpiry`, and refuses a DNS TTL longer than that (a phone caching the
 * name for longer than it registers would refresh against the dead node).
 */
export function grantedExpiry(registrar: ExpiryBounds, failover: FailoverConfig | undefined): ExpiryBounds {
  if (failover === undefined) return registrar;
  const cap = failover.registrationExpiry;
  if (cap < registrar.min)
    throw new FailoverConfigError(
      `failover: key "failover.registrationExpiry": ${cap} s is below registrar.minExpires (${registrar.min} s)`,
      "failover.registrationExpiry",
    );
  const ttl = failover.dns?.ttl;
  if (ttl !== undefined && ttl > cap)
    throw new FailoverConfigError(
      `failover: key "failover.dns.ttl": ${ttl} s is longer than failover.registrationExpiry (${cap} s)`,
      "failover.dns.ttl",
    );
  return { min: registrar.min, max: Math.min(registrar.max, cap), default: Math.min(registrar.default, cap) };
}
