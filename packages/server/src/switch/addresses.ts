import { networkInterfaces } from "node:os";
import type { CentrexConfig } from "../config/schema.js";
import { sharedAddress } from "./failover/shared-address.js";

/**
 * The address phones must be told to reach this node at (Via, Record-Route,
 * SDP), when the config does not say: a listener on a specific address is
 * that address; a wildcard listener (the embedded default) means the pair's
 * service address when failover has one (whichever node is active holds it,
 * so a BYE for a call set up before a takeover reaches the live node), else
 * the machine's first external IPv4 — a wildcard socket cannot tell which of
 * its addresses a packet reached.
 */
export function advertisedAddress(config: CentrexConfig): string | undefined {
  if (config.sip.advertisedAddress !== undefined) return config.sip.advertisedAddress;
  const wildcard = config.sip.listen.some((l) => l.address === "0.0.0.0" || l.address === "::");
  if (!wildcard) return undefined;
  const shared = config.failover?.serviceAddress;
  if (shared !== undefined) {
    const { ipv4, ipv6 } = sharedAddress(shared);
    return ipv4 ?? ipv6 ?? firstExternalIpv4();
  }
  return firstExternalIpv4();
}

export function firstExternalIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === "IPv4" && !i.internal) return i.address;
  }
  return "127.0.0.1";
}
