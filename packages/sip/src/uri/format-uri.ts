import type { Params, SipUri, TelUri, Uri } from "../message/types.js";
import { HNV, PARAM, PASSWORD, USER } from "./chars.js";
import { escapeUri } from "./escape.js";

function strip(t: Uint8Array, ...chars: string[]): Uint8Array {
  const copy = t.slice();
  for (const c of chars) copy[c.charCodeAt(0)] = 0;
  return copy;
}

// `%` always escapes itself; `=` and `&` separate header name/value pairs.
const USER_OUT = strip(USER, "%");
const PASSWORD_OUT = strip(PASSWORD, "%");
const PARAM_OUT = strip(PARAM, "%");
const HNV_OUT = strip(HNV, "%");

function formatParams(params: Params): string {
  let out = "";
  for (const [name, value] of params) {
    out += `;${escapeUri(name, PARAM_OUT)}`;
    if (value !== null) out += `=${escapeUri(value, PARAM_OUT)}`;
  }
  return out;
}

/** Build the text of a SIP/SIPS URI from its (unescaped) components. */
export function formatSipUri(uri: Omit<SipUri, "raw">): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += escapeUri(uri.user, USER_OUT);
    if (uri.password !== undefined) out += `:${escapeUri(uri.password, PASSWORD_OUT)}`;
    out += "@";
  }
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  let sep = "?";
  for (const [name, value] of uri.headers) {
    out += `${sep}${escapeUri(name, HNV_OUT)}=${escapeUri(value ?? "", HNV_OUT)}`;
    sep = "&";
  }
  return out;
}

/**
 * The text of a URI rebuilt from its components (SIP/SIPS and tel; other schemes print their
 * `raw` text): what to send after editing a URI's parts. A parsed URI's `raw` keeps the text as
 * received, which forwarding uses unchanged.
 */
export function formatUri(uri: Uri): string {
  if (uri.scheme === "sip" || uri.scheme === "sips") return formatSipUri(uri as SipUri);
  if (uri.scheme === "tel") return `tel:${(uri as TelUri).number}${formatParams((uri as TelUri).params)}`;
  return uri.raw;
}

/** Make a SipUri from components, computing its wire text. */
export function sipUri(parts: {
  scheme?: "sip" | "sips";
  user?: string | undefined;
  password?: string | undefined;
  host: string;
  port?: number | undefined;
  params?: Params;
  headers?: Params;
}): SipUri {
  const base = {
    scheme: parts.scheme ?? "sip",
    user: parts.user,
    password: parts.password,
    host: parts.host.toLowerCase(),
    port: parts.port,
    params: parts.params ?? new Map<string, string | null>(),
    headers: parts.headers ?? new Map<string, string | null>(),
  } as const;
  return { ...base, raw: formatSipUri(base) };
}

/** Make a TelUri from a number and parameters. */
export function telUri(number: string, params: Params = new Map()): TelUri {
  return { scheme: "tel", number, params, raw: `tel:${number}${formatParams(params)}` };
}
