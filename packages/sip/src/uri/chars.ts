/**
 * Byte classes of the RFC 3261 §25 grammar, as lookup tables indexed by char code (< 128);
 * a table lookup is what keeps the scanners free of regular expressions.
 */

function table(chars: string, alnum: boolean): Uint8Array {
  // 256 entries so that any byte indexes it without a range check.
  const t = new Uint8Array(256);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN: Uint8Array = table("-.!%*_+`'~", true);
/** unreserved / user-unreserved, plus `%` for escapes. */
export const USER: Uint8Array = table("-_.!~*'()&=+$,;?/%", true);
/** unreserved / escaped / "&" / "=" / "+" / "$" / "," */
export const PASSWORD: Uint8Array = table("-_.!~*'()&=+$,%", true);
/** paramchar = param-unreserved / unreserved / escaped */
export const PARAM: Uint8Array = table("[]/:&+$-_.!~*'()%", true);
/** hname / hvalue characters: hnv-unreserved / unreserved / escaped */
export const HNV: Uint8Array = table("[]/?:+$-_.!~*'()%", true);
/** hostname / IPv4 characters. */
export const HOST: Uint8Array = table("-.", true);
/** Inside the brackets of an IPv6 reference. */
export const IPV6: Uint8Array = table(":.", true);
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME: Uint8Array = table("+-.", true);
/** Characters of an opaque (non-SIP) absolute URI: anything visible but `<>"` and whitespace. */
export const OPAQUE: Uint8Array = table("-_.!~*'()%;/?:@&=+$,#[]{}|\\^`", true);
/** Telephone-number characters of a tel URI (RFC 3966), parameters excluded. */
export const TEL: Uint8Array = table("+-.()*#", true);

export function isToken(c: number): boolean {
  return TOKEN[c & 0xff] === 1 && c < 256;
}

export function inTable(t: Uint8Array, c: number): boolean {
  return t[c & 0xff] === 1 && c < 256;
}
