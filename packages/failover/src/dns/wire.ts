/**
 * Minimal DNS wire-format reader and writer (RFC 1035 §4). The embedded server and the RFC 2136 client
 * need exact control of bytes that generic encoders do not give (class NONE/ANY with empty RDATA, TSIG
 * canonical forms, unknown query types echoed verbatim, truncation), so they share this small codec.
 */

export const TYPE = {
  A: 1,
  NS: 2,
  SOA: 6,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;

export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

/** Raised by `WireReader` on truncated or malformed input; callers turn it into FORMERR. */
export class WireFormatError extends Error {
  override name = "WireFormatError";
}

const MAX_POINTER_JUMPS = 64;

export class WireReader {
  off = 0;
  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new WireFormatError("message truncated");
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  u48(): number {
    this.need(6);
    const v = this.buf.readUIntBE(this.off, 6);
    this.off += 6;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  /** Reads a possibly compressed name; returns it canonical (lower case, no trailing dot, "" = root). */
  name(): string {
    const labels: string[] = [];
    let pos = this.off;
    let end = -1;
    let jumps = 0;
    let total = 1;
    for (;;) {
      if (pos >= this.buf.length) throw new WireFormatError("name runs past the end of the message");
      const len = this.buf[pos]!;
      if (len === 0) {
        pos += 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new WireFormatError("truncated compression pointer");
        if (++jumps > MAX_POINTER_JUMPS) throw new WireFormatError("compression pointer loop");
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (end < 0) end = pos + 2;
        if (target >= pos) throw new WireFormatError("forward compression pointer");
        pos = target;
        continue;
      }
      if (kind !== 0) throw new WireFormatError("unsupported label type");
      if (pos + 1 + len > this.buf.length)
        throw new WireFormatError("label runs past the end of the message");
      total += len + 1;
      if (total > 255) throw new WireFormatError("name longer than 255 octets");
      // A dot inside a label cannot be told apart in our text form; no name we serve has one.
      for (let i = pos + 1; i <= pos + len; i++) {
        if (this.buf[i] === 0x2e) throw new WireFormatError("label contains a dot");
      }
      labels.push(this.buf.toString("latin1", pos + 1, pos + 1 + len).toLowerCase());
      pos += 1 + len;
    }
    this.off = end >= 0 ? end : pos;
    return labels.join(".");
  }

  skipName(): void {
    this.name();
  }
}

function ipv4Bytes(addr: string, out: Buffer, off: number): void {
  const parts = addr.split(".");
  for (let i = 0; i < 4; i++) out[off + i] = Number(parts[i]);
}

/** Parses a textual IPv6 address (already validated with net.isIPv6) into 16 bytes. */
export function ipv6Bytes(addr: string): Buffer {
  let text = addr;
  const zoneAt = text.indexOf("%");
  if (zoneAt >= 0) text = text.slice(0, zoneAt);
  let tail: number[] = [];
  if (text.includes(".")) {
    const i = text.lastIndexOf(":");
    const v4 = text
      .slice(i + 1)
      .split(".")
      .map((x) => Number(x));
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = text.slice(0, i + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const parse = (s: string): number[] => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const dbl = text.indexOf("::");
  let groups: number[];
  if (dbl < 0) {
    groups = [...parse(text), ...tail];
  } else {
    const left = parse(text.slice(0, dbl));
    const right = [...parse(text.slice(dbl + 2)), ...tail];
    groups = [...left, ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i] ?? 0, i * 2);
  return out;
}

/** Formats 16 bytes as a compressed IPv6 address (RFC 5952). */
export function ipv6Text(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export class WireWriter {
  buf: Buffer;
  off = 0;
  private readonly names = new Map<string, number>();

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.off = 0;
    this.names.clear();
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }

  u48(v: number): void {
    this.ensure(6);
    this.buf.writeUIntBE(v, this.off, 6);
    this.off += 6;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  ipv4(addr: string): void {
    this.ensure(4);
    ipv4Bytes(addr, this.buf, this.off);
    this.off += 4;
  }

  ipv6(addr: string): void {
    this.bytes(ipv6Bytes(addr));
  }

  /** A <character-string>: one length octet then at most 255 octets. */
  charString(s: string): void {
    const b = Buffer.from(s, "utf8");
    if (b.length > 255) throw new RangeError("character-string longer than 255 octets");
    this.u8(b.length);
    this.bytes(b);
  }

  /**
   * Writes a name given in canonical text form ("" or "." = root). With `compress`, reuses any suffix
   * already written in this message (RFC 1035 §4.1.4); without it the name is written in full, as
   * RFC 2782/3403 require for SRV targets and NAPTR replacements, and TSIG's canonical forms.
   */
  name(name: string, compress: boolean): void {
    const n = name === "." ? "" : name;
    const labels = n === "" ? [] : n.split(".");
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? n : labels.slice(i).join(".");
      if (compress) {
        const at = this.names.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.off < 0x3fff) this.names.set(suffix, this.off);
      }
      const b = Buffer.from(labels[i]!, "latin1");
      if (b.length === 0 || b.length > 63) throw new RangeError(`bad label in name "${name}"`);
      this.u8(b.length);
      this.bytes(b);
    }
    this.u8(0);
  }

  /**
   * Records that `name` was written uncompressed at `offset` in `length` octets (e.g. a question copied
   * verbatim), so later names can point into it. Ignored when the length does not match (the copy held
   * a pointer, or odd bytes).
   */
  registerName(name: string, offset: number, length: number): void {
    if (name === "") return;
    const labels = name.split(".");
    let expected = 1;
    for (const l of labels) expected += Buffer.byteLength(l, "latin1") + 1;
    if (expected !== length) return;
    let at = offset;
    for (let i = 0; i < labels.length && at < 0x3fff; i++) {
      const suffix = labels.slice(i).join(".");
      if (!this.names.has(suffix)) this.names.set(suffix, at);
      at += Buffer.byteLength(labels[i]!, "latin1") + 1;
    }
  }

  /** Reserves a 16-bit length at the current offset; `endLength` fills it with the bytes written since. */
  beginLength(): number {
    const at = this.off;
    this.u16(0);
    return at;
  }

  endLength(at: number): void {
    this.buf.writeUInt16BE(this.off - at - 2, at);
  }

  /** A copy of the bytes written so far (the writer's buffer is reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}
