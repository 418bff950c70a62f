import { loadNumberingPlan } from "@centrex/dialplan";
import {
  createResponse,
  parseMessage,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  SipStack,
  type TransactionUser,
} from "@centrex/sip";
import type { OutboundCall, OutboundCallOwner } from "../../src/index.js";

export const plan = loadNumberingPlan();

/** A stack on 127.0.0.1 that answers in-dialog requests (BYE) with 200 and ignores the rest. */
export async function startStack(): Promise<SipStack> {
  const user: TransactionUser = {
    onRequest(req: SipRequest, tx: ServerTransactionLike | undefined) {
      if (tx !== undefined) tx.respond(createResponse(req, 200, "OK"));
    },
    onStrayResponse() {},
  };
  const stack = new SipStack(user, {
    listen: [{ transport: "UDP", address: "127.0.0.1", port: 0 }],
    timers: { t1: 100, t2: 400, t4: 500, timerD: 500 },
  });
  await stack.start();
  return stack;
}

/** The caller's INVITE as the proxy would hand it over (authenticated, our Via not yet added). */
export function callerInvite(opts: { cseq?: number; privacy?: boolean; callId?: string } = {}): SipRequest {
  const text =
    "INVITE sip:0142000000@acme.pbx.test SIP/2.0\r\n" +
    "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-phone-1;rport\r\n" +
    "Max-Forwards: 70\r\n" +
    'From: "Alice" <sip:201@acme.pbx.test>;tag=caller-tag-1\r\n' +
    "To: <sip:0142000000@acme.pbx.test>\r\n" +
    `Call-ID: ${opts.callId ?? `call-${Math.random().toString(36).slice(2)}`}@127.0.0.1\r\n` +
    `CSeq: ${opts.cseq ?? 1} INVITE\r\n` +
    "Contact: <sip:201@127.0.0.1:5999>\r\n" +
    'Proxy-Authorization: Digest username="201", realm="acme.pbx.test", nonce="x", uri="sip:0142000000@acme.pbx.test", response="00"\r\n' +
    "P-Preferred-Identity: <sip:+33199999999@acme.pbx.test>\r\n" +
    (opts.privacy === true ? "Privacy: id\r\n" : "") +
    "Content-Length: 0\r\n\r\n";
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** Records what an OutboundCall reports; `outcome` resolves at the first answer or failure. */
export class RecordingOwner implements OutboundCallOwner {
  readonly provisionals: SipResponse[] = [];
  readonly answers: SipResponse[] = [];
  failed: { status: number; res: SipResponse | undefined } | undefined;
  readonly outcome: Promise<"answered" | "failed">;
  #resolve!: (v: "answered" | "failed") => void;

  constructor(private readonly stack: SipStack) {
    this.outcome = new Promise((r) => {
      this.#resolve = r;
    });
  }

  onCarrierProvisional(_call: OutboundCall, res: SipResponse): void {
    this.provisionals.push(res);
  }

  onCarrierAnswered(call: OutboundCall, res: SipResponse): void {
    this.answers.push(res);
    if (this.answers.length === 1) {
      this.#ack(call, res);
      this.#resolve("answered");
    }
  }

  onCarrierFailed(_call: OutboundCall, status: number, res: SipResponse | undefined): void {
    this.failed = { status, res };
    this.#resolve("failed");
  }

  /** What the caller's ACK becomes once the proxy forwards it: CSeq shifted by the call's offset. */
  #ack(call: OutboundCall, res: SipResponse): void {
    const target = call.target;
    const contact = res.contact[0]?.uri.raw;
    if (target === undefined || contact === undefined) return;
    const sentBy = this.stack.sentBy("UDP");
    const text =
      `ACK ${contact} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${sentBy?.host}:${sentBy?.port};branch=z9hG4bK-ack-${Math.random().toString(36).slice(2)}\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: ${res.get("from")}\r\nTo: ${res.get("to")}\r\nCall-ID: ${res.callId}\r\n` +
      `CSeq: ${res.cseq.seq + call.cseqOffset} ACK\r\nContent-Length: 0\r\n\r\n`;
    this.stack.sendStateless(parseMessage(Buffer.from(text)), target);
  }
}
