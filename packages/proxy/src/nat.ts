import type { NameAddr, SipMessage, SipUri } from "@centrex/sip";

export interface Flow {
  readonly transport: string;
  readonly address: string;
  readonly port: number;
}

/**
 * A phone behind NAT advertises a private Contact it cannot be reached at.
 * When the Contact of a dialog-creating message differs from where the
 * message physically came from, rewrite it to that flow (as Kamailio's
 * fix_nated_contact does), so every in-dialog request of the call — BYE,
 * re-INVITE, ACK — is sent where the phone can be reached, and never to the
 * private address.
 */
export function fixNatedContact(msg: SipMessage, flow: Flow): boolean {
  let contacts: readonly NameAddr[];
  try {
    contacts = msg.contact;
  } catch {
    return false;
  }
  const c = contacts[0];
  if (c === undefined || contacts.length !== 1) return false;
  const uri = c.uri;
  if (uri.scheme !== "sip" && uri.scheme !== "sips") return false;
  const u = uri as SipUri;
  const host = u.host.startsWith("[") ? u.host.slice(1, -1) : u.host;
  const t = (u.params.get("transport") ?? "udp").toUpperCase();
  const port = u.port ?? (u.scheme === "sips" ? 5061 : 5060);
  if (host === flow.address && port === flow.port && t === flow.transport) return false;
  const ipHost = flow.address.includes(":") ? `[${flow.address}]` : flow.address;
  const user = u.user === undefined ? "" : `${escapeUser(u.user)}@`;
  const transport = flow.transport === "UDP" ? "" : `;transport=${flow.transport.toLowerCase()}`;
  const display = c.displayName === undefined ? "" : `"${c.displayName.replace(/["\\]/g, "\\$&")}" `;
  let params = "";
  for (const [k, v] of c.params) params += v === null ? `;${k}` : `;${k}=${v}`;
  msg.set("contact", `${display}<${u.scheme}:${user}${ipHost}:${flow.port}${transport}>${params}`);
  return true;
}

function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (ch) =>
    Array.from(Buffer.from(ch, "utf8"), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}
