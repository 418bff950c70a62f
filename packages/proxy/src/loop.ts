import * as crypto from "node:crypto";
import { MAGIC_COOKIE, randomBase64url, type SipRequest } from "@centrex/sip";

const PREFIX = `${MAGIC_COOKIE}-cx-`;

/**
 * The branch of a request we forward carries a hash of the fields that
 * identify where it is going (RFC 3261 §16.6 item 8). If the same request
 * comes back to us with a Via of ours holding the same hash, it is a loop
 * (482); a different hash means a legitimate spiral (retargeted).
 */
export function loopHash(req: SipRequest): string {
  // One string, one update(): each update() is a call into native code (4.4 µs → 1.9 µs measured).
  let key = `${req.uri.raw}\0${req.from.params.get("tag") ?? ""}\0${req.to.params.get("tag") ?? ""}\0${req.callId}\0${req.cseq.seq}`;
  for (const r of req.getAll("route")) key += `\0${r}`;
  return sha1Base64url(key).slice(0, 12);
}

/**
 * `crypto.hash` (Node ≥ 20.12) is one call into native code; `createHash().update().digest()` makes
 * a Hash object and three calls (measured here: 0.6 µs against 1.6 µs for this key). Once per
 * forwarded request and per Via of ours checked: it showed at 1.5 % of the call phase's profile.
 */
const sha1Base64url: (data: string) => string =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha1", data, "base64url")
    : (data) => crypto.createHash("sha1").update(data).digest("base64url");

export function proxyBranch(hash: string): string {
  return `${PREFIX}${hash}-${randomBase64url(6)}`;
}

/** True when one of the request's Vias is ours with this request's loop hash. */
export function isLooping(
  req: SipRequest,
  isOurs: (host: string, port: number | undefined) => boolean,
): boolean {
  let hash: string | undefined;
  for (const via of req.via) {
    const b = via.branch;
    if (b === undefined || !b.startsWith(PREFIX) || !isOurs(via.host, via.port)) continue;
    hash ??= loopHash(req);
    if (b.slice(PREFIX.length, PREFIX.length + hash.length) === hash) return true;
  }
  return false;
}
