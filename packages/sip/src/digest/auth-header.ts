import type { Credentials } from "../message/types.js";
import type { DigestAlgorithm, DigestQop } from "./digest-math.js";
import { AuthHeaderError } from "./errors.js";

// RFC 3261 token characters.
const TOKEN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") {
  TOKEN[c.charCodeAt(0)] = 1;
}

function isToken(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

function isLws(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

/**
 * Parses a WWW-Authenticate, Proxy-Authenticate, Authorization or Proxy-Authorization value:
 * `scheme name=value, name="quoted, value", ...`. Parameter names are lower-cased; quoted
 * values are unquoted and unescaped; unquoted values run to the next comma or whitespace.
 *
 * @throws AuthHeaderError on anything else (no parameters, a missing `=`, an unterminated
 *   quote, a duplicate parameter, stray characters).
 */
export function parseAuthHeader(value: string): Credentials {
  const s = value;
  const n = s.length;
  let i = 0;
  while (i < n && isLws(s.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isToken(s.charCodeAt(i))) i++;
  if (i === schemeStart) throw new AuthHeaderError("authentication scheme expected");
  const scheme = s.slice(schemeStart, i);
  if (i < n && !isLws(s.charCodeAt(i))) throw new AuthHeaderError(`bad character after scheme "${scheme}"`);
  const params = new Map<string, string>();
  let expectComma = false;
  for (;;) {
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) === 0x2c /* , */) {
      expectComma = false;
      i++;
      continue;
    }
    if (expectComma) throw new AuthHeaderError(`comma expected at offset ${i}`);
    const nameStart = i;
    while (i < n && isToken(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new AuthHeaderError(`parameter name expected at offset ${i}`);
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d /* = */) throw new AuthHeaderError(`"=" expected after "${name}"`);
    i++;
    while (i < n && isLws(s.charCodeAt(i))) i++;
    let v: string;
    if (s.charCodeAt(i) === 0x22 /* " */) {
      i++;
      v = "";
      let closed = false;
      let runStart = i;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 0x22) {
          v += s.slice(runStart, i);
          i++;
          closed = true;
          break;
        }
        if (c === 0x5c /* \ */) {
          if (i + 1 >= n) break;
          v += s.slice(runStart, i) + s[i + 1];
          i += 2;
          runStart = i;
          continue;
        }
        i++;
      }
      if (!closed) throw new AuthHeaderError(`unterminated quoted value for "${name}"`);
    } else {
      const start = i;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 0x2c || isLws(c) || c === 0x22) break;
        i++;
      }
      if (i === start) throw new AuthHeaderError(`value expected for "${name}"`);
      v = s.slice(start, i);
    }
    if (params.has(name)) throw new AuthHeaderError(`duplicate parameter "${name}"`);
    params.set(name, v);
    expectComma = true;
  }
  if (params.size === 0) throw new AuthHeaderError(`no parameters after "${scheme}"`);
  return { scheme, params };
}

/** A quoted-string with `"` and `\` escaped; CR/LF would let a value inject headers. */
export function quote(value: string): string {
  if (/[\r\n]/.test(value)) throw new AuthHeaderError("CR/LF in an authentication parameter");
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

export interface ChallengeInput {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm?: DigestAlgorithm;
  /** Offered qop values; omit for a legacy (RFC 2069) challenge. */
  readonly qop?: DigestQop | readonly DigestQop[];
  /** The nonce was valid but expired: the client retries with the new one without asking the user. */
  readonly stale?: boolean;
  readonly opaque?: string;
}

/** A WWW-Authenticate / Proxy-Authenticate value. */
export function formatChallenge(c: ChallengeInput): string {
  let out = `Digest realm=${quote(c.realm)}, nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) out += `, opaque=${quote(c.opaque)}`;
  if (c.stale === true) out += ", stale=TRUE";
  if (c.algorithm !== undefined) out += `, algorithm=${c.algorithm}`;
  if (c.qop !== undefined) {
    const qop = typeof c.qop === "string" ? c.qop : c.qop.join(",");
    out += `, qop=${quote(qop)}`;
  }
  return out;
}

export interface AuthorizationInput {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: DigestAlgorithm;
  readonly cnonce?: string;
  readonly opaque?: string;
  readonly qop?: DigestQop;
  readonly nc?: string;
}

/** An Authorization / Proxy-Authorization value (what we send to a carrier). */
export function formatAuthorization(a: AuthorizationInput): string {
  let out =
    `Digest username=${quote(a.username)}, realm=${quote(a.realm)}, nonce=${quote(a.nonce)}, ` +
    `uri=${quote(a.uri)}, response=${quote(a.response)}`;
  if (a.algorithm !== undefined) out += `, algorithm=${a.algorithm}`;
  if (a.cnonce !== undefined) out += `, cnonce=${quote(a.cnonce)}`;
  if (a.opaque !== undefined) out += `, opaque=${quote(a.opaque)}`;
  if (a.qop !== undefined) out += `, qop=${a.qop}`;
  if (a.nc !== undefined) out += `, nc=${a.nc}`;
  return out;
}
