import { isToken } from "../uri/chars.js";
import { badRequest } from "./errors.js";
import type { Params } from "./types.js";

/** Skip SP / HT (folding has already been reduced to plain whitespace). */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

export function skipToken(s: string, i: number): number {
  while (i < s.length && isToken(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the closing quote of the quoted-string opening at `i`; throws if unterminated. */
export function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  throw badRequest("Unterminated quoted string");
}

/** The content of a quoted-string (quotes removed, quoted-pairs resolved). */
export function unquote(s: string, start: number, end: number): string {
  const inner = s.slice(start + 1, end - 1);
  if (inner.indexOf("\\") === -1) return inner;
  let out = "";
  for (let j = 0; j < inner.length; j++) {
    if (inner.charCodeAt(j) === 92) j++;
    out += inner[j] ?? "";
  }
  return out;
}

function isValueChar(c: number): boolean {
  // gen-value = token / host / quoted-string; host adds ":" "[" "]" for IPv6.
  return isToken(c) || c === 58 || c === 91 || c === 93;
}

/**
 * Parse `*( SEMI generic-param )` starting at `i` into `params` (names lower-cased, quoted
 * values kept with their quotes). Returns the index where the parameters end.
 */
export function parseParams(s: string, i: number, params: Params | undefined): number {
  for (;;) {
    i = skipWs(s, i);
    if (s.charCodeAt(i) !== 59) return i;
    i = skipWs(s, i + 1);
    const ns = i;
    i = skipToken(s, i);
    if (i === ns) throw badRequest("Empty header parameter");
    const name = params === undefined ? "" : s.slice(ns, i).toLowerCase();
    const j = skipWs(s, i);
    if (s.charCodeAt(j) === 61) {
      i = skipWs(s, j + 1);
      const vs = i;
      if (s.charCodeAt(i) === 34) i = quotedEnd(s, i);
      else while (i < s.length && isValueChar(s.charCodeAt(i))) i++;
      if (i === vs) throw badRequest(`Empty value of parameter ${name}`);
      params?.set(name, s.slice(vs, i));
    } else {
      params?.set(name, null);
    }
  }
}

/**
 * Split a comma-list header value at top-level commas (not inside quotes or `<>`), trimmed.
 * `strict` rejects empty elements (`a,,b`), which typed headers (Via, Contact...) never allow.
 */
export function splitList(s: string, strict: boolean): string[] {
  // Most list headers carry one value per line: nothing to split when there is no comma.
  if (s.indexOf(",") === -1) {
    const t = s.length > 0 && (isWs(s.charCodeAt(0)) || isWs(s.charCodeAt(s.length - 1))) ? s.trim() : s;
    if (t.length > 0) {
      if (strict && t.indexOf('"') !== -1) quotedBalance(t);
      return [t];
    }
    if (strict) throw badRequest("Empty element in header list");
    return [];
  }
  const out: string[] = [];
  let start = 0;
  let angle = false;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      for (; j < len; j++) {
        const d = s.charCodeAt(j);
        if (d === 92) j++;
        else if (d === 34) break;
      }
      if (j >= len && strict) throw badRequest("Unterminated quoted string");
      i = j;
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      pushTrimmed(out, s, start, i, strict);
      start = i + 1;
    }
  }
  pushTrimmed(out, s, start, len, strict);
  return out;
}

function pushTrimmed(out: string[], s: string, start: number, end: number, strict: boolean): void {
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  if (start === end) {
    if (strict) throw badRequest("Empty element in header list");
    return;
  }
  out.push(start === 0 && end === s.length ? s : s.slice(start, end));
}

function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

/** Throws when a quoted-string is left open. */
function quotedBalance(s: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 34) i = quotedEnd(s, i) - 1;
  }
}
