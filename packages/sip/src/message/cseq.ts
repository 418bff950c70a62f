import { badRequest } from "./errors.js";
import { skipToken, skipWs } from "./lex.js";
import type { CSeq } from "./types.js";

/** Parse `1*DIGIT LWS Method`; the number must fit 32 bits (RFC 3261 §8.1.1.5). */
export function parseCSeq(s: string): CSeq {
  let i = skipWs(s, 0);
  while (s.charCodeAt(i) === 48 && i + 1 < s.length && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 57)
    i++;
  const ds = i;
  let seq = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + c - 48;
    i++;
  }
  if (i === ds || i - ds > 10 || seq > 0xffffffff) throw badRequest("Invalid CSeq number");
  const ms = skipWs(s, i);
  if (ms === i) throw badRequest("Invalid CSeq method");
  i = skipToken(s, ms);
  if (i === ms || skipWs(s, i) !== s.length) throw badRequest("Invalid CSeq method");
  return { seq, method: standardMethod(s, ms, i) ?? s.slice(ms, i) };
}

/** Parse a non-negative decimal header value; `max` bounds it, `undefined` on failure. */
export function parseDecimal(s: string, max: number): number | undefined {
  let i = skipWs(s, 0);
  let end = s.length;
  while (end > i && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  if (i === end) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + c - 48;
    if (n > max) return undefined;
  }
  return n;
}

/** Methods of RFC 3261 and its common extensions, shared rather than sliced from each message. */
export const METHODS: readonly string[] = [
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "REGISTER",
  "OPTIONS",
  "INFO",
  "UPDATE",
  "PRACK",
  "SUBSCRIBE",
  "NOTIFY",
  "REFER",
  "MESSAGE",
  "PUBLISH",
];

/** The shared string of a standard method spelled at s[start, end), or undefined. */
export function standardMethod(s: string, start: number, end: number): string | undefined {
  for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k] as string;
    if (m.length === end - start && s.startsWith(m, start)) return m;
  }
  return undefined;
}
