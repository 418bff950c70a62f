import { newBranch, parseMessage, type SipRequest, type TransactionTarget } from "@centrex/sip";

/** What one NOTIFY of a subscription carries (RFC 6665 §4.2.1, §7.2). */
export interface NotifyParts {
  readonly contact: string;
  /** Our Via sent-by (`host:port`) and transport. */
  readonly sentBy: string;
  readonly target: TransactionTarget;
  /** The notifier's side (the SUBSCRIBE's To, with our tag) and the subscriber's (its From). */
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  /** Our Contact: in-dialog requests of the subscriber come back to it. */
  readonly localContact: string;
  readonly event: string;
  readonly subscriptionState: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** The NOTIFY written as bytes (head and body concatenated), then indexed like any message. */
export function notifyRequest(p: NotifyParts): SipRequest {
  const head =
    `NOTIFY ${p.contact} SIP/2.0\r\n` +
    `Via: SIP/2.0/${p.target.transport} ${p.sentBy};branch=${newBranch()};rport\r\n` +
    "Max-Forwards: 70\r\n" +
    `From: ${p.from}\r\n` +
    `To: ${p.to}\r\n` +
    `Call-ID: ${p.callId}\r\n` +
    `CSeq: ${p.cseq} NOTIFY\r\n` +
    `Contact: ${p.localContact}\r\n` +
    `Event: ${p.event}\r\n` +
    `Subscription-State: ${p.subscriptionState}\r\n` +
    `Content-Type: ${p.contentType}\r\n` +
    "User-Agent: centrex\r\n" +
    `Content-Length: ${p.body.length}\r\n\r\n`;
  return parseMessage(Buffer.concat([Buffer.from(head, "utf8"), p.body])) as SipRequest;
}
