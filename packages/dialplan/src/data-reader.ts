import { DialplanDataError } from "./errors.js";

/** Small typed accessors over an untrusted parsed JSON object; every failure names its key path. */
export class DataReader {
  constructor(readonly source: string) {}

  fail(path: string, problem: string): never {
    throw new DialplanDataError(this.source, path, problem);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      this.fail(path, `expected an object, got ${show(v)}`);
    return v as Record<string, unknown>;
  }

  array(v: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${show(v)}`);
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string" || v.length === 0)
      this.fail(path, `expected a non-empty string, got ${show(v)}`);
    return v;
  }

  digits(v: unknown, path: string, min = 1, max = 15): string {
    const s = this.string(v, path);
    if (!/^[0-9]+$/.test(s) || s.length < min || s.length > max) {
      this.fail(path, `expected ${min}-${max} digits, got ${show(v)}`);
    }
    return s;
  }

  integer(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `expected an integer in ${min}..${max}, got ${show(v)}`);
    }
    return v;
  }

  version(root: Record<string, unknown>, supported: number): number {
    if (!("version" in root)) this.fail("version", "missing (a versioned data file is required)");
    const v = root.version;
    if (v !== supported)
      this.fail("version", `unsupported version ${show(v)} (this code reads version ${supported})`);
    return supported;
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : JSON.stringify(v);
}
