import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";

/** Why a password was refused; `message` is what the operator reads. */
export class WeakPasswordError extends Error {
  override readonly name = "WeakPasswordError";
  constructor(
    readonly reason: WeakPasswordReason,
    message: string,
  ) {
    super(message);
  }
}

export type WeakPasswordReason = "length" | "classes" | "common" | "pattern" | "contains-username";

export interface PasswordPolicy {
  /** Shortest password accepted. Default 10. */
  readonly minLength: number;
  /** Character classes (lower, upper, digit, other) a password shorter than `passphraseLength` needs. Default 3. */
  readonly minClasses: number;
  /** From this length on any mix of classes is accepted (a passphrase). Default 20. */
  readonly passphraseLength: number;
}

export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 10,
  minClasses: 3,
  passphraseLength: 20,
});

const MAX_LENGTH = 128;

let common: ReadonlySet<string> | undefined;

/** The shipped list of common passwords and stems (data/common-passwords.txt), lower case. */
export function commonPasswords(): ReadonlySet<string> {
  if (common === undefined) {
    // From src/ (tsx) the data folder is one level up; from compiled dist/src/, two.
    const up = import.meta.url.includes("/dist/src/") ? "../../" : "../";
    const text = readFileSync(new URL(`${up}data/common-passwords.txt`, import.meta.url), "utf8");
    common = new Set(
      text
        .split("\n")
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l !== "" && !l.startsWith("#")),
    );
  }
  return common;
}

const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
  "!": "i",
};

/** Lower case, leet-speak undone. */
function unleet(s: string): string {
  let out = "";
  for (const ch of s.toLowerCase()) out += LEET[ch] ?? ch;
  return out;
}

/** The word left once leading/trailing digits and punctuation are stripped ("!!Secret-2024" → "secret"). */
function stem(s: string): string {
  return s.toLowerCase().replace(/^[^a-z]+|[^a-z]+$/g, "");
}

/** Characters around a common word that still leave the password "that word": "Secret-201x", "P@ssw0rd!!2026". */
const DECORATION = 6;

/**
 * Whether the password, as typed or with leet-speak undone, is a common word with at most
 * {@link DECORATION} characters added around or inside it.
 */
function isCommon(lower: string): boolean {
  const list = commonPasswords();
  const forms = new Set([lower, unleet(lower), unleet(lower.replace(/!/g, "")), stem(lower)]);
  for (const form of forms) {
    if (list.has(form)) return true;
    for (const word of list) {
      if (word.length >= 4 && form.length - word.length <= DECORATION && form.includes(word)) return true;
    }
  }
  return false;
}

/**
 * Keypad and keyboard patterns a phone user reaches for: one repeated character or block
 * ("1111", "abab", "12341234"), runs up or down ("123456789", "987654"), keypad columns,
 * rows and diagonals ("147258369", "159357", "2580"), and "qwerty"-row walks.
 */
export function isKeyPattern(pw: string): boolean {
  const s = pw.toLowerCase();
  if (s.length === 0) return true;
  // A short block repeated ("aaaa", "1212", "abcabc", "12341234").
  for (let size = 1; size <= s.length / 2; size++) {
    if (s.length % size === 0 && s.slice(0, size).repeat(s.length / size) === s) return true;
  }
  if (isRun(s, 1) || isRun(s, -1)) return true;
  // Made only of keypad lines (rows, columns, diagonals, either way) put end to end.
  if (/^\d+$/.test(s) && coveredBy(s, KEYPAD_LINES)) return true;
  if (coveredBy(s, KEYBOARD_ROWS)) return true;
  return false;
}

/** Every character the previous one plus `step` (digits or letters): "3456789", "fedcba". */
function isRun(s: string, step: 1 | -1): boolean {
  if (s.length < 4) return false;
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - s.charCodeAt(i - 1);
    // "…890" and "…098" wrap on a phone keypad row.
    const wrap = (s[i - 1] === "9" && s[i] === "0") || (s[i - 1] === "0" && s[i] === "9");
    if (d !== step && !(wrap && step === (s[i] === "0" ? 1 : -1))) return false;
  }
  return true;
}

const KEYPAD_LINES = (() => {
  const lines = ["123", "456", "789", "147", "258", "369", "159", "357", "2580", "0852", "1470", "3690"];
  return [...lines, ...lines.map((l) => [...l].reverse().join(""))].sort((a, b) => b.length - a.length);
})();

const KEYBOARD_ROWS = (() => {
  const rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn", "1234567890"];
  return [...rows, ...rows.map((r) => [...r].reverse().join(""))];
})();

/** Whether `s` is a concatenation of pieces (length ≥ 3) each a substring of one of `lines`. */
function coveredBy(s: string, lines: readonly string[]): boolean {
  let i = 0;
  while (i < s.length) {
    let best = 0;
    for (const line of lines) {
      for (let len = Math.min(line.length, s.length - i); len > best; len--) {
        if (line.includes(s.slice(i, i + len))) {
          best = len;
          break;
        }
      }
    }
    if (best < 3 && !(best === s.length - i && i > 0)) return false;
    i += best;
  }
  return true;
}

function classes(pw: string): number {
  let n = 0;
  if (/[a-z]/.test(pw)) n++;
  if (/[A-Z]/.test(pw)) n++;
  if (/[0-9]/.test(pw)) n++;
  if (/[^a-zA-Z0-9]/.test(pw)) n++;
  return n;
}

/**
 * Refuses a weak SIP password with a {@link WeakPasswordError} saying why. `username` (the
 * extension number) and `realm` (the customer's domain) may not be the password nor inside it.
 */
export function checkPasswordStrength(
  password: string,
  context: { username?: string; realm?: string } = {},
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): void {
  if (password.length < policy.minLength || password.length > MAX_LENGTH) {
    throw new WeakPasswordError(
      "length",
      `password must be ${policy.minLength} to ${MAX_LENGTH} characters (got ${password.length})`,
    );
  }
  if (password.length < policy.passphraseLength && classes(password) < policy.minClasses) {
    throw new WeakPasswordError(
      "classes",
      `password must mix ${policy.minClasses} of: lower case, upper case, digits, other characters` +
        ` (or be at least ${policy.passphraseLength} characters long)`,
    );
  }
  const lower = password.toLowerCase();
  if (isCommon(lower)) {
    throw new WeakPasswordError(
      "common",
      "password is a common password (or one with a few characters added)",
    );
  }
  const word = stem(lower);
  const alnum = lower.replace(/[^a-z0-9]/g, "");
  if (isKeyPattern(password) || (word.length >= 4 && isKeyPattern(word)) || isKeyPattern(alnum)) {
    throw new WeakPasswordError("pattern", "password is a keypad or keyboard pattern");
  }
  for (const part of [context.username, context.realm?.split(".")[0]]) {
    if (part !== undefined && part.length >= 3 && lower.includes(part.toLowerCase())) {
      throw new WeakPasswordError("contains-username", "password must not contain the extension or domain");
    }
  }
}

const ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * A strong random password: 20 characters from 57 unambiguous letters and digits (no 0/O,
 * 1/l/I), ≈116 bits, grouped by 5 with '-' so it can be read out and typed on a phone's web
 * page. Always passes {@link checkPasswordStrength} for the account it is made for (`context`):
 * a random draw can spell the domain's first label ("pbx") or the extension number, so such
 * a draw is thrown away too.
 */
export function generatePassword(context: { username?: string; realm?: string } = {}): string {
  for (;;) {
    const groups: string[] = [];
    for (let g = 0; g < 4; g++) {
      let s = "";
      for (let i = 0; i < 5; i++) s += ALPHABET[randomInt(ALPHABET.length)];
      groups.push(s);
    }
    const pw = groups.join("-");
    try {
      checkPasswordStrength(pw, context);
      return pw;
    } catch {
      // rare (a keyboard walk, or the account's own name, drawn at random): draw again
    }
  }
}

/**
 * Candidates to try against a stored HA1 to find a weak existing password: the shipped list,
 * each word capitalised, with common suffixes, numeric keypad patterns of 4 to 10 digits, and
 * the extension number itself (and doubled). For reporting only — a password set through the
 * policy is none of these.
 */
export function weakCandidates(username: string): string[] {
  const out = new Set<string>();
  const suffixes = ["", "1", "12", "123", "1234", "!", "01", "2024", "2025", "2026", "123!"];
  for (const w of commonPasswords()) {
    for (const base of [w, w[0]!.toUpperCase() + w.slice(1)]) for (const s of suffixes) out.add(base + s);
  }
  for (const p of numericPatterns()) out.add(p);
  for (const p of [username, username + username, `${username}${username}${username}`]) out.add(p);
  for (const s of suffixes) out.add(`secret-${username}${s}`);
  return [...out];
}

/** Keypad-pattern digit strings of 4 to 10 digits (repeats, runs, rows/columns/diagonals). */
export function numericPatterns(): string[] {
  const out = new Set<string>();
  for (let len = 4; len <= 10; len++) {
    for (let d = 0; d <= 9; d++) out.add(String(d).repeat(len));
    for (let start = 0; start <= 9; start++) {
      let up = "";
      let down = "";
      for (let i = 0; i < len; i++) {
        up += String((start + i) % 10);
        down += String((start - i + 100) % 10);
      }
      out.add(up);
      out.add(down);
    }
  }
  for (const a of KEYPAD_LINES)
    for (const b of KEYPAD_LINES) {
      out.add(a + b);
      for (const c of KEYPAD_LINES) if ((a + b + c).length <= 10) out.add(a + b + c);
    }
  for (const pair of ["12", "21", "69", "00", "11", "13"])
    for (let n = 2; n <= 5; n++) out.add(pair.repeat(n));
  return [...out].filter((p) => p.length >= 4);
}
