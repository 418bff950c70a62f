import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TemplateError } from "./errors.js";
import {
  type CompiledTemplate,
  compileTemplate,
  type TemplateFormat,
  type TemplateMaps,
} from "./template.js";

/*
 * A phone family is data: `templates/<family>/manifest.json` (models, file names, vendor code
 * maps, the check-sync event the family understands) and the template files it names. Adding a
 * model or fixing a parameter is an edit of those files; no code path is vendor-specific.
 */

/** One configuration file a phone of the family fetches. */
export interface FamilyFile {
  /** Name pattern: `{mac}` and `{model.<attribute>}` are replaced, e.g. "y0000000000{model.code}.cfg". */
  readonly pattern: string;
  readonly template: CompiledTemplate;
  /** Whether the file carries SIP passwords (only these get them in their scope). */
  readonly credentials: boolean;
}

export interface PhoneFamily {
  readonly name: string;
  readonly vendor: string;
  readonly version: number;
  /** The `Event` header value of a resync NOTIFY for this family. */
  readonly checkSyncEvent: string;
  /** Model name → its attributes (e.g. the Yealink hardware code), as given in the manifest. */
  readonly models: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly files: readonly FamilyFile[];
  readonly maps: TemplateMaps;
}

export interface PhoneModel {
  readonly family: PhoneFamily;
  /** As spelled in the manifest. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
}

// From src/ (tsx) the templates folder is one level up; from compiled dist/src/, two.
export const DEFAULT_TEMPLATE_DIR: string = fileURLToPath(
  new URL(import.meta.url.includes("/dist/src/") ? "../../templates/" : "../templates/", import.meta.url),
);

function object(v: unknown, where: string, key: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new TemplateError(where, key, "expected an object");
  return v as Record<string, unknown>;
}

function string(v: unknown, where: string, key: string): string {
  if (typeof v !== "string" || v === "") throw new TemplateError(where, key, "expected a non-empty string");
  return v;
}

function stringMap(v: unknown, where: string, key: string): Record<string, string> {
  const o = object(v, where, key);
  for (const [k, s] of Object.entries(o)) string(s, where, `${key}.${k}`);
  return o as Record<string, string>;
}

function loadFamily(dir: string, name: string): PhoneFamily {
  const where = `${name}/manifest.json`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, name, "manifest.json"), "utf8"));
  } catch (err) {
    throw new TemplateError(where, "(file)", (err as Error).message);
  }
  const m = object(raw, where, "(root)");
  if (m.family !== name) throw new TemplateError(where, "family", `must be "${name}", the folder's name`);
  const version = m.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1)
    throw new TemplateError(where, "version", "expected a positive integer");
  const format = m.format;
  if (format !== "xml" && format !== "cfg")
    throw new TemplateError(where, "format", 'expected "xml" or "cfg"');
  const models = new Map<string, Record<string, string>>();
  for (const [model, attrs] of Object.entries(object(m.models, where, "models")))
    models.set(model, stringMap(attrs, where, `models.${model}`));
  if (models.size === 0) throw new TemplateError(where, "models", "at least one model");
  const maps: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(object(m.maps ?? {}, where, "maps")))
    maps[k] = stringMap(v, where, `maps.${k}`);
  if (!Array.isArray(m.files) || m.files.length === 0)
    throw new TemplateError(where, "files", "at least one file");
  const files = m.files.map((f: unknown, i: number): FamilyFile => {
    const spec = object(f, where, `files.${i}`);
    const pattern = string(spec.name, where, `files.${i}.name`);
    if (!/^[A-Za-z0-9{}._-]+$/.test(pattern))
      throw new TemplateError(where, `files.${i}.name`, "not a plain file name");
    const file = string(spec.template, where, `files.${i}.template`);
    let source: string;
    try {
      source = readFileSync(join(dir, name, file), "utf8");
    } catch (err) {
      throw new TemplateError(where, `files.${i}.template`, (err as Error).message);
    }
    return {
      pattern,
      template: compileTemplate(`${name}/${file}`, source, format as TemplateFormat),
      credentials: spec.credentials === true,
    };
  });
  return {
    name,
    vendor: string(m.vendor, where, "vendor"),
    version,
    checkSyncEvent: string(m.checkSyncEvent, where, "checkSyncEvent"),
    models,
    files,
    maps,
  };
}

/** Every family of a template folder, with a case-insensitive model index across them. */
export class PhoneCatalog {
  readonly families: readonly PhoneFamily[];
  readonly #models = new Map<string, PhoneModel>();

  constructor(families: readonly PhoneFamily[]) {
    this.families = families;
    for (const family of families) {
      for (const [name, attributes] of family.models) {
        const key = name.toLowerCase();
        const other = this.#models.get(key);
        if (other !== undefined)
          throw new TemplateError(
            `${family.name}/manifest.json`,
            `models.${name}`,
            `also a ${other.family.name} model`,
          );
        this.#models.set(key, { family, name, attributes });
      }
    }
  }

  static load(dir: string = DEFAULT_TEMPLATE_DIR): PhoneCatalog {
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    return new PhoneCatalog(names.map((n) => loadFamily(dir, n)));
  }

  model(name: string): PhoneModel | undefined {
    return this.#models.get(name.trim().toLowerCase());
  }

  /** Every model name, "family: A, B" per family, for error messages and help. */
  describeModels(): string {
    return this.families.map((f) => `${f.name}: ${[...f.models.keys()].join(", ")}`).join("; ");
  }
}

/** The file name a pattern gives for this phone. */
export function fileName(pattern: string, mac: string, model: PhoneModel): string {
  return pattern.replace(
    /\{(mac|model\.([A-Za-z0-9_]+))\}/g,
    (_m: string, _what: string, attr: string | undefined) => {
      if (attr === undefined) return mac;
      const v = model.attributes[attr];
      if (v === undefined)
        throw new TemplateError(
          `${model.family.name}/manifest.json`,
          `models.${model.name}.${attr}`,
          "missing",
        );
      return v;
    },
  );
}
