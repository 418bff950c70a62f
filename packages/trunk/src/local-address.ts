import { newBranch, type SipStack } from "@centrex/sip";
import type { SipTransport } from "./resolver.js";

/** What we need to know about ourselves to build requests toward carriers. */
export interface LocalAddress {
  readonly stack: SipStack;
  /** Address for Via/Contact/From when the listener is a wildcard (the public address behind NAT). */
  readonly advertisedAddress?: string | undefined;
}

/** host:port we put in Via and Contact for `transport`. */
export function localHostPort(local: LocalAddress, transport: SipTransport, toward: string): string {
  const sentBy = local.stack.sentBy(transport);
  let host = local.advertisedAddress ?? sentBy?.host ?? "127.0.0.1";
  if (host === "0.0.0.0" || host === "[::]") host = toward.includes(":") ? "[::1]" : "127.0.0.1";
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return `${host}:${sentBy?.port ?? 5060}`;
}

/** Our Via for a request sent over `transport`, with a fresh RFC 3261 branch unless one is given. */
export function localVia(
  local: LocalAddress,
  transport: SipTransport,
  toward: string,
  branch: string = newBranch(),
): string {
  return `SIP/2.0/${transport} ${localHostPort(local, transport, toward)};branch=${branch};rport`;
}

/** host:port for a URI (brackets for IPv6). */
export function hostPort(host: string, port?: number): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}
