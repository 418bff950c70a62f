import { DataReader } from "./data-reader.js";

export const EMERGENCY_TABLE_VERSION = 1;

export interface EmergencyCommune {
  readonly insee: string;
  readonly name: string;
  readonly department: string;
  /** Emergency number → 10-digit national number of the centre serving this commune. */
  readonly centres: ReadonlyMap<string, string>;
}

/** Routing table commune × emergency number → centre. Build it with `parseEmergencyTable`. */
export interface EmergencyTable {
  readonly version: number;
  /** True for the shipped sample: its centre numbers are fictional. */
  readonly sample: boolean;
  /** Services with one centre for the whole country (used when a commune has no own entry). */
  readonly national: ReadonlyMap<string, string>;
  readonly communes: ReadonlyMap<string, EmergencyCommune>;
}

/** INSEE commune code: 5 characters, Corsica uses 2A/2B. */
const INSEE_COMMUNE = /^(?:[0-9]{5}|2[AB][0-9]{3})$/;
const DEPARTMENT = /^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$/;
/** A French national number toward a geographic, mobile or 09 line: 0 + 9 digits. */
const CENTRE_NUMBER = /^0[1-79][0-9]{8}$/;

export function isInseeCommune(code: string): boolean {
  return INSEE_COMMUNE.test(code);
}

export function isDepartment(code: string): boolean {
  return DEPARTMENT.test(code);
}

/** The department a commune belongs to (first 2 characters, or 3 for overseas 97x). */
export function departmentOfCommune(insee: string): string {
  return insee.startsWith("97") ? insee.slice(0, 3) : insee.slice(0, 2);
}

/** Validate a parsed emergency routing JSON object. Throws `DialplanDataError` naming the faulty key. */
export function parseEmergencyTable(input: unknown, source = "emergency table"): EmergencyTable {
  const r: DataReader = new DataReader(source);
  const root = r.object(input, "");
  const version = r.version(root, EMERGENCY_TABLE_VERSION);
  if (root.sample !== undefined && typeof root.sample !== "boolean")
    r.fail("sample", "expected true or false");
  const centreMap = (v: unknown, path: string): Map<string, string> => {
    const o = r.object(v, path);
    const m = new Map<string, string>();
    for (const k of Object.keys(o)) {
      r.digits(k, `${path} key`, 2, 8);
      const n = r.string(o[k], `${path}.${k}`);
      if (!CENTRE_NUMBER.test(n))
        r.fail(`${path}.${k}`, `expected a 10-digit French number (0 + 9 digits), got "${n}"`);
      m.set(k, n);
    }
    return m;
  };
  const national =
    root.national === undefined ? new Map<string, string>() : centreMap(root.national, "national");
  const communesIn = r.object(root.communes, "communes");
  const communes = new Map<string, EmergencyCommune>();
  for (const insee of Object.keys(communesIn)) {
    const p = `communes.${insee}`;
    if (!INSEE_COMMUNE.test(insee)) r.fail(p, `"${insee}" is not an INSEE commune code`);
    const c = r.object(communesIn[insee], p);
    const department = r.string(c.department, `${p}.department`);
    if (department !== departmentOfCommune(insee)) {
      r.fail(`${p}.department`, `"${department}" does not match commune ${insee}`);
    }
    communes.set(insee, {
      insee,
      name: r.string(c.name, `${p}.name`),
      department,
      centres: centreMap(c.centres, `${p}.centres`),
    });
  }
  return { version, sample: root.sample === true, national, communes };
}
