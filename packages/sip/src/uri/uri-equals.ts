import type { Params, SipUri, TelUri, Uri } from "../message/types.js";

// RFC 3261 §19.1.4: these parameters must match when either URI carries them.
const STRICT_PARAMS = ["user", "ttl", "method", "maddr", "transport"] as const;

function ciEqual(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.toLowerCase() === b.toLowerCase();
}

function paramsEqual(a: Params, b: Params): boolean {
  for (const name of STRICT_PARAMS) {
    if (a.has(name) !== b.has(name)) return false;
    if (!ciEqual(a.get(name), b.get(name))) return false;
  }
  for (const [name, value] of a) {
    if (b.has(name) && !ciEqual(value, b.get(name))) return false;
  }
  return true;
}

function headersEqual(a: Params, b: Params): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) {
    let found = false;
    for (const [n2, v2] of b) {
      if (n2.toLowerCase() === name.toLowerCase()) {
        if (v2 !== value) return false;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

function sipEqual(a: SipUri, b: SipUri): boolean {
  return (
    a.scheme === b.scheme &&
    a.user === b.user &&
    a.password === b.password &&
    a.host === b.host &&
    a.port === b.port &&
    paramsEqual(a.params, b.params) &&
    headersEqual(a.headers, b.headers)
  );
}

function telEqual(a: TelUri, b: TelUri): boolean {
  // RFC 3966 §4: visual separators do not count; parameters compare case-insensitively.
  const na = a.number.replace(/[-.()]/g, "").toLowerCase();
  const nb = b.number.replace(/[-.()]/g, "").toLowerCase();
  if (na !== nb || a.params.size !== b.params.size) return false;
  for (const [name, value] of a.params) {
    if (!b.params.has(name) || !ciEqual(value, b.params.get(name))) return false;
  }
  return true;
}

/**
 * URI equivalence per RFC 3261 §19.1.4 (SIP/SIPS: escaped and unescaped forms equal, user and
 * password case-sensitive, host case-insensitive, the listed parameters must match, other
 * parameters only when both carry them, headers always), RFC 3966 for tel, else exact text
 * with a case-insensitive scheme.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === "sip" || a.scheme === "sips") return sipEqual(a as SipUri, b as SipUri);
  if (a.scheme === "tel") return telEqual(a as TelUri, b as TelUri);
  return a.raw.slice(a.scheme.length) === b.raw.slice(b.scheme.length);
}
