/** Shared by the transaction tests: SIP text builders and recorders (the transport records what it would send). */
import { createResponse, parseMessage } from "../src/message/index.js";
import type { SipMessage, SipRequest, SipResponse } from "../src/message/types.js";
import { FakeClock } from "../src/timer/index.js";
import {
  type ClientTransactionDelegate,
  type ClientTransactionLike,
  type SendTarget,
  type ServerTransactionLike,
  TransactionLayer,
  type TransactionTimers,
  type TransactionTransport,
  type TransactionUser,
} from "../src/transaction/index.js";

export interface Sent {
  msg: SipMessage;
  target: SendTarget;
  at: number;
}

export class RecordingTransport implements TransactionTransport {
  readonly sent: Sent[] = [];
  fail = false;
  constructor(private readonly clock: FakeClock) {}
  send(msg: SipMessage, target: SendTarget): void {
    if (this.fail) throw new Error("ECONNREFUSED");
    // What goes on the wire, re-read: the same bytes a peer would parse.
    this.sent.push({ msg: parseMessage(msg.toBuffer()), target, at: this.clock.now() });
  }
  isReliable(transport: string): boolean {
    return transport !== "UDP";
  }
  /** Times at which a message matching `pred` was sent. */
  times(pred: (m: SipMessage) => boolean): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }
  requests(method: string): SipRequest[] {
    return this.sent.flatMap((s) => (s.msg.kind === "request" && s.msg.method === method ? [s.msg] : []));
  }
  responses(status?: number): SipResponse[] {
    return this.sent.flatMap((s) =>
      s.msg.kind === "response" && (status === undefined || s.msg.status === status) ? [s.msg] : [],
    );
  }
}

export class RecordingUser implements TransactionUser {
  readonly requests: { req: SipRequest; tx: ServerTransactionLike | undefined; source: SendTarget }[] = [];
  readonly strays: SipResponse[] = [];
  /** What the TU does with each new request (e.g. answer at once). */
  onNew: ((req: SipRequest, tx: ServerTransactionLike | undefined) => void) | undefined;
  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: SendTarget): void {
    this.requests.push({ req, tx, source });
    this.onNew?.(req, tx);
  }
  onStrayResponse(res: SipResponse): void {
    this.strays.push(res);
  }
}

export class RecordingDelegate implements ClientTransactionDelegate {
  readonly responses: number[] = [];
  readonly events: string[] = [];
  constructor(private readonly clock: FakeClock) {}
  onResponse(res: SipResponse, _tx: ClientTransactionLike): void {
    this.responses.push(res.status);
    this.events.push(`${res.status}@${this.clock.now()}`);
  }
  onTimeout(_tx: ClientTransactionLike): void {
    this.events.push(`timeout@${this.clock.now()}`);
  }
  onTransportError(_tx: ClientTransactionLike, _err: unknown): void {
    this.events.push(`transport-error@${this.clock.now()}`);
  }
  onTerminated(_tx: ClientTransactionLike): void {
    this.events.push(`terminated@${this.clock.now()}`);
  }
}

export const UDP: SendTarget = { transport: "UDP", address: "127.0.0.1", port: 5080 };
export const TCP: SendTarget = { transport: "TCP", address: "127.0.0.1", port: 5080, connectionId: 7 };

export interface RequestSpec {
  method?: string;
  /** Omit for an RFC 2543 peer (no branch parameter). */
  branch?: string | undefined;
  transport?: string;
  sentBy?: string;
  uri?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  routes?: string[];
  /** Extra header lines, e.g. "Timestamp: 54". */
  extra?: string[];
}

export function requestText(s: RequestSpec = {}): string {
  const method = s.method ?? "INVITE";
  const branch = "branch" in s ? s.branch : "z9hG4bKtest1";
  return (
    `${method} ${s.uri ?? "sip:bob@127.0.0.1:5080"} SIP/2.0\r\n` +
    `Via: SIP/2.0/${s.transport ?? "UDP"} ${s.sentBy ?? "127.0.0.1:5070"}${branch === undefined ? "" : `;branch=${branch}`}\r\n` +
    "Max-Forwards: 70\r\n" +
    `From: "Alice" <sip:alice@127.0.0.1>;tag=${s.fromTag ?? "a1"}\r\n` +
    `To: <sip:bob@127.0.0.1>${s.toTag === undefined ? "" : `;tag=${s.toTag}`}\r\n` +
    `Call-ID: ${s.callId ?? "call-1@127.0.0.1"}\r\n` +
    `CSeq: ${s.cseq ?? 1} ${s.cseqMethod ?? method}\r\n` +
    (s.routes ?? []).map((r) => `Route: ${r}\r\n`).join("") +
    (s.extra ?? []).map((h) => `${h}\r\n`).join("") +
    "Contact: <sip:alice@127.0.0.1:5070>\r\n" +
    "Content-Length: 0\r\n\r\n"
  );
}

export function request(s: RequestSpec = {}): SipRequest {
  const m = parseMessage(Buffer.from(requestText(s)));
  if (m.kind !== "request") throw new Error("not a request");
  return m;
}

/** A response as a peer would send it, re-parsed from its bytes. */
export function responseTo(req: SipRequest, status: number, toTag?: string): SipResponse {
  const res = createResponse(req, status, undefined, toTag === undefined ? undefined : { toTag });
  return parseMessage(res.toBuffer()) as SipResponse;
}

/** A layer on a fake clock with a recording transport and TU. */
export function setup(timers: Partial<TransactionTimers> = {}) {
  const clock = new FakeClock();
  const transport = new RecordingTransport(clock);
  const user = new RecordingUser();
  const layer = new TransactionLayer(transport, user, { clock, timers });
  const delegate = new RecordingDelegate(clock);
  return { clock, transport, user, layer, delegate };
}
