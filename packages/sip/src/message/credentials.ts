import { badRequest } from "./errors.js";
import { quotedEnd, skipToken, skipWs, splitList, unquote } from "./lex.js";
import type { Credentials } from "./types.js";

/**
 * Parse a WWW-Authenticate / Authorization-family value: `scheme LWS name=value *(, name=value)`.
 * Names are lower-cased, quoted values unquoted.
 */
export function parseCredentials(text: string): Credentials {
  let i = skipWs(text, 0);
  const ss = i;
  i = skipToken(text, i);
  if (i === ss) throw badRequest("Invalid authentication scheme");
  const scheme = text.slice(ss, i);
  const params = new Map<string, string>();
  const rest = text.slice(i);
  if (skipWs(rest, 0) === rest.length) return { scheme, params };
  for (const part of splitList(rest, false)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw badRequest("Invalid authentication parameter");
    const name = part.slice(0, eq).trim().toLowerCase();
    if (skipToken(name, 0) !== name.length || name.length === 0)
      throw badRequest("Invalid authentication parameter");
    const vs = skipWs(part, eq + 1);
    let value: string;
    if (part.charCodeAt(vs) === 34) {
      const end = quotedEnd(part, vs);
      if (skipWs(part, end) !== part.length) throw badRequest("Invalid authentication parameter");
      value = unquote(part, vs, end);
    } else {
      value = part.slice(vs).trim();
      if (value.length === 0) throw badRequest("Invalid authentication parameter");
    }
    params.set(name, value);
  }
  return { scheme, params };
}
