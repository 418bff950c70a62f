import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { configSchema } from "../src/config/schema.js";

// docs/configuration.md lists every key of the configuration schema with its default: this
// walks the zod schema and compares, so a key added (or a default changed) without the page
// fails here, and so does a key the page lists that the schema no longer has.

interface SchemaKey {
  readonly path: string;
  /** A section (object): documenting it is optional, its keys are not. */
  readonly section: boolean;
  readonly optional: boolean;
  readonly dflt: unknown;
}

/** The parts of zod 4's schema definitions the walk reads. */
interface Def {
  readonly type: string;
  readonly innerType?: { _zod: { def: Def } };
  readonly in?: { _zod: { def: Def } };
  readonly defaultValue?: unknown;
  readonly shape?: Record<string, { _zod: { def: Def } }>;
  readonly element?: { _zod: { def: Def } };
}

const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

function walk(d: Def, path: string, out: SchemaKey[], dflt: unknown, optional: boolean): void {
  switch (d.type) {
    case "default":
      walk(defOf(d.innerType), path, out, d.defaultValue, optional);
      return;
    case "prefault":
      walk(defOf(d.innerType), path, out, dflt, optional);
      return;
    case "optional":
      walk(defOf(d.innerType), path, out, dflt, true);
      return;
    case "pipe": // a transform after the input schema: the file holds the input
      walk(defOf(d.in), path, out, dflt, optional);
      return;
    case "object":
      if (path !== "") out.push({ path, section: true, optional, dflt });
      for (const [k, v] of Object.entries(d.shape ?? {}))
        walk(defOf(v), path ? `${path}.${k}` : k, out, undefined, false);
      return;
    case "array": {
      const el = defOf(d.element);
      out.push({ path, section: false, optional, dflt });
      if (el.type === "object") {
        for (const [k, v] of Object.entries(el.shape ?? {}))
          walk(defOf(v), `${path}[].${k}`, out, undefined, false);
      }
      return;
    }
    default:
      out.push({ path, section: false, optional, dflt });
  }
}

function schemaKeys(): SchemaKey[] {
  const out: SchemaKey[] = [];
  walk(defOf(configSchema), "", out, undefined, false);
  return out;
}

/** key → default cell, from the page's table rows "| `key` | type | default | meaning |". */
function documented(): Map<string, string> {
  const page = readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8");
  const rows = new Map<string, string>();
  for (const line of page.split("\n")) {
    // Cells split on "|" not escaped as "\|"; the formatter pads them with spaces.
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const key = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
    if (line.startsWith("|") && key !== undefined && cells.length >= 6) rows.set(key, cells[3]!);
  }
  return rows;
}

test("the walk finds the schema's keys (it is not vacuous)", () => {
  const keys = schemaKeys().map((k) => k.path);
  for (const k of [
    "node.name",
    "sip.listen[].port",
    "admin.tokens[].customer",
    "failover.dns.nodes[].ports.tls",
  ]) {
    assert.ok(keys.includes(k), k);
  }
  assert.ok(keys.length > 150, String(keys.length));
});

test("docs/configuration.md lists every key of the schema, with its default", () => {
  const rows = documented();
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const k of schemaKeys()) {
    const cell = rows.get(k.path);
    if (cell === undefined) {
      if (!k.section) missing.push(k.path);
      continue;
    }
    const want = k.dflt !== undefined ? JSON.stringify(k.dflt) : k.optional ? "—" : "required";
    const got =
      cell.startsWith("`") && cell.endsWith("`") ? JSON.stringify(JSON.parse(cell.slice(1, -1))) : cell;
    if (got !== want) wrong.push(`${k.path}: page says ${cell}, schema ${want}`);
  }
  assert.equal(missing, [], `keys missing from docs/configuration.md: ${missing.join(", ")}`);
  assert.equal(wrong, [], wrong.join("\n"));
});

test("docs/configuration.md lists no key the schema does not have", () => {
  const known = new Set(schemaKeys().map((k) => k.path));
  const extra = [...documented().keys()].filter((k) => !known.has(k));
  assert.equal(extra, []);
});

test.run();
