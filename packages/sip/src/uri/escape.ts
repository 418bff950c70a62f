import { badRequest } from "../message/errors.js";
import { inTable } from "./chars.js";

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decode `%HH` escapes once (never twice: `%2541` gives `%41`). Decoded octets are read as
 * UTF-8 when they form valid UTF-8, else one char per octet, so `%00` survives as U+0000.
 */
export function unescapeUri(s: string): string {
  const first = s.indexOf("%");
  if (first === -1) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      const h = hexValue(s.charCodeAt(i + 1));
      const l = hexValue(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) throw badRequest("Invalid escape in URI");
      bytes.push(h * 16 + l);
      i += 2;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(s[i] ?? "", "utf8")) bytes.push(b);
    }
  }
  const buf = Buffer.from(bytes);
  const text = buf.toString("utf8");
  return text.includes("\uFFFD") && !s.includes("\uFFFD") ? buf.toString("latin1") : text;
}

const HEX = "0123456789ABCDEF";

/** Escape every char not in `allowed` (a chars.ts table, which must not hold `%`). */
export function escapeUri(s: string, allowed: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 || !inTable(allowed, c)) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    if (b !== 37 && inTable(allowed, b)) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}
