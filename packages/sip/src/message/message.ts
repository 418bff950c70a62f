import { parseUri } from "../uri/parse-uri.js";
import { parseCSeq, parseDecimal } from "./cseq.js";
import { badRequest, inHeader } from "./errors.js";
import { H, type HeaderInfo, headerInfo } from "./header-names.js";
import { splitList } from "./lex.js";
import { parseNameAddr } from "./name-addr.js";
import { latin1, utf8 } from "./slices.js";
import type { CSeq, NameAddr, SipRequest, SipResponse, Uri, Via } from "./types.js";
import { parseVia } from "./via.js";

const EMPTY = Buffer.alloc(0);

/**
 * Shared machinery of parsed requests and responses: header lines indexed by offset into the
 * received bytes, values decoded on first read and cached, edits tracked per line so that
 * serialization copies untouched lines verbatim.
 */
/** Flags of a header line. */
export const FOLDED = 1;
export const EDITED = 2;
export const REMOVED = 4;

/**
 * Header lines in wire order, as parallel arrays rather than one object per line: a message
 * has fifteen-odd headers, and this keeps parsing to a handful of allocations.
 */
export interface HeaderTable {
  infos: HeaderInfo[];
  /** Four numbers per line: line start, line end (past its CRLF), value start, value end; -1 for added lines. */
  pos: number[];
  flags: number[];
}

export abstract class MessageImpl {
  /** The received bytes (never modified). */
  readonly data: Buffer;
  /** Offset of the start line (leading CRLFs skipped) and just past its CRLF. */
  protected readonly startOffset: number;
  protected readonly startLineEnd: number;
  /** @internal header lines */
  readonly infos: HeaderInfo[];
  /** @internal */ readonly pos: number[];
  /** @internal */ readonly flags: number[];
  /** Decoded (or edited) values and split list values, by line; filled on first read. */
  private texts: (string | undefined)[];
  private lists: (string[] | undefined)[];
  /** @internal */ bodyStart: number;
  /** @internal */ bodyEnd: number;
  /** @internal all header bytes are ASCII: values can be sliced as latin1. */
  ascii: boolean;
  protected editedBody: Buffer | undefined;
  protected dirty: boolean;
  /** The last serialization of an edited message, until the next edit: sending, then keeping, costs one. */
  protected wire: Buffer | undefined;

  // Caches of decoded headers; `undefined` means "not decoded yet".
  /** @internal */ topVia: Via | undefined;
  private viaCache: Via[] | undefined;
  /** @internal */ fromCache: NameAddr | undefined;
  /** @internal */ toCache: NameAddr | undefined;
  /** @internal */ callIdCache: string | undefined;
  /** @internal */ cseqCache: CSeq | undefined;
  /** @internal */ maxForwardsCache: number | undefined;
  /** @internal */ contentLengthCache: number | undefined;
  private contactCache: NameAddr[] | undefined;
  private contactStarCache = false;
  private routeCache: NameAddr[] | undefined;
  private recordRouteCache: NameAddr[] | undefined;

  constructor(
    data: Buffer,
    startOffset: number,
    startLineEnd: number,
    table: HeaderTable,
    bodyStart: number,
    bodyEnd: number,
  ) {
    this.data = data;
    this.startOffset = startOffset;
    this.startLineEnd = startLineEnd;
    this.infos = table.infos;
    this.pos = table.pos;
    this.flags = table.flags;
    this.texts = [];
    this.lists = [];
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.editedBody = undefined;
    this.ascii = false;
    this.dirty = false;
    this.wire = undefined;
    this.topVia = undefined;
    this.viaCache = undefined;
    this.fromCache = undefined;
    this.toCache = undefined;
    this.callIdCache = undefined;
    this.cseqCache = undefined;
    this.maxForwardsCache = undefined;
    this.contentLengthCache = undefined;
    this.contactCache = undefined;
    this.routeCache = undefined;
    this.recordRouteCache = undefined;
  }

  /** @internal the value of header line `k`, unfolded, as text. */
  fieldValue(k: number): string {
    let v = this.texts[k];
    if (v === undefined) {
      const p = k * 4;
      const vs = this.pos[p + 2] as number;
      const ve = this.pos[p + 3] as number;
      v = this.ascii ? latin1(this.data, vs, ve) : utf8(this.data, vs, ve);
      if (((this.flags[k] as number) & FOLDED) !== 0) v = v.replace(/\r\n/g, "");
      this.texts[k] = v;
    }
    return v;
  }

  /** @internal the comma-separated values of list header line `k`. */
  fieldValues(k: number, strict: boolean): string[] {
    let vs = this.lists[k];
    if (vs === undefined) {
      vs = splitList(this.fieldValue(k), strict);
      this.lists[k] = vs;
    }
    return vs;
  }

  /** @internal index of the first live line with this key, or -1. */
  firstField(key: string): number {
    const infos = this.infos;
    for (let k = 0; k < infos.length; k++) {
      if ((infos[k] as HeaderInfo).key === key && ((this.flags[k] as number) & REMOVED) === 0) return k;
    }
    return -1;
  }

  private live(k: number, key: string): boolean {
    return (this.infos[k] as HeaderInfo).key === key && ((this.flags[k] as number) & REMOVED) === 0;
  }

  getAll(name: string): string[] {
    const info = headerInfo(name);
    const out: string[] = [];
    for (let k = 0; k < this.infos.length; k++) {
      if (!this.live(k, info.key)) continue;
      if (info.list) for (const v of this.fieldValues(k, false)) out.push(v);
      else out.push(this.fieldValue(k));
    }
    return out;
  }

  get(name: string): string | undefined {
    const info = headerInfo(name);
    for (let k = 0; k < this.infos.length; k++) {
      if (!this.live(k, info.key)) continue;
      if (!info.list) return this.fieldValue(k);
      const vs = this.fieldValues(k, false);
      if (vs.length > 0) return vs[0];
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.firstField(headerInfo(name).key) !== -1;
  }

  get via(): readonly Via[] {
    let v = this.viaCache;
    if (v === undefined) {
      v = [];
      for (let k = 0; k < this.infos.length; k++) {
        if (!this.live(k, "via")) continue;
        try {
          for (const text of this.fieldValues(k, true)) {
            v.push(v.length === 0 && this.topVia !== undefined ? this.topVia : parseVia(text));
          }
        } catch (err) {
          throw inHeader("Via", err);
        }
      }
      this.viaCache = v;
    }
    return v;
  }

  get from(): NameAddr {
    if (this.fromCache === undefined) this.fromCache = this.requiredNameAddr("from", "From");
    return this.fromCache;
  }

  get to(): NameAddr {
    if (this.toCache === undefined) this.toCache = this.requiredNameAddr("to", "To");
    return this.toCache;
  }

  get callId(): string {
    if (this.callIdCache === undefined) {
      const k = this.firstField("call-id");
      if (k === -1) throw badRequest("Missing Call-ID header");
      // A received Call-ID was checked on the bytes at parse time; an edited one is checked here.
      const v = this.fieldValue(k);
      this.callIdCache = ((this.flags[k] as number) & (EDITED | FOLDED)) === 0 ? v : checkCallId(v);
    }
    return this.callIdCache;
  }

  get cseq(): CSeq {
    if (this.cseqCache === undefined) {
      const k = this.firstField("cseq");
      if (k === -1) throw badRequest("Missing CSeq header");
      try {
        this.cseqCache = parseCSeq(this.fieldValue(k));
      } catch (err) {
        throw inHeader("CSeq", err);
      }
    }
    return this.cseqCache;
  }

  get contact(): readonly NameAddr[] {
    if (this.contactCache === undefined) {
      const out: NameAddr[] = [];
      let star = false;
      for (let k = 0; k < this.infos.length; k++) {
        if (!this.live(k, "contact")) continue;
        try {
          for (const text of this.fieldValues(k, true)) {
            if (text === "*") star = true;
            else out.push(parseNameAddr(text));
          }
        } catch (err) {
          throw inHeader("Contact", err);
        }
      }
      if (star && out.length > 0) throw badRequest("Contact * mixed with addresses");
      this.contactStarCache = star;
      this.contactCache = out;
    }
    return this.contactCache;
  }

  get contactStar(): boolean {
    this.contact;
    return this.contactStarCache;
  }

  get maxForwards(): number | undefined {
    const k = this.firstField("max-forwards");
    if (k === -1) return undefined;
    if (this.maxForwardsCache === undefined) {
      const n = parseDecimal(this.fieldValue(k), 255);
      if (n === undefined) throw badRequest("Invalid Max-Forwards");
      this.maxForwardsCache = n;
    }
    return this.maxForwardsCache;
  }

  get contentLength(): number | undefined {
    if (this.editedBody !== undefined) return this.editedBody.length;
    return this.contentLengthCache;
  }

  get contentType(): string | undefined {
    return this.get("content-type");
  }

  get expires(): number | undefined {
    const v = this.get("expires");
    if (v === undefined) return undefined;
    // RFC 3261 §20.19: values beyond 2^32-1 are clamped rather than fatal (RFC 4475 §3.1.2.4).
    const t = v.trim();
    if (t.length === 0) throw badRequest("Invalid Expires");
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 48 || c > 57) throw badRequest("Invalid Expires");
    }
    return Math.min(Number(t), 0xffffffff);
  }

  get route(): readonly NameAddr[] {
    if (this.routeCache === undefined) this.routeCache = this.nameAddrList("route");
    return this.routeCache;
  }

  get recordRoute(): readonly NameAddr[] {
    if (this.recordRouteCache === undefined) this.recordRouteCache = this.nameAddrList("record-route");
    return this.recordRouteCache;
  }

  get body(): Buffer {
    if (this.editedBody !== undefined) return this.editedBody;
    if (this.bodyEnd === this.bodyStart) return EMPTY;
    return this.data.subarray(this.bodyStart, this.bodyEnd);
  }

  /** Decode every typed header, throwing the first `SipParseError` (the lazy ones included). */
  validate(): void {
    this.via;
    try {
      this.from.uri;
    } catch (err) {
      throw inHeader("From", err);
    }
    try {
      this.to.uri;
    } catch (err) {
      throw inHeader("To", err);
    }
    this.callId;
    this.cseq;
    this.maxForwards;
    this.expires;
    const lists = [
      [this.contact, "Contact"],
      [this.route, "Route"],
      [this.recordRoute, "Record-Route"],
    ] as const;
    for (const [list, name] of lists) {
      try {
        for (const a of list) a.uri;
      } catch (err) {
        throw inHeader(name, err);
      }
    }
  }

  private requiredNameAddr(key: string, display: string): NameAddr {
    const k = this.firstField(key);
    if (k === -1) throw badRequest(`Missing ${display} header`);
    try {
      return parseNameAddr(this.fieldValue(k));
    } catch (err) {
      throw inHeader(display, err);
    }
  }

  private nameAddrList(key: string): NameAddr[] {
    const out: NameAddr[] = [];
    for (let k = 0; k < this.infos.length; k++) {
      if (!this.live(k, key)) continue;
      try {
        for (const text of this.fieldValues(k, true)) out.push(parseNameAddr(text));
      } catch (err) {
        throw inHeader((this.infos[k] as HeaderInfo).display, err);
      }
    }
    return out;
  }

  /**
   * @internal Give `c` (built on the same bytes) this message's header lines, edits and body.
   * Decoded objects (Via, NameAddr: their `params` are mutable Maps) are not shared: the copy
   * decodes its own on first read. Only immutable values (strings, CSeq, numbers) carry over.
   */
  protected copyStateTo(c: MessageImpl): void {
    c.texts = this.texts.slice();
    c.lists = this.lists.slice();
    c.ascii = this.ascii;
    c.editedBody = this.editedBody;
    c.dirty = this.dirty;
    c.callIdCache = this.callIdCache;
    c.cseqCache = this.cseqCache;
    c.maxForwardsCache = this.maxForwardsCache;
    c.contentLengthCache = this.contentLengthCache;
  }

  /** @internal the header table, copied so that edits to the copy stay there. */
  protected copyTable(): HeaderTable {
    return { infos: this.infos.slice(), pos: this.pos.slice(), flags: this.flags.slice() };
  }

  // ---- editing ----

  private touched(key: string): void {
    this.dirty = true;
    this.wire = undefined;
    switch (key) {
      case "via":
        this.viaCache = undefined;
        this.topVia = undefined;
        break;
      case "from":
        this.fromCache = undefined;
        break;
      case "to":
        this.toCache = undefined;
        break;
      case "call-id":
        this.callIdCache = undefined;
        break;
      case "cseq":
        this.cseqCache = undefined;
        break;
      case "max-forwards":
        this.maxForwardsCache = undefined;
        break;
      case "contact":
        this.contactCache = undefined;
        break;
      case "route":
        this.routeCache = undefined;
        break;
      case "record-route":
        this.recordRouteCache = undefined;
        break;
    }
  }

  /** Rewrite line `k` with a new value. */
  private rewrite(k: number, value: string, values: string[] | undefined): void {
    this.texts[k] = value;
    this.lists[k] = values;
    this.flags[k] = ((this.flags[k] as number) | EDITED) & ~FOLDED;
  }

  /** Insert an added line at index `at`, keeping every parallel array aligned. */
  private insert(at: number, info: HeaderInfo, value: string): void {
    const n = this.infos.length;
    while (this.texts.length < n) this.texts.push(undefined);
    while (this.lists.length < n) this.lists.push(undefined);
    this.infos.splice(at, 0, info);
    this.pos.splice(at * 4, 0, -1, -1, -1, -1);
    this.flags.splice(at, 0, EDITED);
    this.texts.splice(at, 0, value);
    this.lists.splice(at, 0, undefined);
  }

  set(name: string, value: string): void {
    const info = headerInfo(name);
    checkValue(value);
    let done = false;
    for (let k = 0; k < this.infos.length; k++) {
      if (!this.live(k, info.key)) continue;
      if (done) this.flags[k] = (this.flags[k] as number) | REMOVED;
      else {
        this.rewrite(k, value, undefined);
        done = true;
      }
    }
    if (!done) this.insert(this.infos.length, info, value);
    this.touched(info.key);
  }

  append(name: string, value: string): void {
    const info = headerInfo(name);
    checkValue(value);
    this.insert(this.infos.length, info, value);
    this.touched(info.key);
  }

  prepend(name: string, value: string): void {
    const info = headerInfo(name);
    checkValue(value);
    const at = this.firstField(info.key);
    this.insert(at === -1 ? 0 : at, info, value);
    this.touched(info.key);
  }

  remove(name: string): void {
    const key = headerInfo(name).key;
    for (let k = 0; k < this.infos.length; k++) {
      if ((this.infos[k] as HeaderInfo).key === key) this.flags[k] = (this.flags[k] as number) | REMOVED;
    }
    this.touched(key);
  }

  removeFirst(name: string): void {
    const info = headerInfo(name);
    const k = this.firstField(info.key);
    if (k === -1) return;
    const vs = info.list ? this.fieldValues(k, false) : [];
    if (vs.length <= 1) this.flags[k] = (this.flags[k] as number) | REMOVED;
    else {
      const rest = vs.slice(1);
      this.rewrite(k, rest.join(", "), rest);
    }
    this.touched(info.key);
  }

  /**
   * @internal The top Via rewritten to `value`, whose decoded form the caller already has (`via`:
   * the transport's `received`/`rport` stamp on the Via it just decoded), so the next read of
   * `via` does not parse it again. A line holding only that Via is rewritten where it is.
   */
  replaceTopVia(value: string, via: Via): void {
    // No CR/LF check: `value` is a received (unfolded) Via value with the stamp's numbers and the
    // packet's source address appended.
    const k = this.firstField("via");
    if (k === -1) return;
    const before = this.viaCache;
    if (this.fieldValues(k, false).length === 1) {
      this.rewrite(k, value, undefined);
      this.touched("via");
    } else {
      this.removeFirst("via");
      this.prepend("via", value);
    }
    if (before !== undefined && before.length > 0) {
      const vias = before.slice();
      vias[0] = via;
      this.viaCache = vias;
    }
    this.topVia = via;
  }

  setBody(body: Buffer, contentType?: string): void {
    this.editedBody = body;
    this.dirty = true;
    this.wire = undefined;
    if (contentType !== undefined) this.set("Content-Type", contentType);
  }

  /** A rewritten start line (CRLF included), or undefined to copy the received one. */
  protected abstract newStartLine(): string | undefined;

  /** What serialization does with line `k`: 0 skip, 1 copy the received bytes, 2 write a fresh Content-Length, 3 write the edited value. */
  private lineAction(k: number, bodyLength: number, lengthSeen: boolean): number {
    const flags = this.flags[k] as number;
    if ((flags & REMOVED) !== 0) return 0;
    if ((this.infos[k] as HeaderInfo).id === H.contentLength) {
      if (lengthSeen) return 0;
      return (flags & EDITED) === 0 && this.contentLengthCache === bodyLength ? 1 : 2;
    }
    return (flags & EDITED) === 0 ? 1 : 3;
  }

  toBuffer(): Buffer {
    if (this.wire !== undefined) return this.wire;
    const body = this.body;
    const startLine = this.newStartLine();
    if (!this.dirty && this.contentLengthCache === body.length && startLine === undefined) {
      return this.data.subarray(this.startOffset, this.bodyEnd);
    }
    const n = this.infos.length;
    const lengthLine = `Content-Length: ${body.length}\r\n`;
    // Pass 1: the size; pass 2: copy. One allocation, no intermediate Buffers.
    let total = startLine === undefined ? this.startLineEnd - this.startOffset : Buffer.byteLength(startLine);
    let lengthSeen = false;
    for (let k = 0; k < n; k++) {
      const action = this.lineAction(k, body.length, lengthSeen);
      if (action === 1) total += (this.pos[k * 4 + 1] as number) - (this.pos[k * 4] as number);
      else if (action === 2) total += lengthLine.length;
      else if (action === 3) total += Buffer.byteLength(this.editedLine(k));
      if ((this.infos[k] as HeaderInfo).id === H.contentLength && action !== 0) lengthSeen = true;
    }
    if (!lengthSeen) total += lengthLine.length;
    total += 2 + body.length;
    const out = Buffer.allocUnsafe(total);
    let o =
      startLine === undefined
        ? this.data.copy(out, 0, this.startOffset, this.startLineEnd)
        : out.write(startLine, 0, "utf8");
    lengthSeen = false;
    // Untouched lines that follow each other in the received bytes go out in one copy.
    let runStart = -1;
    let runEnd = -1;
    for (let k = 0; k < n; k++) {
      const action = this.lineAction(k, body.length, lengthSeen);
      if (action === 1) {
        const ls = this.pos[k * 4] as number;
        if (ls !== runEnd) {
          if (runStart !== -1) o += this.data.copy(out, o, runStart, runEnd);
          runStart = ls;
        }
        runEnd = this.pos[k * 4 + 1] as number;
      } else if (action !== 0) {
        if (runStart !== -1) o += this.data.copy(out, o, runStart, runEnd);
        runStart = runEnd = -1;
        o += out.write(action === 2 ? lengthLine : this.editedLine(k), o, "utf8");
      }
      if ((this.infos[k] as HeaderInfo).id === H.contentLength && action !== 0) lengthSeen = true;
    }
    if (runStart !== -1) o += this.data.copy(out, o, runStart, runEnd);
    if (!lengthSeen) o += out.write(lengthLine, o, "latin1");
    out[o++] = 13;
    out[o++] = 10;
    body.copy(out, o);
    this.wire = out;
    return out;
  }

  private editedLine(k: number): string {
    return `${(this.infos[k] as HeaderInfo).display}: ${this.texts[k] ?? ""}\r\n`;
  }
}

function checkValue(value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13 || c === 10) throw new TypeError("header value must not contain CR or LF");
  }
}

/** @internal Call-ID = word ["@" word]: one run of visible characters. */
export function checkCallId(v: string): string {
  const t = v.trim();
  if (t.length === 0) throw badRequest("Empty Call-ID");
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c <= 32 || c === 127) throw badRequest("Invalid Call-ID");
  }
  return t;
}

export class SipRequestImpl extends MessageImpl implements SipRequest {
  readonly kind = "request" as const;
  readonly method: string;
  readonly version: string;
  private currentUri: Uri | undefined;
  private readonly uriText: string;
  private uriEdited = false;
  /**
   * Where the receiving stack got this request from (`SipStack.sourceOf`), kept on the request
   * itself: a WeakMap entry per request cost a set, an ephemeron write barrier and ephemeron
   * work in every scavenge (profiled). Not copied by `clone()`: a copy was not received.
   */
  receivedFrom: unknown = undefined;

  constructor(
    data: Buffer,
    startOffset: number,
    startLineEnd: number,
    table: HeaderTable,
    bodyStart: number,
    bodyEnd: number,
    method: string,
    uriText: string,
    version: string,
  ) {
    super(data, startOffset, startLineEnd, table, bodyStart, bodyEnd);
    this.method = method;
    this.uriText = uriText;
    this.currentUri = undefined;
    this.version = version;
  }

  /** Parsed on first read; a malformed Request-URI throws `SipParseError` (400) here. */
  get uri(): Uri {
    if (this.currentUri === undefined) {
      try {
        this.currentUri = parseUri(this.uriText);
      } catch (err) {
        throw inHeader("Request-URI", err);
      }
    }
    return this.currentUri;
  }

  override validate(): void {
    this.uri;
    super.validate();
  }

  set uri(uri: Uri) {
    this.currentUri = uri;
    this.uriEdited = true;
    this.wire = undefined;
  }

  protected newStartLine(): string | undefined {
    return this.uriEdited ? `${this.method} ${this.uri.raw} ${this.version}\r\n` : undefined;
  }

  clone(): SipRequest {
    const c = new SipRequestImpl(
      this.data,
      this.startOffset,
      this.startLineEnd,
      this.copyTable(),
      this.bodyStart,
      this.bodyEnd,
      this.method,
      this.uriText,
      this.version,
    );
    this.copyStateTo(c);
    // A Uri is replaced whole, never edited in place: an edited one can be shared.
    if (this.uriEdited) {
      c.currentUri = this.currentUri;
      c.uriEdited = true;
    }
    return c;
  }
}

export class SipResponseImpl extends MessageImpl implements SipResponse {
  readonly kind = "response" as const;
  readonly status: number;
  readonly reason: string;
  readonly version: string;

  constructor(
    data: Buffer,
    startOffset: number,
    startLineEnd: number,
    table: HeaderTable,
    bodyStart: number,
    bodyEnd: number,
    status: number,
    reason: string,
    version: string,
  ) {
    super(data, startOffset, startLineEnd, table, bodyStart, bodyEnd);
    this.status = status;
    this.reason = reason;
    this.version = version;
  }

  protected newStartLine(): string | undefined {
    return undefined;
  }

  clone(): SipResponse {
    const c = new SipResponseImpl(
      this.data,
      this.startOffset,
      this.startLineEnd,
      this.copyTable(),
      this.bodyStart,
      this.bodyEnd,
      this.status,
      this.reason,
      this.version,
    );
    this.copyStateTo(c);
    return c;
  }
}
