import { type HeaderInfo, headerInfo } from "./header-names.js";
import type { HeaderTable } from "./message.js";

/**
 * An outgoing message's head written as text together with its header table (line and value
 * offsets), in one pass: the message object is made from them directly, never parsed back
 * (DESIGN.md: generated messages are written as bytes). Offsets are in characters; they are the
 * byte offsets when the head is ASCII and no value breaks its line, which `plain()` checks —
 * otherwise the caller parses the bytes, as a received message would be.
 */
export class HeadWriter {
  text: string;
  readonly infos: HeaderInfo[] = [];
  readonly pos: number[] = [];
  readonly flags: number[] = [];
  readonly startLineEnd: number;

  /** `startLine` without its CRLF. */
  constructor(startLine: string) {
    this.text = `${startLine}\r\n`;
    this.startLineEnd = this.text.length;
  }

  add(name: string, value: string): void {
    const lineStart = this.text.length;
    this.text += `${name}: ${value}\r\n`;
    const valueStart = lineStart + name.length + 2;
    this.infos.push(headerInfo(name));
    this.pos.push(lineStart, this.text.length, valueStart, valueStart + value.length);
    this.flags.push(0);
  }

  /** Ends the head (the empty line). */
  end(): void {
    this.text += "\r\n";
  }

  table(): HeaderTable {
    return { infos: this.infos, pos: this.pos, flags: this.flags };
  }

  /** Whether the offsets are byte offsets of `bytes` (ASCII head) and every value stayed on its line. */
  plain(bytes: Buffer, body: Buffer): boolean {
    if (bytes.length !== this.text.length + body.length) return false;
    // Each line written ends in the one CRLF this writer put there (start line, headers, the empty
    // line): any other CR or LF, in a value or a name, shows as one too many. Counted with
    // indexOf (native) rather than a loop over every character of every value.
    const lines = this.infos.length + 2;
    return count(this.text, "\n") === lines && count(this.text, "\r") === lines;
  }
}

function count(s: string, c: string): number {
  let n = 0;
  for (let i = s.indexOf(c); i !== -1; i = s.indexOf(c, i + 1)) n++;
  return n;
}

/** Head and body in one buffer. */
export function bytesOf(head: string, body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from(head, "utf8");
  const headLength = Buffer.byteLength(head, "utf8");
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, "utf8");
  body.copy(out, headLength);
  return out;
}
