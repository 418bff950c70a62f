import { ValidationError } from "./errors.js";

/*
 * Input checks shared by every backend, so a PostgreSQL store refuses exactly what SQLite
 * refuses. Each returns the normalised value or throws ValidationError naming the field.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS host name with at least two labels, lower-cased (SIP domains are case-insensitive). */
export function checkDomain(value: string, field = "domain"): string {
  const domain = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (domain.length === 0 || domain.length > 253) {
    throw new ValidationError(field, `${field} must be a DNS name of 1 to 253 characters`);
  }
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(labels.at(-1)!)) {
    throw new ValidationError(field, `${field} "${value}" is not a valid DNS name (e.g. "acme.pbx.example")`);
  }
  return domain;
}

const INTERNAL_NUMBER = /^[0-9]{2,6}$/;

/** Extension and ring group numbers: 2 to 6 digits. */
export function checkInternalNumber(value: string, field = "number"): string {
  if (typeof value !== "string" || !INTERNAL_NUMBER.test(value)) {
    throw new ValidationError(field, `${field} must be 2 to 6 digits, got "${String(value)}"`);
  }
  return value;
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** E.164 with its "+": a country code that does not start with 0, at most 15 digits. */
export function checkE164(value: string, field = "e164"): string {
  if (typeof value !== "string" || !E164.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be an E.164 number like "+33123456789", got "${String(value)}"`,
    );
  }
  return value;
}

const PIN = /^[0-9]{4}$/;

export function checkPin(value: string, field = "pin"): string {
  if (typeof value !== "string" || !PIN.test(value)) {
    throw new ValidationError(field, `${field} must be exactly 4 digits`);
  }
  return value;
}

export function checkText(value: string, field: string, opts: { min?: number; max?: number } = {}): string {
  const min = opts.min ?? 1;
  const max = opts.max ?? 200;
  if (typeof value !== "string") throw new ValidationError(field, `${field} must be a string`);
  const text = value.trim();
  if (text.length < min || text.length > max) {
    throw new ValidationError(field, `${field} must be ${min} to ${max} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new ValidationError(field, `${field} must not contain control characters`);
  }
  return text;
}

/** Minimum SIP password length: weak extension passwords are the first way into toll fraud. */
export const MIN_PASSWORD_LENGTH = 8;

export function checkPassword(value: string, field = "password"): string {
  if (typeof value !== "string" || value.length < MIN_PASSWORD_LENGTH || value.length > 128) {
    throw new ValidationError(field, `${field} must be ${MIN_PASSWORD_LENGTH} to 128 characters`);
  }
  return value;
}

export function checkOneOf<T extends string>(value: T, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value)) {
    throw new ValidationError(field, `${field} must be one of ${allowed.join(", ")}, got "${String(value)}"`);
  }
  return value;
}

export function checkInteger(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkId(value: number, field: string): number {
  return checkInteger(value, field, 1, Number.MAX_SAFE_INTEGER);
}

/** French department codes: 01–19, 21–95, 2A, 2B, 971–976 (20 split into 2A/2B in 1976). */
const DEPARTMENT = /^(?:0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[1-6])$/;
const COMMUNE = /^(?:[0-9]{5}|2[AB][0-9]{3})$/;

export function checkDepartment(value: string, field = "emergencyDepartment"): string {
  const dep = typeof value === "string" ? value.trim().toUpperCase() : "";
  if (!DEPARTMENT.test(dep)) {
    throw new ValidationError(
      field,
      `${field} must be a French department code ("01".."95", "2A", "2B", "971".."976")`,
    );
  }
  return dep;
}

/** INSEE commune code, which starts with its department's code. */
export function checkCommune(value: string, department: string, field = "emergencyCommune"): string {
  const code = typeof value === "string" ? value.trim().toUpperCase() : "";
  if (!COMMUNE.test(code)) {
    throw new ValidationError(
      field,
      `${field} must be a 5-character INSEE commune code like "75056" or "2A004"`,
    );
  }
  if (!code.startsWith(department)) {
    throw new ValidationError(field, `${field} ${code} is not in department ${department}`);
  }
  return code;
}

export function checkIsoDate(value: string, field: string): string {
  const m = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!d || d.toISOString().slice(0, 10) !== value) {
    throw new ValidationError(field, `${field} must be a calendar date "YYYY-MM-DD"`);
  }
  return value;
}

const SIP_URI = /^sips?:[^\s]+$/i;

export function checkContactUri(value: string, field = "contact"): string {
  if (typeof value !== "string" || value.length > 1024 || !SIP_URI.test(value)) {
    throw new ValidationError(field, `${field} must be a sip: or sips: URI`);
  }
  return value;
}

/** Carrier route prefix: E.164 digits without "+"; "" matches every destination. */
export function checkPrefix(value: string, field = "prefix"): string {
  const p = typeof value === "string" && value.startsWith("+") ? value.slice(1) : value;
  if (typeof p !== "string" || !/^[0-9]{0,15}$/.test(p)) {
    throw new ValidationError(field, `${field} must be 0 to 15 digits`);
  }
  return p;
}

/** A host name or an IP literal (IPv6 without brackets). */
export function checkHost(value: string, field = "host"): string {
  const host = typeof value === "string" ? value.trim().toLowerCase() : "";
  const isName = host.split(".").every((l) => LABEL.test(l));
  const isV6 = /^[0-9a-f:.]+$/.test(host) && host.includes(":");
  if (host.length === 0 || host.length > 253 || !(isName || isV6)) {
    throw new ValidationError(field, `${field} must be a host name or an IP address`);
  }
  return host;
}

/**
 * A phone's MAC address, as the operator types it or a phone requests it: 12 hex digits,
 * optionally separated by ":" or "-" in pairs. Stored lower-case without separators, the
 * form every vendor uses in its configuration file names.
 */
export function checkMac(value: string, field = "mac"): string {
  const raw = typeof value === "string" ? value.trim().toLowerCase() : "";
  const bare =
    /^([0-9a-f]{2})([:-]?)([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/.exec(
      raw,
    );
  if (bare === null)
    throw new ValidationError(field, `${field} must be 12 hex digits (e.g. 80:5e:c0:12:34:56)`);
  const mac = [1, 3, 4, 5, 6, 7].map((i) => bare[i]).join("");
  if (mac === "000000000000" || mac === "ffffffffffff")
    throw new ValidationError(field, `${field} ${mac} is not a phone's address`);
  return mac;
}

const FORWARD_NUMBER = /^\+?[0-9]{2,20}$/;

/** A forwarding target: digits as the extension would dial them (an optional "+"), or "voicemail". */
export function checkForwardTarget(value: string, field: string): string {
  if (value === "voicemail") return value;
  if (typeof value !== "string" || !FORWARD_NUMBER.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be a number (2 to 20 digits, optional "+") or "voicemail", got "${String(value)}"`,
    );
  }
  return value;
}

const VOICEMAIL_OF = /^voicemail:[0-9]{2,6}$/;

/** A ring group's overflow: what a forwarding target may be, or "voicemail:<extension>". */
export function checkOverflowTarget(value: string, field: string): string {
  if (typeof value === "string" && VOICEMAIL_OF.test(value)) return value;
  if (typeof value !== "string" || !FORWARD_NUMBER.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be a number (2 to 20 digits, optional "+") or "voicemail:<extension>", got "${String(value)}"`,
    );
  }
  return value;
}
