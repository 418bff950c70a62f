import { randomBytes } from "node:crypto";
import { newTag, parseMessage, type SipRequest } from "@centrex/sip";

export interface RequestParts {
  readonly method: string;
  readonly uri: string;
  readonly via: string;
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly headers?: readonly (readonly [string, string])[];
}

/** A request we originate (OPTIONS probes, REGISTER), parsed so it is an ordinary message downstream. */
export function buildRequest(p: RequestParts): SipRequest {
  let text =
    `${p.method} ${p.uri} SIP/2.0\r\n` +
    `Via: ${p.via}\r\n` +
    "Max-Forwards: 70\r\n" +
    `From: ${p.from}\r\n` +
    `To: ${p.to}\r\n` +
    `Call-ID: ${p.callId}\r\n` +
    `CSeq: ${p.cseq} ${p.method}\r\n`;
  for (const [name, value] of p.headers ?? []) text += `${name}: ${value}\r\n`;
  text += "User-Agent: centrex\r\nContent-Length: 0\r\n\r\n";
  return parseMessage(Buffer.from(text, "utf8")) as SipRequest;
}

export function newCallId(host: string): string {
  return `${randomBytes(9).toString("base64url")}@${host.replace(/[[\]]/g, "")}`;
}

export { newTag };
