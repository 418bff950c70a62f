import { randomBytes } from "node:crypto";
import { hashHex } from "../hash/index.js";
import { randomHex } from "../random/index.js";
import type { SipParseError } from "./errors.js";
import { headerKey } from "./header-names.js";
import { SipResponseImpl } from "./message.js";
import { bytesOf, HeadWriter } from "./outgoing.js";
import { parseMessage, scanPartial } from "./parse.js";
import { reasonPhrase } from "./reason-phrases.js";
import type { SipRequest, SipResponse } from "./types.js";

export interface ResponseOptions {
  /** Added to To when the request's To carries no tag. */
  toTag?: string;
  /** Extra headers, in order. */
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

function isClean(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) return false;
  }
  return true;
}

/** A reason phrase may not carry CR/LF or other control characters. */
function cleanPhrase(s: string): string {
  // Every phrase this node writes is clean: returned as it is, not rebuilt a character at a time.
  if (isClean(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 32 || c === 127 ? " " : s[i];
  }
  return out;
}

/** Values copied from a malformed message must not smuggle line breaks into ours. */
function oneLine(v: string): string {
  return v.replace(/[\r\n]/g, " ");
}

function hasTag(to: string): boolean {
  // Header parameters follow the `>` in name-addr form, or the URI in addr-spec form.
  const gt = to.lastIndexOf(">");
  return /;\s*tag\s*=/i.test(gt === -1 ? to : to.slice(gt));
}

/** A random To tag (RFC 3261 §19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomHex(6);
}

// Secret per process: tags stay unguessable (§19.3) while the same request always gets the same one.
const TAG_SALT = randomBytes(16).toString("hex");

/**
 * The To tag of the responses this node generates itself for one request (RFC 3261 §8.2.6.2):
 * derived from the request's top Via, From, Call-ID and CSeq, so every response to the request,
 * and every response to a retransmission of it (even answered statelessly), carries the same
 * tag, while another request gets another one.
 */
export function responseTag(
  topVia: string | undefined,
  from: string | undefined,
  callId: string | undefined,
  cseq: string | undefined,
): string {
  // One string hashed in one native call.
  return hashHex(
    "sha256",
    `${TAG_SALT}\n${topVia ?? ""}\n${from ?? ""}\n${callId ?? ""}\n${cseq ?? ""}`,
  ).slice(0, 12);
}

/**
 * Whether an ACK acknowledges a non-2xx response this node generated itself for the INVITE
 * (RFC 3261 §17.1.1.3: same top Via, From, Call-ID and CSeq number as the INVITE): its To tag is
 * that INVITE's `responseTag`. Lets a response sent without a transaction (§8.2.7, e.g. a 407
 * challenge) have its ACK absorbed like a transaction would, as Kamailio's `sl` does by its tag.
 * A 2xx's ACK has a new branch, so it never matches.
 */
export function isAckOfLocalResponse(ack: SipRequest): boolean {
  const tag = ack.to.params.get("tag");
  if (tag === undefined || tag === null || tag.length !== 12) return false;
  const topVia = ack.getAll("via")[0];
  return tag === responseTag(topVia, ack.get("from"), ack.get("call-id"), `${ack.cseq.seq} INVITE`);
}

/** What a response's head is written from: the request's values copied (§8.2.6), and ours. */
interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  readonly vias: readonly string[];
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly callId: string | undefined;
  readonly cseq: string | undefined;
  /** Added to To when it carries no tag. */
  readonly toTag: string | undefined;
  readonly opts: ResponseOptions | undefined;
  readonly bodyLength: number;
}

function writeHead(h: ResponseHead): HeadWriter {
  const w = new HeadWriter(`SIP/2.0 ${h.status} ${cleanPhrase(h.reason)}`);
  for (const v of h.vias) w.add("Via", v);
  if (h.from !== undefined) w.add("From", h.from);
  const to = h.to;
  if (to !== undefined) w.add("To", h.toTag !== undefined && !hasTag(to) ? `${to};tag=${h.toTag}` : to);
  if (h.callId !== undefined) w.add("Call-ID", h.callId);
  if (h.cseq !== undefined) w.add("CSeq", h.cseq);
  const opts = h.opts;
  if (opts?.headers) for (const [n, v] of opts.headers) w.add(n, v);
  if (opts?.contentType !== undefined) w.add("Content-Type", opts.contentType);
  w.add("Content-Length", String(h.bodyLength));
  w.end();
  return w;
}

const EMPTY = Buffer.alloc(0);

/**
 * Build a response to `req` per RFC 3261 §8.2.6: all Via values in order, From, To, Call-ID and
 * CSeq copied. When To has no tag, every response but a 100 gets one (§8.2.6.2): `toTag` if
 * given, else this request's `responseTag`, so retransmissions carry the same tag.
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  opts?: ResponseOptions,
): SipResponse {
  const vias = req.getAll("via");
  const from = req.get("from");
  const callId = req.get("call-id");
  const cseq = req.get("cseq");
  const toTag = opts?.toTag ?? (status > 100 ? responseTag(vias[0], from, callId, cseq) : undefined);
  const body = opts?.body ?? EMPTY;
  const w = writeHead({
    status,
    reason: reason ?? reasonPhrase(status),
    vias,
    from,
    to: req.get("to"),
    callId,
    cseq,
    toTag,
    opts,
    bodyLength: body.length,
  });
  const bytes = bytesOf(w.text, body);
  // Anything unusual (non-ASCII text, a line break in a given value): the parser's checks and
  // offsets, as before. Otherwise the message is made from what was just written.
  if (!w.plain(bytes, body)) return parseMessage(bytes) as SipResponse;
  const res = new SipResponseImpl(
    bytes,
    0,
    w.startLineEnd,
    w.table(),
    w.text.length,
    bytes.length,
    status,
    w.text.slice(12, w.startLineEnd - 2),
    "SIP/2.0",
  );
  res.ascii = true;
  res.contentLengthCache = body.length;
  return res;
}

/**
 * The error response (400, 505...) to a request that failed to parse, as bytes: built from the
 * header lines that could still be read. `undefined` when none may be sent: the bytes were a
 * response, the start line was unreadable, the request was an ACK, or it had no Via.
 */
export function createErrorResponse(data: Buffer, err: SipParseError): Buffer | undefined {
  if (!err.canRespond) return undefined;
  const partial = err.partial ?? scanPartial(data);
  // Never answer a response (whatever the error says) or an ACK (RFC 3261 §17.2.1).
  if (
    partial.method === undefined ||
    partial.method === "ACK" ||
    partial.method.toUpperCase().startsWith("SIP/")
  ) {
    return undefined;
  }
  const vias: string[] = [];
  for (const [name, value] of partial.headers)
    if (headerKey(name) === "via" && value.length > 0) vias.push(value);
  if (vias.length === 0) return undefined;
  const from = partial.from === undefined ? undefined : oneLine(partial.from);
  const callId = partial.callId === undefined ? undefined : oneLine(partial.callId);
  const cseq = partial.cseq === undefined ? undefined : oneLine(partial.cseq);
  const topVia = oneLine(vias[0] ?? "");
  const w = writeHead({
    status: err.status,
    reason: err.reason,
    vias: vias.map(oneLine),
    from,
    to: partial.to === undefined ? undefined : oneLine(partial.to),
    callId,
    cseq,
    toTag: responseTag(topVia, from, callId, cseq),
    opts: undefined,
    bodyLength: 0,
  });
  return Buffer.from(w.text, "utf8");
}
