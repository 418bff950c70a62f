import { SipParseError } from "./errors.js";
import { SipRequestImpl } from "./message.js";
import { bytesOf, HeadWriter } from "./outgoing.js";
import { checkWrittenRequest, parseMessage } from "./parse.js";
import type { SipRequest } from "./types.js";

/** A request this node originates: start line parts and header lines, in order. */
export interface RequestHead {
  readonly method: string;
  /** The Request-URI as it goes on the wire. */
  readonly uri: string;
  /** Header lines in order; Content-Type (when given) and Content-Length are added last. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body?: Buffer;
  readonly contentType?: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * A request written as bytes together with its header table (DESIGN.md: generated messages are
 * not built as text and parsed again): an ordinary message for everything downstream. The checks
 * the parser applies to a received request still apply (Via, From, To, Call-ID and CSeq present,
 * CSeq method = the method, a well-formed Request-URI, From/To/CSeq decodable), throwing the same
 * `SipParseError`. A head with non-ASCII text or a value breaking its line goes through the
 * parser itself.
 */
export function createRequest(head: RequestHead): SipRequest {
  const body = head.body ?? EMPTY;
  const w = new HeadWriter(`${head.method} ${head.uri} SIP/2.0`);
  for (const [name, value] of head.headers) w.add(name, value);
  if (head.contentType !== undefined) w.add("Content-Type", head.contentType);
  w.add("Content-Length", String(body.length));
  w.end();
  const bytes = bytesOf(w.text, body);
  if (!w.plain(bytes, body)) return asRequest(parseMessage(bytes));
  const msg = new SipRequestImpl(
    bytes,
    0,
    w.startLineEnd,
    w.table(),
    w.text.length,
    bytes.length,
    head.method,
    head.uri,
    "SIP/2.0",
  );
  msg.ascii = true;
  checkWrittenRequest(msg, head.method.length + 1 + head.uri.length, w.text.length);
  return msg;
}

function asRequest(msg: ReturnType<typeof parseMessage>): SipRequest {
  if (msg.kind !== "request") throw new SipParseError("Bad Request - not a request", 400, false);
  return msg;
}
