import type { SipUri, TransactionTarget, Uri } from "@centrex/sip";
import { ProxyRefusal } from "./errors.js";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Where to send a request whose next hop is `uri` (a Route or the
 * Request-URI): only literal IP addresses. A SIP server routes to addresses it
 * reads in messages; resolving arbitrary names from phones would let any
 * message steer our traffic, so names other than our own domains are refused.
 */
export function targetOfUri(uri: Uri): TransactionTarget {
  if (uri.scheme !== "sip" && uri.scheme !== "sips") throw new ProxyRefusal(416, "Unsupported URI Scheme");
  const u = uri as SipUri;
  const host = u.host.startsWith("[") ? u.host.slice(1, -1) : u.host;
  if (!IPV4.test(host) && !host.includes(":")) throw new ProxyRefusal(404, "Not Found - Unknown next hop");
  const t = (u.params.get("transport") ?? "").toUpperCase();
  const transport = u.scheme === "sips" || t === "TLS" ? "TLS" : t === "TCP" ? "TCP" : "UDP";
  const port = u.port ?? (transport === "TLS" ? 5061 : 5060);
  return { transport, address: host, port };
}
