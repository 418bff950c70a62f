import { createHash, randomBytes } from "node:crypto";
import { MAGIC_COOKIE, type SipRequest } from "@centrex/sip";

const PREFIX = `${MAGIC_COOKIE}-cx-`;

/**
 * The branch of a request we forward carries a hash of the fields that
 * identify where it is going (RFC 3261 §16.6 item 8). If the same request
 * comes back to us with a Via of ours holding the same hash, it is a loop
 * (482); a different hash means a legitimate spiral (retargeted).
 */
export function loopHash(req: SipRequest): string {
  const h = createHash("sha1");
  h.update(req.uri.raw);
  h.update("\0");
  h.update(req.from.params.get("tag") ?? "");
  h.update("\0");
  h.update(req.to.params.get("tag") ?? "");
  h.update("\0");
  h.update(req.callId);
  h.update("\0");
  h.update(String(req.cseq.seq));
  for (const r of req.getAll("route")) h.update(`\0${r}`);
  return h.digest("base64url").slice(0, 12);
}

export function proxyBranch(hash: string): string {
  return `${PREFIX}${hash}-${randomBytes(6).toString("base64url")}`;
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
