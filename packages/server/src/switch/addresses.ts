import { networkInterfaces } from "node:os";
import type { CentrexConfig } from "../config/schema.js";

/**
 * The address phones must be told to reach this node at (Via, Record-Route,
 * SDP), when the config does not say: a listener on a specific address is
 * that address; a wildcard listener (the embedded default) means the
 * machine's first external IPv4 — a wildcard socket cannot tell which of its
 * addresses a packet reached.
 */
export function advertisedAddress(config: CentrexConfig): string | undefined {
  if (config.sip.advertisedAddress !== undefined) return config.sip.advertisedAddress;
  const wildcard = config.sip.listen.some((l) => l.address === "0.0.0.0" || l.address === "::");
  return wildcard ? firstExternalIpv4() : undefined;
}

export function firstExternalIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === "IPv4" && !i.internal) return i.address;
  }
  return "127.0.0.1";
}
