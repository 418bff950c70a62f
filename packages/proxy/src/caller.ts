import type { ServerTransactionLike, SipRequest, SipResponse, SipUri, Uri } from "@centrex/sip";
import type { CallParty } from "./call-events.js";
import { ProxyRefusal } from "./errors.js";
import type { ProxyOptions } from "./proxy-options.js";

/**
 * The 407 `identifyCaller` would send, decided from the request alone — a caller with no
 * credentials for its realm (the From's domain) — so it can go out before any transaction
 * exists (RFC 3261 §8.2.7). Undefined when the answer needs more: credentials to check (a store
 * read), calls not authenticated, a caller that is not a SIP URI (403, statefully).
 */
export function challengeWithoutCredentials(o: ProxyOptions, req: SipRequest): SipResponse | undefined {
  if (o.authenticateCalls === false) return undefined;
  const from = req.from.uri;
  if (from.scheme !== "sip" && from.scheme !== "sips") return undefined;
  return o.authenticator.challengeIfNoCredentials(req, (from as SipUri).host.toLowerCase(), "proxy");
}

/** Who placed a call, once authenticated. */
export interface Caller {
  readonly customerId: number;
  readonly extension: string;
  readonly domain: string;
}

/** Authenticates the caller (407) and returns who it is; undefined when a challenge was sent. */
export async function identifyCaller(
  o: ProxyOptions,
  req: SipRequest,
  tx: ServerTransactionLike,
): Promise<Caller | undefined> {
  const from = req.from.uri;
  if (from.scheme !== "sip" && from.scheme !== "sips")
    throw new ProxyRefusal(403, "Forbidden - Unknown caller");
  const f = from as SipUri;
  const domain = f.host.toLowerCase();
  if (o.authenticateCalls === false) {
    const creds = await o.store.extensions.findCredentials(domain, f.user ?? "");
    if (creds === undefined) throw new ProxyRefusal(403, "Forbidden - Unknown caller");
    return { customerId: creds.customerId, extension: creds.number, domain };
  }
  const auth = await o.authenticator.authenticate(req, domain, "proxy");
  if (!auth.ok) {
    // The 407 keeps no transaction (RFC 3261 §8.2.7); its ACK is absorbed by its To tag.
    if (auth.response.status === 407) tx.respondStateless(auth.response);
    else tx.respond(auth.response);
    return undefined;
  }
  if (f.user !== auth.username) throw new ProxyRefusal(403, "Forbidden - From does not match credentials");
  return { customerId: auth.credentials.customerId, extension: auth.username, domain };
}

/** Whom a call is placed for and billed to: the caller, or the extension that forwarded it. */
export type BilledParty = Pick<Caller, "customerId" | "extension">;

export function partyOf(req: SipRequest, caller: BilledParty): CallParty {
  return { customerId: caller.customerId, extension: caller.extension, uri: req.from.uri.raw };
}

/** The number dialled: the Request-URI's user part, when the URI is for the caller's domain or for us. */
export function requestUser(req: SipRequest, callerDomain: string): string {
  return userFor(req.uri, callerDomain);
}

/** The user part of a SIP URI for the caller's domain or for us (an IP); else 404, a non-SIP URI 416. */
export function userFor(uri: Uri, callerDomain: string): string {
  if (uri.scheme !== "sip" && uri.scheme !== "sips") throw new ProxyRefusal(416, "Unsupported URI Scheme");
  const u = uri as SipUri;
  if (u.user === undefined) throw new ProxyRefusal(404, "Not Found");
  const host = u.host.toLowerCase();
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
  // Tenants are isolated: a phone reaches only its own customer's extensions.
  if (!isIp && host !== callerDomain) throw new ProxyRefusal(404, "Not Found");
  return u.user;
}
