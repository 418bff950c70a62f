import type { ActiveAddresses } from "./records.js";

/**
 * What the switch-over logic calls when a node becomes active, whichever way the records are published
 * (embedded authoritative server, or RFC 2136 updates to the operator's server). Resolves once the
 * new records are being served (embedded) or accepted by the primary server (RFC 2136).
 */
export interface FailoverDnsPublisher {
  publishActive(node: ActiveAddresses): Promise<void>;
}
