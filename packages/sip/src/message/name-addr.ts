import { isToken } from "../uri/chars.js";
import { parseUri } from "../uri/parse-uri.js";
import { badRequest } from "./errors.js";
import { parseParams, quotedEnd, skipWs, unquote } from "./lex.js";
import type { NameAddr, Params, Uri } from "./types.js";

/**
 * A checked address that decodes its parts on first read: the syntax of the whole value was
 * verified when it was built, so the getters only slice and fill (a proxy reading the From tag
 * never builds the URI; one checking a Route never unquotes a display name).
 */
class NameAddrImpl implements NameAddr {
  readonly raw: string;
  private readonly nameStart: number;
  private readonly nameEnd: number;
  private readonly uriStart: number;
  private readonly uriEnd: number;
  private readonly paramsStart: number;
  private parsedUri: Uri | undefined;
  private parsedParams: Params | undefined;

  constructor(
    raw: string,
    nameStart: number,
    nameEnd: number,
    uriStart: number,
    uriEnd: number,
    paramsStart: number,
  ) {
    this.raw = raw;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.uriStart = uriStart;
    this.uriEnd = uriEnd;
    this.paramsStart = paramsStart;
    this.parsedUri = undefined;
    this.parsedParams = undefined;
  }

  get displayName(): string | undefined {
    if (this.nameStart === this.nameEnd) return undefined;
    if (this.raw.charCodeAt(this.nameStart) === 34) return unquote(this.raw, this.nameStart, this.nameEnd);
    return this.raw.slice(this.nameStart, this.nameEnd);
  }

  /** Parsed on first read: a malformed URI throws `SipParseError` here. */
  get uri(): Uri {
    if (this.parsedUri === undefined) this.parsedUri = parseUri(this.raw.slice(this.uriStart, this.uriEnd));
    return this.parsedUri;
  }

  get params(): Params {
    if (this.parsedParams === undefined) {
      const params: Params = new Map();
      parseParams(this.raw, this.paramsStart, params);
      this.parsedParams = params;
    }
    return this.parsedParams;
  }
}

/**
 * Parse `name-addr / addr-spec` followed by header parameters (From, To, Contact, Route...).
 * In addr-spec form (no `<>`) everything after the first `;` is a header parameter, and a URI
 * with `?` or `,` is rejected: RFC 3261 §20 requires angle brackets for those. The whole value
 * is checked here; the URI itself is parsed on first access to `uri` (a malformed one throws
 * `SipParseError` then).
 */
export function parseNameAddr(text: string): NameAddr {
  let i = skipWs(text, 0);
  const len = text.length;
  let nameStart = i;
  let nameEnd = i;
  let uriStart: number;
  let uriEnd: number;
  const lt = text.indexOf("<", i);
  if (text.charCodeAt(i) === 34) {
    nameEnd = quotedEnd(text, i);
    i = skipWs(text, nameEnd);
    if (text.charCodeAt(i) !== 60) throw badRequest("Missing <> after display name");
  } else if (lt !== -1) {
    // Unquoted display name: tokens and LWS only (a `,` here means a malformed header, RFC 4475 §3.1.2.15).
    let end = lt;
    for (let j = i; j < lt; j++) {
      const c = text.charCodeAt(j);
      if (!isToken(c) && c !== 32 && c !== 9) throw badRequest("Invalid display name");
    }
    while (end > i && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
    nameEnd = end;
    i = lt;
  } else {
    nameStart = nameEnd = 0;
  }
  if (text.charCodeAt(i) === 60) {
    const gt = text.indexOf(">", i);
    if (gt === -1) throw badRequest("Missing > in address");
    for (let j = i + 1; j < gt; j++) {
      const c = text.charCodeAt(j);
      if (c === 32 || c === 9 || c === 60) throw badRequest("Invalid whitespace in addr-spec");
    }
    uriStart = i + 1;
    uriEnd = gt;
    i = gt + 1;
  } else {
    const s = i;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 59 || c === 32 || c === 9) break;
      if (c === 63 || c === 44 || c === 62 || c === 34)
        throw badRequest("Address with headers or commas must be enclosed in <>");
      i++;
    }
    uriStart = s;
    uriEnd = i;
  }
  const colon = text.indexOf(":", uriStart);
  if (uriEnd === uriStart || colon <= uriStart || colon >= uriEnd) throw badRequest("Invalid address");
  const paramsStart = i;
  i = parseParams(text, i, undefined);
  if (skipWs(text, i) !== len) throw badRequest("Invalid characters after address");
  return new NameAddrImpl(text, nameStart, nameEnd, uriStart, uriEnd, paramsStart);
}
