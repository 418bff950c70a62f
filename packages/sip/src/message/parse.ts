import { isAscii } from "node:buffer";
import { inTable, isToken, SCHEME } from "../uri/chars.js";
import { METHODS, parseCSeq, parseDecimal } from "./cseq.js";
import { badRequest, inHeader, type PartialMessage, SipParseError } from "./errors.js";
import { H, type HeaderInfo, headerInfo, headerInfoAt } from "./header-names.js";
import { FOLDED, type HeaderTable, type MessageImpl, SipRequestImpl, SipResponseImpl } from "./message.js";
import { parseNameAddr } from "./name-addr.js";
import { latin1, utf8 } from "./slices.js";
import type { SipMessage } from "./types.js";

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;

/**
 * Parse one SIP message from bytes (RFC 3261 §7, §25). Only the start line and header line
 * boundaries are indexed, plus the headers every element needs to accept a message: Via (the
 * top one), From, To, Call-ID, CSeq, Max-Forwards, Content-Length. The rest decodes on first
 * access. The body is framed by Content-Length (octets beyond it are ignored, RFC 4475
 * §3.1.1.8) or, when it is absent, is the rest of the datagram.
 *
 * Throws `SipParseError`; `canRespond` says whether an error response may be sent.
 */
export function parseMessage(data: Buffer): SipMessage {
  try {
    return parse(data);
  } catch (err) {
    if (err instanceof SipParseError && err.canRespond && err.partial === undefined) {
      err.partial = scanPartial(data);
    }
    throw err;
  }
}

function unreadable(reason: string): SipParseError {
  return new SipParseError(`Bad Request - ${reason}`, 400, false);
}

function isSipVersion(data: Buffer, i: number): boolean {
  return (
    ((data[i] as number) | 0x20) === 0x73 &&
    ((data[i + 1] as number) | 0x20) === 0x69 &&
    ((data[i + 2] as number) | 0x20) === 0x70 &&
    data[i + 3] === 0x2f &&
    data[i + 4] === 0x32 &&
    data[i + 5] === 0x2e &&
    data[i + 6] === 0x30
  );
}

function parse(data: Buffer): SipMessage {
  const len = data.length;
  let pos = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored (stream keep-alives).
  while (pos + 1 < len && data[pos] === CR && data[pos + 1] === LF) pos += 2;
  const start = pos;
  const lf = data.indexOf(LF, pos);
  if (lf === -1 || lf === pos || data[lf - 1] !== CR) throw unreadable("Malformed start line");
  const lineEnd = lf - 1;
  const isResponse =
    lineEnd - pos > 8 &&
    ((data[pos] as number) | 0x20) === 0x73 &&
    ((data[pos + 1] as number) | 0x20) === 0x69 &&
    ((data[pos + 2] as number) | 0x20) === 0x70 &&
    data[pos + 3] === 0x2f;
  if (isResponse) {
    try {
      return parseResponse(data, start, lineEnd);
    } catch (err) {
      if (err instanceof SipParseError) err.canRespond = false;
      throw err;
    }
  }
  return parseRequest(data, start, lineEnd);
}

function parseRequest(data: Buffer, start: number, lineEnd: number): SipMessage {
  let i = start;
  while (i < lineEnd && isToken(data[i] as number)) i++;
  if (i === start || data[i] !== SP) throw unreadable("Malformed Request-Line");
  const method = methodAt(data, start, i);
  const uriStart = i + 1;
  const sp2 = data.indexOf(SP, uriStart);
  if (sp2 === -1 || sp2 >= lineEnd || sp2 === uriStart) throw requestLineFault(data, start, lineEnd);
  const vStart = sp2 + 1;
  for (let j = vStart; j < lineEnd; j++) {
    const c = data[j] as number;
    if (c === SP || c === HT) throw requestLineFault(data, start, lineEnd);
  }
  for (let j = uriStart; j < sp2; j++) {
    if (data[j] === HT) throw badRequest("Invalid whitespace in Request-URI");
  }
  if (lineEnd - vStart !== 7 || !isSipVersion(data, vStart))
    throw versionFault(data.toString("latin1", vStart, lineEnd));
  checkRequestUri(data, uriStart, sp2);
  const bodyStart = scanHeaders(data, lineEnd + 2);
  const table = takeTable();
  const version = versionAt(data, vStart);
  const uriText = utf8(data, uriStart, sp2);
  const msg = new SipRequestImpl(
    data,
    start,
    lineEnd + 2,
    table,
    bodyStart,
    data.length,
    method,
    uriText,
    version,
  );
  msg.ascii = headersAscii;
  validate(msg, bodyStart);
  const cseq = msg.cseqCache as { method: string };
  if (cseq.method !== method) throw badRequest("CSeq method does not match Request-Line method");
  return msg;
}

/**
 * @internal The checks `parseRequest` applies, for a request this node wrote itself with its header
 * table (`createRequest`): the same faults throw the same `SipParseError`, without scanning the
 * bytes again. `uriEnd`: where the Request-URI ends in `msg.data` (the start line is ASCII).
 */
export function checkWrittenRequest(msg: SipRequestImpl, uriEnd: number, bodyStart: number): void {
  const data = msg.data;
  const uriStart = msg.method.length + 1;
  for (let i = 0; i < msg.method.length; i++)
    if (!isToken(data[i] as number)) throw badRequest("Malformed Request-Line");
  if (uriEnd === uriStart) throw badRequest("Malformed Request-Line");
  for (let j = uriStart; j < uriEnd; j++) {
    const c = data[j] as number;
    if (c <= SP || c === 127) throw badRequest("Invalid whitespace in Request-URI");
  }
  checkRequestUri(data, uriStart, uriEnd);
  validate(msg, bodyStart);
  const cseq = msg.cseqCache as { method: string };
  if (cseq.method !== msg.method) throw badRequest("CSeq method does not match Request-Line method");
}

/** The method token, as a shared string when it is a standard method (no allocation). */
function methodAt(data: Buffer, start: number, end: number): string {
  const len = end - start;
  for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k] as string;
    if (m.length !== len) continue;
    let j = 0;
    while (j < len && data[start + j] === m.charCodeAt(j)) j++;
    if (j === len) return m;
  }
  return latin1(data, start, end);
}

/** "SIP/2.0" as spelled on the wire (the name is case-insensitive), shared when canonical. */
function versionAt(data: Buffer, start: number): string {
  return data[start] === 0x53 && data[start + 1] === 0x49 && data[start + 2] === 0x50
    ? "SIP/2.0"
    : latin1(data, start, start + 7);
}

/**
 * What the Request-URI must satisfy before anything else reads it (RFC 4475 §3.1.2.7, §3.1.2.11);
 * the full parse happens on first access to `uri`.
 */
function checkRequestUri(data: Buffer, start: number, end: number): void {
  if (data[start] === 0x3c) throw badRequest("Request-URI enclosed in <>");
  let i = start;
  const c0 = (data[i] as number) | 0x20;
  if (c0 < 97 || c0 > 122) throw badRequest("Invalid Request-URI scheme");
  while (i < end && inTable(SCHEME, data[i] as number)) i++;
  if (i === end || data[i] !== 0x3a) throw badRequest("Invalid Request-URI scheme");
  const schemeLen = i - start;
  const sip =
    c0 === 0x73 &&
    ((data[start + 1] as number) | 0x20) === 0x69 &&
    ((data[start + 2] as number) | 0x20) === 0x70 &&
    (schemeLen === 3 || (schemeLen === 4 && ((data[start + 3] as number) | 0x20) === 0x73));
  if (!sip) return;
  // The user part may hold "?" (RFC 4475 §3.1.1.2); a header part can only follow the host.
  const at = data.lastIndexOf(0x40, end - 1);
  const q = data.indexOf(0x3f, at >= start ? at : i);
  if (q !== -1 && q < end) throw badRequest("Request-URI must not contain headers");
}

function requestLineFault(data: Buffer, start: number, lineEnd: number): SipParseError {
  const line = data.toString("latin1", start, lineEnd);
  if (line.endsWith(" ")) return badRequest("Trailing whitespace in Request-Line");
  if (line.includes("  ")) return badRequest("Multiple SP separating Request-Line elements");
  if (line.split(" ").length > 3) return badRequest("Invalid whitespace in Request-URI");
  return badRequest("Malformed Request-Line");
}

function versionFault(version: string): SipParseError {
  const v = version.toUpperCase();
  if (v.startsWith("SIP/") && v.length > 4) {
    let ok = true;
    let dot = 0;
    for (let i = 4; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 46) dot++;
      else if (c < 48 || c > 57) ok = false;
    }
    if (ok && dot === 1) return new SipParseError("Version Not Supported", 505);
  }
  return badRequest("Invalid SIP-Version");
}

function parseResponse(data: Buffer, start: number, lineEnd: number): SipMessage {
  if (!isSipVersion(data, start) || data[start + 7] !== SP)
    throw versionFault(data.toString("latin1", start, start + 8).trim());
  let i = start + 8;
  let status = 0;
  while (i < lineEnd) {
    const c = data[i] as number;
    if (c < 48 || c > 57) break;
    status = status * 10 + c - 48;
    i++;
    if (i - (start + 8) > 3) break;
  }
  if (i - (start + 8) !== 3 || status < 100 || status > 699 || (i < lineEnd && data[i] !== SP)) {
    throw badRequest("Invalid status code");
  }
  // The SP before an empty reason phrase is mandatory, but tolerating its absence is harmless.
  const reason = i < lineEnd ? utf8(data, i + 1, lineEnd) : "";
  const bodyStart = scanHeaders(data, lineEnd + 2);
  const table = takeTable();
  const version = versionAt(data, start);
  const msg = new SipResponseImpl(
    data,
    start,
    lineEnd + 2,
    table,
    bodyStart,
    data.length,
    status,
    reason,
    version,
  );
  msg.ascii = headersAscii;
  validate(msg, bodyStart);
  return msg;
}

/** Set by `scanHeaders`: no header byte was >= 0x80, so values decode as latin1 (faster than UTF-8). */
let headersAscii = true;

// Scan into reused arrays, then copy out exactly-sized ones: growing fresh arrays push by push
// would allocate (and discard) several backing stores per message.
const scratchInfos: HeaderInfo[] = [];
const scratchPos: number[] = [];
const scratchFlags: number[] = [];
let scratchCount = 0;

function takeTable(): HeaderTable {
  const n = scratchCount;
  return {
    infos: scratchInfos.slice(0, n),
    pos: scratchPos.slice(0, n * 4),
    flags: scratchFlags.slice(0, n),
  };
}

/** Index header lines from `pos`; returns the offset of the body (just past the empty line). */
function scanHeaders(data: Buffer, pos: number): number {
  const len = data.length;
  scratchCount = 0;
  const start = pos;
  for (;;) {
    // A datagram that ends right after a complete header line lacks only the empty line:
    // accept it as a message without body rather than reject it for that alone.
    if (pos >= len) {
      headersAscii = isAscii(data.subarray(start, len));
      return len;
    }
    const first = data[pos] as number;
    if (first === CR) {
      if (data[pos + 1] !== LF) throw badRequest("Bare CR in header section");
      headersAscii = isAscii(data.subarray(start, pos));
      return pos + 2;
    }
    if (first === SP || first === HT) throw badRequest("Continuation line without header");
    let i = pos;
    while (i < len && isToken(data[i] as number)) i++;
    const nameEnd = i;
    if (nameEnd === pos) throw badRequest("Invalid header name");
    while (data[i] === SP || data[i] === HT) i++;
    if (data[i] !== 0x3a) throw badRequest("Invalid header name");
    i++;
    let vs = i;
    // Find the end of the logical line: a CRLF not followed by SP/HT.
    let folded = false;
    let eol: number;
    for (;;) {
      i = data.indexOf(LF, i);
      if (i === -1) throw badRequest("Missing empty line after headers");
      if (data[i - 1] !== CR) throw badRequest("Header line not terminated by CRLF");
      const next = data[i + 1];
      if (next === SP || next === HT) {
        folded = true;
        i++;
        continue;
      }
      eol = i - 1;
      break;
    }
    for (;;) {
      const c = data[vs];
      if (c === SP || c === HT) vs++;
      else if (c === CR && vs < eol && data[vs + 1] === LF) vs += 2;
      else break;
    }
    let ve = eol;
    for (;;) {
      const c = data[ve - 1];
      if (ve > vs && (c === SP || c === HT)) ve--;
      else if (ve > vs + 1 && c === LF) ve -= 2;
      else break;
    }
    const info: HeaderInfo = headerInfoAt(data, pos, nameEnd);
    const n = scratchCount++;
    scratchInfos[n] = info;
    scratchFlags[n] = folded && hasCrlf(data, vs, ve) ? FOLDED : 0;
    scratchPos[n * 4] = pos;
    scratchPos[n * 4 + 1] = eol + 2;
    scratchPos[n * 4 + 2] = vs;
    scratchPos[n * 4 + 3] = ve;
    pos = eol + 2;
  }
}

function hasCrlf(data: Buffer, s: number, e: number): boolean {
  const lf = data.indexOf(LF, s);
  return lf !== -1 && lf < e;
}

/** Decode and check what every element needs; duplicates of single-value headers are errors. */
function validate(msg: MessageImpl, bodyStart: number): void {
  let via = -1;
  let from = -1;
  let to = -1;
  let callId = -1;
  let cseq = -1;
  let maxForwards = -1;
  let contentLength = -1;
  const infos = msg.infos;
  for (let k = 0; k < infos.length; k++) {
    switch ((infos[k] as HeaderInfo).id) {
      case H.other:
        break;
      case H.via:
        if (via === -1) via = k;
        break;
      case H.from:
        if (from !== -1) throw badRequest("Multiple From headers");
        from = k;
        break;
      case H.to:
        if (to !== -1) throw badRequest("Multiple To headers");
        to = k;
        break;
      case H.callId:
        if (callId !== -1) throw badRequest("Multiple Call-ID headers");
        callId = k;
        break;
      case H.cseq:
        if (cseq !== -1) throw badRequest("Multiple CSeq headers");
        cseq = k;
        break;
      case H.maxForwards:
        if (maxForwards !== -1) throw badRequest("Multiple Max-Forwards headers");
        maxForwards = k;
        break;
      case H.contentLength:
        if (contentLength !== -1) throw badRequest("Multiple Content-Length headers");
        contentLength = k;
        break;
    }
  }
  if (via === -1 || from === -1 || to === -1 || callId === -1 || cseq === -1) {
    const missing: string[] = [];
    if (via === -1) missing.push("Via");
    if (from === -1) missing.push("From");
    if (to === -1) missing.push("To");
    if (callId === -1) missing.push("Call-ID");
    if (cseq === -1) missing.push("CSeq");
    throw badRequest(`Missing ${missing.join(", ")} header${missing.length > 1 ? "s" : ""}`);
  }
  let current = "CSeq";
  try {
    msg.cseqCache = parseCSeq(msg.fieldValue(cseq));
    current = "Call-ID";
    checkCallIdAt(msg, callId);
    current = "From";
    msg.fromCache = parseNameAddr(msg.fieldValue(from));
    current = "To";
    msg.toCache = parseNameAddr(msg.fieldValue(to));
  } catch (err) {
    throw inHeader(current, err);
  }
  // The Via values decode lazily (`via`, `validate()`); here only an empty one is fatal.
  if (msg.pos[via * 4 + 2] === msg.pos[via * 4 + 3]) throw badRequest("Empty Via header");
  if (maxForwards !== -1) {
    const n = decimalAt(msg, maxForwards, 255);
    if (n < 0) throw badRequest("Invalid Max-Forwards");
    msg.maxForwardsCache = n;
  }
  if (contentLength !== -1) {
    const available = msg.data.length - bodyStart;
    const n = decimalAt(msg, contentLength, 0x7fffffff);
    if (n < 0) throw badRequest("Invalid Content-Length");
    if (n > available) throw badRequest("Content-Length larger than message");
    msg.contentLengthCache = n;
    msg.bodyEnd = bodyStart + n;
  }
}

/** Call-ID = word ["@" word]: one run of visible characters (checked on the bytes). */
function checkCallIdAt(msg: MessageImpl, k: number): void {
  const data = msg.data;
  const start = msg.pos[k * 4 + 2] as number;
  const end = msg.pos[k * 4 + 3] as number;
  if (start === end) throw badRequest("Empty Call-ID");
  for (let i = start; i < end; i++) {
    const c = data[i] as number;
    if (c <= 32 || c === 127) throw badRequest("Invalid Call-ID");
  }
}

/** A header value that must be a bounded decimal, read from the bytes; -1 when it is not. */
function decimalAt(msg: MessageImpl, k: number, max: number): number {
  const data = msg.data;
  const end = msg.pos[k * 4 + 3] as number;
  let i = msg.pos[k * 4 + 2] as number;
  if (((msg.flags[k] as number) & FOLDED) !== 0) return parseDecimal(msg.fieldValue(k), max) ?? -1;
  if (i === end) return -1;
  let n = 0;
  for (; i < end; i++) {
    const c = data[i] as number;
    if (c < 48 || c > 57) return -1;
    n = n * 10 + c - 48;
    if (n > max) return -1;
  }
  return n;
}

/** A tolerant look at a message that failed to parse: the header lines, unfolded. */
export function scanPartial(data: Buffer): PartialMessage {
  let end = data.indexOf("\r\n\r\n");
  if (end === -1) end = data.length;
  const text = data.toString("utf8", 0, end).replace(/^(\r\n)+/, "");
  const lines = text.split(/\r\n(?![ \t])/);
  const first = lines[0] ?? "";
  const sp = first.indexOf(" ");
  const method = sp > 0 ? first.slice(0, sp) : undefined;
  const headers: [string, string][] = [];
  let callId: string | undefined;
  let from: string | undefined;
  let to: string | undefined;
  let cseq: string | undefined;
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k] as string;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line
      .slice(colon + 1)
      .replace(/\r\n/g, "")
      .trim();
    headers.push([name, value]);
    const key = headerInfo(name).key;
    if (key === "call-id") callId ??= value;
    else if (key === "from") from ??= value;
    else if (key === "to") to ??= value;
    else if (key === "cseq") cseq ??= value;
  }
  return { headers, method, callId, from, to, cseq };
}
