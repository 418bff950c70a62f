import { DataReader } from "./data-reader.js";
import {
  CLASS_ACCESS,
  type ClassAccess,
  DESTINATION_CLASSES,
  type DestinationClass,
  isClassAccess,
  isDestinationClass,
} from "./types.js";

export const NUMBERING_PLAN_VERSION = 1;

export interface NationalRange {
  /** Prefix of the national significant number (no leading 0). */
  readonly prefix: string;
  readonly class: DestinationClass;
  /** Set for overseas departments, whose E.164 form uses their own country code. */
  readonly countryCode: string | undefined;
  readonly territory: string | undefined;
}

export interface ShortRange {
  readonly prefix: string;
  readonly length: number;
  readonly class: DestinationClass;
}

export interface InternationalZone {
  readonly name: string;
  readonly class: DestinationClass;
}

export interface ClassInfo {
  readonly label: string;
  readonly defaultAccess: ClassAccess;
}

/** A validated numbering plan, indexed for lookups. Build it with `parseNumberingPlan`. */
export interface NumberingPlan {
  readonly version: number;
  readonly name: string;
  readonly countryCode: string;
  readonly nationalPrefix: string;
  readonly internationalPrefix: string;
  readonly nsnLength: number;
  readonly support: ReadonlySet<string>;
  /** Emergency number → service name. */
  readonly emergency: ReadonlyMap<string, string>;
  readonly classes: Readonly<Record<DestinationClass, ClassInfo>>;
  readonly national: ReadonlyMap<string, NationalRange>;
  readonly nationalMaxPrefix: number;
  /** Country codes of overseas departments that use the French national plan (262, 590…). */
  readonly overseasCountryCodes: ReadonlySet<string>;
  readonly short: ReadonlyMap<string, ShortRange>;
  readonly shortMaxPrefix: number;
  readonly intlMinDigits: number;
  readonly intlMaxDigits: number;
  /** Country code (or longer prefix, e.g. NANP "1876") → zone. Longest prefix wins. */
  readonly zoneByPrefix: ReadonlyMap<string, InternationalZone>;
  readonly zoneMaxPrefix: number;
  readonly defaultZone: InternationalZone;
}

/** Validate a parsed `fr-numbering` JSON object. Throws `DialplanDataError` naming the faulty key. */
export function parseNumberingPlan(input: unknown, source = "numbering plan"): NumberingPlan {
  const r: DataReader = new DataReader(source);
  const root = r.object(input, "");
  const version = r.version(root, NUMBERING_PLAN_VERSION);
  const name = r.string(root.name, "name");

  const country = r.object(root.country, "country");
  const countryCode = r.digits(country.countryCode, "country.countryCode", 1, 3);
  const nationalPrefix = r.digits(country.nationalPrefix, "country.nationalPrefix", 1, 2);
  const internationalPrefix = r.digits(country.internationalPrefix, "country.internationalPrefix", 1, 4);
  const nsnLength = r.integer(country.nsnLength, "country.nsnLength", 4, 13);

  const support = new Set<string>();
  r.array(root.support, "support").forEach((v, i) => {
    support.add(r.digits(v, `support[${i}]`, 2, 8));
  });

  const emergency = new Map<string, string>();
  r.array(root.emergency, "emergency").forEach((v, i) => {
    const e = r.object(v, `emergency[${i}]`);
    const number = r.digits(e.number, `emergency[${i}].number`, 2, 8);
    if (emergency.has(number)) r.fail(`emergency[${i}].number`, `duplicate emergency number "${number}"`);
    if (support.has(number)) r.fail(`emergency[${i}].number`, `"${number}" is also the support line`);
    emergency.set(number, r.string(e.service, `emergency[${i}].service`));
  });
  if (emergency.size === 0) r.fail("emergency", "at least one emergency number is required");

  const classesIn = r.object(root.classes, "classes");
  const classes = {} as Record<DestinationClass, ClassInfo>;
  for (const key of Object.keys(classesIn)) {
    if (!isDestinationClass(key)) {
      r.fail(`classes.${key}`, `unknown destination class (known: ${DESTINATION_CLASSES.join(", ")})`);
    }
    const c = r.object(classesIn[key], `classes.${key}`);
    if (!isClassAccess(c.defaultAccess)) {
      r.fail(
        `classes.${key}.defaultAccess`,
        `expected one of ${CLASS_ACCESS.join(", ")}, got ${JSON.stringify(c.defaultAccess)}`,
      );
    }
    classes[key] = { label: r.string(c.label, `classes.${key}.label`), defaultAccess: c.defaultAccess };
  }
  for (const cls of DESTINATION_CLASSES) {
    if (!(cls in classes))
      r.fail(`classes.${cls}`, "missing (every destination class needs a default access)");
  }
  const readClass = (v: unknown, path: string): DestinationClass => {
    if (!isDestinationClass(v)) r.fail(path, `unknown destination class ${JSON.stringify(v)}`);
    return v;
  };

  const national = new Map<string, NationalRange>();
  let nationalMaxPrefix = 0;
  const overseasCountryCodes = new Set<string>();
  r.array(root.national, "national").forEach((v, i) => {
    const p = `national[${i}]`;
    const e = r.object(v, p);
    const prefix = r.digits(e.prefix, `${p}.prefix`, 1, nsnLength - 1);
    if (prefix.startsWith("0"))
      r.fail(`${p}.prefix`, `"${prefix}" starts with 0 (prefixes exclude the national prefix)`);
    if (national.has(prefix)) r.fail(`${p}.prefix`, `duplicate prefix "${prefix}"`);
    const cc = e.countryCode === undefined ? undefined : r.digits(e.countryCode, `${p}.countryCode`, 1, 3);
    const territory = e.territory === undefined ? undefined : r.string(e.territory, `${p}.territory`);
    if (cc !== undefined && cc !== countryCode) overseasCountryCodes.add(cc);
    national.set(prefix, { prefix, class: readClass(e.class, `${p}.class`), countryCode: cc, territory });
    nationalMaxPrefix = Math.max(nationalMaxPrefix, prefix.length);
  });

  const short = new Map<string, ShortRange>();
  let shortMaxPrefix = 0;
  r.array(root.short, "short").forEach((v, i) => {
    const p = `short[${i}]`;
    const e = r.object(v, p);
    const prefix = r.digits(e.prefix, `${p}.prefix`, 1, 8);
    const length = r.integer(e.length, `${p}.length`, prefix.length, 8);
    if (prefix.startsWith(nationalPrefix))
      r.fail(`${p}.prefix`, `"${prefix}" starts with the national prefix`);
    if (short.has(prefix)) r.fail(`${p}.prefix`, `duplicate prefix "${prefix}"`);
    short.set(prefix, { prefix, length, class: readClass(e.class, `${p}.class`) });
    shortMaxPrefix = Math.max(shortMaxPrefix, prefix.length);
  });

  const intl = r.object(root.international, "international");
  const intlMinDigits = r.integer(intl.minDigits, "international.minDigits", 3, 15);
  const intlMaxDigits = r.integer(intl.maxDigits, "international.maxDigits", intlMinDigits, 15);
  const zonesIn = r.object(intl.zones, "international.zones");
  const zoneByPrefix = new Map<string, InternationalZone>();
  const zones = new Map<string, InternationalZone>();
  let zoneMaxPrefix = 0;
  for (const zoneName of Object.keys(zonesIn)) {
    const p = `international.zones.${zoneName}`;
    const z = r.object(zonesIn[zoneName], p);
    const zone: InternationalZone = { name: zoneName, class: readClass(z.class, `${p}.class`) };
    zones.set(zoneName, zone);
    r.array(z.countryCodes, `${p}.countryCodes`).forEach((v, i) => {
      const code = r.digits(v, `${p}.countryCodes[${i}]`, 1, 4);
      const other = zoneByPrefix.get(code);
      if (other) r.fail(`${p}.countryCodes[${i}]`, `"${code}" is already in zone "${other.name}"`);
      if (code === countryCode || overseasCountryCodes.has(code)) {
        r.fail(`${p}.countryCodes[${i}]`, `"${code}" belongs to the national plan`);
      }
      zoneByPrefix.set(code, zone);
      zoneMaxPrefix = Math.max(zoneMaxPrefix, code.length);
    });
  }
  const defaultZoneName = r.string(intl.defaultZone, "international.defaultZone");
  const defaultZone = zones.get(defaultZoneName);
  if (!defaultZone) r.fail("international.defaultZone", `no zone named "${defaultZoneName}"`);

  return {
    version,
    name,
    countryCode,
    nationalPrefix,
    internationalPrefix,
    nsnLength,
    support,
    emergency,
    classes,
    national,
    nationalMaxPrefix,
    overseasCountryCodes,
    short,
    shortMaxPrefix,
    intlMinDigits,
    intlMaxDigits,
    zoneByPrefix,
    zoneMaxPrefix,
    defaultZone,
  };
}

/** Longest-prefix lookup in a prefix map (few entries, short keys: a loop over lengths is enough). */
export function longestPrefix<T>(
  map: ReadonlyMap<string, T>,
  maxLen: number,
  digits: string,
  from = 0,
): T | undefined {
  for (let len = Math.min(maxLen, digits.length - from); len > 0; len--) {
    const hit = map.get(digits.slice(from, from + len));
    if (hit !== undefined) return hit;
  }
  return undefined;
}
