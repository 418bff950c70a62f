import { randomBytes } from "node:crypto";
import {
  computeHA1,
  computeResponse,
  type DigestQop,
  formatAuthorization,
  parseAlgorithm,
  parseAuthHeader,
  type SipRequest,
  type SipResponse,
} from "@centrex/sip";
import { ChallengeError } from "./errors.js";

export interface CarrierCredentials {
  readonly username: string;
  readonly password: string;
}

/** The header to add to the re-sent request: `Authorization` for a 401, `Proxy-Authorization` for a 407. */
export interface ChallengeAnswer {
  readonly header: "Authorization" | "Proxy-Authorization";
  readonly value: string;
}

/**
 * Answers a carrier's 401/407 digest challenge for `req` (RFC 3261 §22.2, RFC 7616): picks the
 * first challenge we can compute (MD5, SHA-256, their -sess forms), qop=auth when offered.
 * `nc` counts the uses of one nonce (1 for a fresh challenge).
 */
export function answerChallenge(
  req: SipRequest,
  res: SipResponse,
  creds: CarrierCredentials,
  nc = 1,
): ChallengeAnswer {
  const proxy = res.status === 407;
  const values = res.getAll(proxy ? "proxy-authenticate" : "www-authenticate");
  for (const v of values) {
    let c: ReturnType<typeof parseAuthHeader>;
    try {
      c = parseAuthHeader(v);
    } catch {
      continue;
    }
    if (c.scheme.toLowerCase() !== "digest") continue;
    const algorithm = parseAlgorithm(c.params.get("algorithm"));
    const realm = c.params.get("realm");
    const nonce = c.params.get("nonce");
    if (algorithm === undefined || realm === undefined || nonce === undefined) continue;
    const offered = (c.params.get("qop") ?? "").split(",").map((q) => q.trim().toLowerCase());
    const qop: DigestQop | undefined = offered.includes("auth") ? "auth" : undefined;
    if (qop === undefined && offered.some((q) => q !== "")) continue; // auth-int only: not for us
    const uri = req.uri.raw;
    // -sess algorithms hash the cnonce into HA1 even without qop (RFC 7616 §3.4.2).
    const cnonce =
      qop === undefined && !algorithm.endsWith("-sess") ? undefined : randomBytes(8).toString("hex");
    const ncHex = qop === undefined ? undefined : nc.toString(16).padStart(8, "0");
    const response = computeResponse({
      ha1: computeHA1(creds.username, realm, creds.password, algorithm),
      method: req.method,
      uri,
      nonce,
      algorithm,
      ...(cnonce !== undefined && { cnonce }),
      ...(qop !== undefined && { qop, nc: ncHex }),
    });
    const opaque = c.params.get("opaque");
    const value = formatAuthorization({
      username: creds.username,
      realm,
      nonce,
      uri,
      response,
      algorithm,
      ...(opaque !== undefined && { opaque }),
      ...(cnonce !== undefined && { cnonce }),
      ...(qop !== undefined && { qop, nc: ncHex }),
    });
    return { header: proxy ? "Proxy-Authorization" : "Authorization", value }; // written as most stacks (and SIPp's header checks) expect
  }
  throw new ChallengeError(`no digest challenge we can answer in the ${res.status}`);
}

/** A challenge with `stale=true` asks for the same credentials with the new nonce, not a new password. */
export function isStale(res: SipResponse): boolean {
  const v = res.get(res.status === 407 ? "proxy-authenticate" : "www-authenticate");
  return v !== undefined && /stale\s*=\s*"?true/i.test(v);
}
