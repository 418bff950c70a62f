import type { ActiveAddresses } from "@centrex/failover";
import type { FailoverConfig } from "./config.js";

/** The service address as DNS publishes it (the addresses, without their prefixes). */
export function sharedAddress(a: NonNullable<FailoverConfig["serviceAddress"]>): ActiveAddresses {
  const out: ActiveAddresses = {};
  if (a.ipv4 !== undefined) out.ipv4 = a.ipv4.split("/")[0];
  if (a.ipv6 !== undefined) out.ipv6 = a.ipv6.split("/")[0];
  return out;
}
