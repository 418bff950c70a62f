import { fileName, type PhoneModel } from "./families.js";
import { renderTemplate, type TemplateScope } from "./template.js";

/*
 * What a phone is told, vendor-neutral: the operator's settings (one per node, from the config
 * file) and the phone's own data (from the store). `phoneScope` turns both into the names the
 * templates use; `renderPhoneFile` picks the file a phone asked for and fills it in.
 */

export type PhoneTransport = "udp" | "tcp" | "tls";
/** How the phone finds the server: NAPTR then SRV then A, SRV then A, or A only (explicit port). */
export type DnsMode = "naptr" | "srv" | "a";
/** When a phone that moved to another server comes back (vendor failback modes). */
export type FailbackMode = "newRequests" | "dnsttl" | "registration" | "duration";

export interface PhoneSettings {
  /** The server's DNS name, never an address (service terms rule 23). */
  readonly server: string;
  /** A second server name for the models that take one (failover without DNS changes). */
  readonly secondServer?: string | undefined;
  readonly transport: PhoneTransport;
  readonly dnsMode: DnsMode;
  /** Registration expiry asked for (s): short, because it bounds failover time for incoming calls. */
  readonly expires: number;
  readonly failback: FailbackMode;
  /** For failback "duration", and Yealink's outbound-proxy fallback interval (s). */
  readonly failbackSeconds: number;
  /** NAT keepalive the phone sends itself (s). */
  readonly keepaliveSeconds: number;
  /** "fr" or "en" (the family maps say what each vendor calls it). */
  readonly language: string;
  /** An IANA zone the family maps know; "Europe/Paris". */
  readonly timezone: string;
  /** In order of preference: "G722", "PCMA", "PCMU". */
  readonly codecs: readonly string[];
}

export const DEFAULT_PHONE_SETTINGS: Omit<PhoneSettings, "server"> = Object.freeze({
  transport: "udp",
  dnsMode: "srv",
  expires: 300,
  failback: "newRequests",
  failbackSeconds: 3600,
  keepaliveSeconds: 30,
  language: "fr",
  timezone: "Europe/Paris",
  codecs: ["G722", "PCMA", "PCMU"],
});

/** One key of the phone, with the SIP password only when the file may carry it. */
export interface PhoneLine {
  readonly number: string;
  readonly displayName: string;
  /** Present only for files fetched with the phone's credential and flagged `credentials`. */
  readonly password?: string;
}

export interface PhoneData {
  readonly mac: string;
  readonly model: PhoneModel;
  /** The customer's SIP domain (AOR domain and digest realm). */
  readonly domain: string;
  readonly lines: readonly PhoneLine[];
  readonly blf: readonly Omit<PhoneLine, "password">[];
}

function serverScope(host: string, s: PhoneSettings): TemplateScope {
  const port = s.dnsMode === "a" ? (s.transport === "tls" ? 5061 : 5060) : 0;
  return {
    host,
    // 0: let the phone look up NAPTR/SRV; an explicit port means an A query only.
    port,
    portSuffix: port === 0 ? "" : `:${port}`,
    transport: s.transport,
    dnsMode: s.dnsMode,
    dnsTransport: s.dnsMode === "naptr" ? "naptr" : s.transport,
    transportParam: s.dnsMode === "naptr" ? "" : `;transport=${s.transport}`,
  };
}

/** The names every template may use (see templates/README.md). */
export function phoneScope(phone: PhoneData, s: PhoneSettings, withCredentials: boolean): TemplateScope {
  const lines = phone.lines.map(
    (l, i): TemplateScope => ({
      index: i + 1,
      number: l.number,
      displayName: l.displayName === "" ? l.number : l.displayName,
      ...(withCredentials && l.password !== undefined && { password: l.password }),
    }),
  );
  const blf = phone.blf.map(
    (b, i): TemplateScope => ({
      position: i + 1,
      key: phone.lines.length + i + 1,
      key0: phone.lines.length + i,
      number: b.number,
      displayName: b.displayName === "" ? b.number : b.displayName,
    }),
  );
  return {
    mac: phone.mac,
    model: { name: phone.model.name, ...phone.model.attributes },
    domain: phone.domain,
    server: serverScope(s.server, s),
    secondServer: s.secondServer === undefined ? null : serverScope(s.secondServer, s),
    expires: s.expires,
    expiresMinutes: Math.max(1, Math.round(s.expires / 60)),
    failback: s.failback,
    failbackSeconds: s.failbackSeconds,
    keepaliveSeconds: s.keepaliveSeconds,
    language: s.language,
    timezone: s.timezone,
    codecs: s.codecs.map((name, i) => ({ name, priority: i + 1 })),
    lines,
    firstLine: lines[0] ?? null,
    blf,
  };
}

export interface RenderedFile {
  readonly name: string;
  readonly body: string;
  readonly contentType: string;
  /** Whether the file carries SIP passwords. */
  readonly credentials: boolean;
}

/** Every file name this phone may fetch, with whether it carries credentials. */
export function phoneFiles(
  phone: Pick<PhoneData, "mac" | "model">,
): { name: string; credentials: boolean }[] {
  return phone.model.family.files.map((f) => ({
    name: fileName(f.pattern, phone.mac, phone.model),
    credentials: f.credentials,
  }));
}

/**
 * The file `name` for this phone, or undefined when its family has no such file. `phone.lines`
 * passwords are used only by files flagged `credentials`. Throws TemplateError on a template fault.
 */
export function renderPhoneFile(
  phone: PhoneData,
  settings: PhoneSettings,
  name: string,
): RenderedFile | undefined {
  const family = phone.model.family;
  const file = family.files.find((f) => fileName(f.pattern, phone.mac, phone.model) === name);
  if (file === undefined) return undefined;
  const body = renderTemplate(file.template, phoneScope(phone, settings, file.credentials), family.maps);
  const contentType =
    file.template.format === "xml" ? "application/xml; charset=utf-8" : "text/plain; charset=utf-8";
  return { name, body, contentType, credentials: file.credentials };
}
