import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type CentrexConfig, configSchema } from "./schema.js";

/** A configuration that cannot be used; the message names the key and the value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly key: string | undefined,
  ) {
    super(message);
  }
}

/** Validates an already-parsed object (defaults filled in). */
export function validateConfig(raw: unknown, source = "config"): CentrexConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const key = issue.path.map(String).join(".");
  const value = valueAt(raw, issue.path);
  const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
  const unknownKeys = issue.code === "unrecognized_keys" ? `: ${issue.keys.join(", ")}` : "";
  const where = key ? `key "${key}"` : "top level";
  throw new ConfigError(`${source}: ${where}: ${issue.message}${unknownKeys}${shown}`, key || undefined);
}

/** Reads and validates a YAML configuration file. */
export function loadConfigFile(path: string): CentrexConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, undefined);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(`${path}: invalid YAML: ${doc.errors[0]?.message}`, undefined);
  }
  return validateConfig(doc.toJS(), path);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}
