import { isIPv4, isIPv6 } from "node:net";
import { networkInterfaces } from "node:os";

/** An address with its prefix length (`10.0.0.10/24`, `fd00::10/64`). */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `ADDRESS/PREFIX`; undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, ...rest] = text.split("/");
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { address, prefix, family: 4 };
  if (isIPv6(address) && prefix <= 128) return { address, prefix, family: 6 };
  return undefined;
}

function ipv4Bits(a: string): bigint {
  return a.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Bits(a: string): bigint {
  const [head = "", tail] = a.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Whether `a` and `b` (same family) share their first `prefix` bits. */
export function sameSubnet(a: string, b: string, prefix: number, family: 4 | 6): boolean {
  const width = family === 4 ? 32 : 128;
  const bits = family === 4 ? ipv4Bits : ipv6Bits;
  const shift = BigInt(width - prefix);
  return bits(a) >> shift === bits(b) >> shift;
}

/** An interface of this host, as the service address sees it. */
export interface HostInterface {
  name: string;
  mac: string;
}

/**
 * The interface whose own address shares the service address's subnet (the link the phones
 * reach it on), or undefined. Only `interfaceName` is considered when given.
 */
export function interfaceForSubnet(cidr: Cidr, interfaceName?: string): HostInterface | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (interfaceName !== undefined && name !== interfaceName) continue;
    for (const a of addrs ?? []) {
      if (a.internal || (a.family === "IPv4" ? 4 : 6) !== cidr.family || a.address === cidr.address) continue;
      if (sameSubnet(a.address, cidr.address, cidr.prefix, cidr.family)) return { name, mac: a.mac };
    }
  }
  return undefined;
}
