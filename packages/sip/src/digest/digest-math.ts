import { timingSafeEqual } from "node:crypto";
import { hashHex } from "../hash/index.js";
import type { Credentials } from "../message/types.js";

/** RFC 7616 algorithms we speak (RFC 8760 for SIP). */
export type DigestAlgorithm = "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";
export type DigestQop = "auth" | "auth-int";

/** Canonical name of an `algorithm` parameter (case-insensitive); absent means MD5; unknown is undefined. */
export function parseAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return "MD5";
  switch (value.toUpperCase()) {
    case "MD5":
      return "MD5";
    case "MD5-SESS":
      return "MD5-sess";
    case "SHA-256":
      return "SHA-256";
    case "SHA-256-SESS":
      return "SHA-256-sess";
    default:
      return undefined;
  }
}

function hashName(algorithm: DigestAlgorithm): "md5" | "sha256" {
  return algorithm === "MD5" || algorithm === "MD5-sess" ? "md5" : "sha256";
}

function isSess(algorithm: DigestAlgorithm): boolean {
  return algorithm === "MD5-sess" || algorithm === "SHA-256-sess";
}

function h(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return hashHex(hashName(algorithm), data);
}

/** HA1 = H(username:realm:password): what a registrar stores instead of the password. */
export function computeHA1(
  username: string,
  realm: string,
  password: string,
  algorithm: DigestAlgorithm = "MD5",
): string {
  return h(algorithm, `${username}:${realm}:${password}`);
}

/** The `-sess` HA1: H(HA1:nonce:cnonce) (RFC 7616 §3.4.2). */
export function sessionHA1(ha1: string, nonce: string, cnonce: string, algorithm: DigestAlgorithm): string {
  return h(algorithm, `${ha1}:${nonce}:${cnonce}`);
}

export interface ResponseInput {
  /** The stored HA1 = H(username:realm:password); for `-sess` algorithms the session HA1 is derived here. */
  readonly ha1: string;
  readonly method: string;
  /** The `uri` parameter exactly as sent (the digest-uri), not the Request-URI. */
  readonly uri: string;
  readonly nonce: string;
  /** Nonce count, 8 hex digits, with qop. */
  readonly nc?: string;
  readonly cnonce?: string;
  /** Absent for the RFC 2069 legacy form. */
  readonly qop?: DigestQop;
  readonly algorithm?: DigestAlgorithm;
  /** Message body, for qop=auth-int. */
  readonly body?: Buffer;
}

/** The `response` parameter value (lower-case hex). */
export function computeResponse(input: ResponseInput): string {
  const algorithm = input.algorithm ?? "MD5";
  const cnonce = input.cnonce ?? "";
  let ha1 = input.ha1;
  if (isSess(algorithm)) ha1 = sessionHA1(ha1, input.nonce, cnonce, algorithm);
  const ha2 =
    input.qop === "auth-int"
      ? h(algorithm, `${input.method}:${input.uri}:${h(algorithm, input.body ?? Buffer.alloc(0))}`)
      : h(algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return h(algorithm, `${ha1}:${input.nonce}:${ha2}`);
  return h(algorithm, `${ha1}:${input.nonce}:${input.nc ?? ""}:${cnonce}:${input.qop}:${ha2}`);
}

export interface VerifyOptions {
  /** When given, the credentials' realm must be this one. */
  readonly realm?: string;
  /** Body, for qop=auth-int. */
  readonly body?: Buffer;
}

const NC = /^[0-9a-fA-F]{8}$/;

/**
 * Checks the `response` of Authorization credentials against the stored HA1 (computed with
 * the algorithm the credentials name), in constant time. Nonce freshness is a separate
 * question: see `NonceService`.
 */
export function verifyAuthorization(
  creds: Credentials,
  method: string,
  ha1: string,
  options: VerifyOptions = {},
): boolean {
  const p = creds.params;
  if (creds.scheme.toLowerCase() !== "digest") return false;
  const algorithm = parseAlgorithm(p.get("algorithm"));
  const response = p.get("response");
  const uri = p.get("uri");
  const nonce = p.get("nonce");
  if (algorithm === undefined || response === undefined || uri === undefined || nonce === undefined)
    return false;
  if (options.realm !== undefined && p.get("realm") !== options.realm) return false;
  const qopParam = p.get("qop");
  let qop: DigestQop | undefined;
  const cnonce = p.get("cnonce");
  const nc = p.get("nc");
  if (qopParam !== undefined) {
    const q = qopParam.toLowerCase();
    if (q !== "auth" && q !== "auth-int") return false;
    if (cnonce === undefined || nc === undefined || !NC.test(nc)) return false;
    qop = q;
  } else if (isSess(algorithm)) {
    return false; // -sess needs a cnonce, which comes with qop
  }
  const expected = computeResponse({
    ha1,
    method,
    uri,
    nonce,
    qop,
    algorithm,
    nc,
    cnonce,
    body: options.body,
  });
  const a = Buffer.from(expected, "latin1");
  const b = Buffer.from(response.toLowerCase(), "latin1");
  // The expected length is public (it follows from the algorithm), so this early exit leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}
