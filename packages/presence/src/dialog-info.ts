import { xmlEscape } from "./xml.js";

/** The states of RFC 4235 §3.7.1 a switch can know of a call it routed. */
export type DialogState = "early" | "confirmed" | "terminated";

/** One call of an extension as a busy lamp sees it. */
export interface DialogView {
  /** Stable for the life of the call (RFC 4235 §4.1.1: unique within the entity). */
  readonly id: string;
  readonly callId: string;
  /** The extension's own tag and the other party's, once known. */
  readonly localTag: string | undefined;
  readonly remoteTag: string | undefined;
  /** initiator: the extension placed the call; recipient: it is called. */
  readonly direction: "initiator" | "recipient";
  readonly state: DialogState;
  /** Who is at the other end (a SIP URI, or a number for a PSTN party). */
  readonly remote: string;
}

export const DIALOG_INFO_TYPE = "application/dialog-info+xml";

/**
 * A full-state dialog-info document (RFC 4235 §4) for one extension, as bytes. No dialog
 * element means idle. `version` rises by one with every NOTIFY of the subscription.
 */
export function dialogInfoBody(entity: string, version: number, dialogs: readonly DialogView[]): Buffer {
  let xml =
    '<?xml version="1.0" encoding="UTF-8"?>\r\n' +
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">\r\n`;
  for (const d of dialogs) {
    xml += `<dialog id="${xmlEscape(d.id)}" call-id="${xmlEscape(d.callId)}"`;
    if (d.localTag !== undefined) xml += ` local-tag="${xmlEscape(d.localTag)}"`;
    if (d.remoteTag !== undefined) xml += ` remote-tag="${xmlEscape(d.remoteTag)}"`;
    xml += ` direction="${d.direction}">\r\n<state>${d.state}</state>\r\n`;
    xml += `<remote><identity>${xmlEscape(d.remote)}</identity></remote>\r\n</dialog>\r\n`;
  }
  xml += "</dialog-info>\r\n";
  return Buffer.from(xml, "utf8");
}
