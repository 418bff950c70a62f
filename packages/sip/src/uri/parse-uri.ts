import { badRequest } from "../message/errors.js";
import type { OtherUri, Params, SipUri, TelUri, Uri } from "../message/types.js";
import { HNV, HOST, IPV6, inTable, OPAQUE, PARAM, PASSWORD, SCHEME, TEL, USER } from "./chars.js";
import { unescapeUri } from "./escape.js";

/**
 * Parse an absolute URI: `sip:`/`sips:` per RFC 3261 §19.1 (components unescaped, host
 * lower-cased), `tel:` per RFC 3966, anything else kept opaque. Throws `SipParseError`.
 */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(":");
  if (colon <= 0) throw badRequest("Invalid URI (no scheme)");
  const c0 = text.charCodeAt(0) | 0x20;
  if (c0 < 97 || c0 > 122) throw badRequest("Invalid URI scheme");
  for (let i = 1; i < colon; i++) {
    if (!inTable(SCHEME, text.charCodeAt(i))) throw badRequest("Invalid URI scheme");
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === "sip" || scheme === "sips") return parseSipUri(text, scheme, colon + 1);
  if (scheme === "tel") return parseTelUri(text, colon + 1);
  if (colon + 1 >= text.length) throw badRequest("Invalid URI (empty)");
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && OPAQUE[c] !== 1) throw badRequest("Invalid character in URI");
  }
  const other: OtherUri = { scheme, raw: text };
  return other;
}

function parseSipUri(text: string, scheme: "sip" | "sips", start: number): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let pos = start;
  const at = text.indexOf("@", start);
  if (at !== -1) {
    let userEnd = at;
    for (let i = start; i < at; i++) {
      const c = text.charCodeAt(i);
      if (c === 58 && userEnd === at) {
        userEnd = i;
        continue;
      }
      if (!inTable(userEnd === at ? USER : PASSWORD, c))
        throw badRequest("Invalid character in URI user part");
    }
    if (userEnd === start) throw badRequest("Empty URI user part");
    user = unescapeUri(text.slice(start, userEnd));
    if (userEnd < at) password = unescapeUri(text.slice(userEnd + 1, at));
    pos = at + 1;
  }
  const len = text.length;
  let host: string;
  if (text.charCodeAt(pos) === 91) {
    const close = text.indexOf("]", pos);
    if (close === -1) throw badRequest("Invalid IPv6 reference in URI");
    for (let i = pos + 1; i < close; i++) {
      if (!inTable(IPV6, text.charCodeAt(i))) throw badRequest("Invalid IPv6 reference in URI");
    }
    host = text.slice(pos, close + 1).toLowerCase();
    pos = close + 1;
  } else {
    const hs = pos;
    while (pos < len && inTable(HOST, text.charCodeAt(pos))) pos++;
    if (pos === hs) throw badRequest("Missing host in URI");
    host = text.slice(hs, pos).toLowerCase();
  }
  let port: number | undefined;
  if (text.charCodeAt(pos) === 58) {
    pos++;
    const ps = pos;
    let p = 0;
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c < 48 || c > 57) break;
      p = p * 10 + (c - 48);
      pos++;
    }
    if (pos === ps || pos - ps > 5 || p > 65535) throw badRequest("Invalid port in URI");
    port = p;
  }
  const params: Params = new Map();
  while (text.charCodeAt(pos) === 59) {
    pos++;
    const ns = pos;
    while (pos < len && inTable(PARAM, text.charCodeAt(pos))) pos++;
    if (pos === ns) throw badRequest("Empty URI parameter");
    const name = unescapeUri(text.slice(ns, pos)).toLowerCase();
    let value: string | null = null;
    if (text.charCodeAt(pos) === 61) {
      pos++;
      const vs = pos;
      while (pos < len && inTable(PARAM, text.charCodeAt(pos))) pos++;
      if (pos === vs) throw badRequest("Empty URI parameter value");
      value = unescapeUri(text.slice(vs, pos));
    }
    params.set(name, value);
  }
  const headers: Params = new Map();
  if (text.charCodeAt(pos) === 63) {
    do {
      pos++;
      const ns = pos;
      while (pos < len && text.charCodeAt(pos) !== 61 && inTable(HNV, text.charCodeAt(pos))) pos++;
      if (pos === ns || text.charCodeAt(pos) !== 61) throw badRequest("Invalid URI header");
      const name = unescapeUri(text.slice(ns, pos));
      pos++;
      const vs = pos;
      while (pos < len && inTable(HNV, text.charCodeAt(pos))) pos++;
      headers.set(name, unescapeUri(text.slice(vs, pos)));
    } while (text.charCodeAt(pos) === 38);
  }
  if (pos !== len) throw badRequest("Invalid character in URI");
  return { scheme, user, password, host, port, params, headers, raw: text };
}

function parseTelUri(text: string, start: number): TelUri {
  let pos = start;
  const len = text.length;
  while (pos < len && inTable(TEL, text.charCodeAt(pos))) pos++;
  if (pos === start) throw badRequest("Invalid tel URI");
  const number = text.slice(start, pos);
  const params: Params = new Map();
  while (text.charCodeAt(pos) === 59) {
    pos++;
    const ns = pos;
    while (pos < len && inTable(PARAM, text.charCodeAt(pos)) && text.charCodeAt(pos) !== 61) pos++;
    if (pos === ns) throw badRequest("Empty tel URI parameter");
    const name = text.slice(ns, pos).toLowerCase();
    let value: string | null = null;
    if (text.charCodeAt(pos) === 61) {
      pos++;
      const vs = pos;
      while (pos < len && inTable(PARAM, text.charCodeAt(pos))) pos++;
      value = unescapeUri(text.slice(vs, pos));
    }
    params.set(name, value);
  }
  if (pos !== len) throw badRequest("Invalid character in tel URI");
  return { scheme: "tel", number, params, raw: text };
}

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === "sip" || uri.scheme === "sips";
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === "tel";
}
