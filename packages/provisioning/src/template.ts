import { TemplateError } from "./errors.js";

/*
 * The template language: a small, logic-less subset of Mustache, enough for configuration
 * files and no more, so a vendor's file is data that an operator can read and edit.
 *
 *   {{key}}  {{a.b}}      a value; dotted keys walk objects
 *   {{key | map}}         the value looked up in the family's `maps.map` (vendor codes)
 *   {{#key}}…{{/key}}     a list: once per item; an object: once, inside it; true: once;
 *                         false / null / empty list: not at all
 *   {{^key}}…{{/key}}     the opposite: only when the key is false / null / an empty list
 *
 * Names resolve in the innermost section's item first, then outwards. A name that resolves
 * nowhere is an error naming the template and the key (a typo must not silently drop a
 * setting), and so is a value a map has no entry for. A line holding only a section tag is
 * removed whole, so templates can put tags on their own lines.
 */

export type TemplateValue = string | number | boolean | null | TemplateScope | readonly TemplateScope[];
export interface TemplateScope {
  readonly [key: string]: TemplateValue;
}

/** How values are written: XML-escaped, or key=value lines where a line break is refused. */
export type TemplateFormat = "xml" | "cfg";

export type TemplateMaps = Readonly<Record<string, Readonly<Record<string, string>>>>;

type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "var"; readonly key: string; readonly map: string | undefined }
  | {
      readonly kind: "section";
      readonly key: string;
      readonly inverted: boolean;
      readonly children: readonly Node[];
    };

export interface CompiledTemplate {
  readonly name: string;
  readonly format: TemplateFormat;
  readonly nodes: readonly Node[];
}

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*)?\}\}/g;

/** Drops the line of a standalone section tag (only whitespace around it) from the source. */
function stripStandalone(source: string): string {
  return source.replace(/^[ \t]*(\{\{\s*[#^/][^}]*\}\})[ \t]*\r?\n/gm, "$1");
}

export function compileTemplate(name: string, source: string, format: TemplateFormat): CompiledTemplate {
  const text = stripStandalone(source);
  const root: Node[] = [];
  const stack: { key: string; inverted: boolean; children: Node[] }[] = [];
  let out = root;
  let last = 0;
  for (const m of text.matchAll(TAG)) {
    if (m.index > last) out.push({ kind: "text", text: text.slice(last, m.index) });
    last = m.index + m[0].length;
    const [, sigil, key, map] = m as unknown as [string, string, string, string | undefined];
    if (sigil === "#" || sigil === "^") {
      const frame = { key, inverted: sigil === "^", children: [] as Node[] };
      out.push({ kind: "section", key, inverted: frame.inverted, children: frame.children });
      stack.push(frame);
      out = frame.children;
    } else if (sigil === "/") {
      const open = stack.pop();
      if (open === undefined || open.key !== key)
        throw new TemplateError(name, key, `closing tag without a matching {{#${key}}}`);
      out = stack.at(-1)?.children ?? root;
    } else {
      out.push({ kind: "var", key, map });
    }
  }
  if (stack.length > 0) {
    const open = stack.at(-1)!;
    throw new TemplateError(name, open.key, "section is never closed");
  }
  const rest = text.slice(last);
  if (rest.includes("{{")) throw new TemplateError(name, rest.slice(rest.indexOf("{{"), 40), "malformed tag");
  if (rest.length > 0) root.push({ kind: "text", text: rest });
  return { name, format, nodes: root };
}

const MISSING = Symbol("missing");

function lookup(scopes: readonly TemplateScope[], key: string): TemplateValue | typeof MISSING {
  const [head, ...path] = key.split(".");
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    if (!Object.hasOwn(scope, head!)) continue;
    let v: TemplateValue = scope[head!]!;
    for (const p of path) {
      if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, p)) return MISSING;
      v = (v as TemplateScope)[p]!;
    }
    return v;
  }
  return MISSING;
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function write(t: CompiledTemplate, key: string, raw: string): string {
  if (t.format === "xml") return raw.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
  if (/[\r\n]/.test(raw)) throw new TemplateError(t.name, key, "value contains a line break");
  return raw;
}

function scalar(t: CompiledTemplate, key: string, v: TemplateValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "1" : "0";
  throw new TemplateError(
    t.name,
    key,
    v === null ? "has no value here" : "is a list or an object, not a value",
  );
}

function renderNodes(
  t: CompiledTemplate,
  nodes: readonly Node[],
  scopes: TemplateScope[],
  maps: TemplateMaps,
  out: string[],
): void {
  for (const n of nodes) {
    if (n.kind === "text") {
      out.push(n.text);
      continue;
    }
    const v = lookup(scopes, n.key);
    if (v === MISSING) throw new TemplateError(t.name, n.key, "no such key");
    if (n.kind === "var") {
      let s = scalar(t, n.key, v);
      if (n.map !== undefined) {
        const table = maps[n.map];
        if (table === undefined) throw new TemplateError(t.name, n.key, `no map "${n.map}" in the manifest`);
        const mapped = table[s];
        if (mapped === undefined)
          throw new TemplateError(t.name, n.key, `value "${s}" is not in map "${n.map}"`);
        s = mapped;
      }
      out.push(write(t, n.key, s));
      continue;
    }
    const items: readonly TemplateScope[] = Array.isArray(v)
      ? v
      : v === null || v === false || v === ""
        ? []
        : typeof v === "object"
          ? [v as TemplateScope]
          : [{}];
    if (n.inverted) {
      if (items.length === 0) renderNodes(t, n.children, scopes, maps, out);
      continue;
    }
    for (const item of items) {
      scopes.push(item);
      renderNodes(t, n.children, scopes, maps, out);
      scopes.pop();
    }
  }
}

/** Renders `t` with `scope`; throws TemplateError naming the template and the key at fault. */
export function renderTemplate(t: CompiledTemplate, scope: TemplateScope, maps: TemplateMaps = {}): string {
  const out: string[] = [];
  renderNodes(t, t.nodes, [scope], maps, out);
  return out.join("");
}
