import { CONTENT_LENGTH_INVALID, CONTENT_LENGTH_MISSING, readContentLength } from "./content-length.js";
import { FramingError } from "./errors.js";

const CR = 0x0d;
const LF = 0x0a;
const END_OF_HEADERS = Buffer.from("\r\n\r\n", "latin1");

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/** Receives what a {@link StreamFramer} cuts out of the stream. One per connection. */
export interface FramerSink {
  /** A complete message: headers, empty line and exactly Content-Length body bytes. */
  onFrame(message: Buffer): void;
  /** An RFC 5626 CRLFCRLF keepalive ping received between messages (answer with CRLF). */
  onPing(): void;
  /** The stream cannot be framed any further; the framer is dead after this. */
  onFramingError(error: FramingError): void;
}

/**
 * Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): headers end at the first
 * CRLFCRLF, and Content-Length, mandatory on streams, says how many body bytes follow.
 *
 * Pure: no sockets, no timers. Frames handed to the sink are views into the received
 * chunks (no copy when a chunk holds whole messages); the sink may keep them.
 */
export class StreamFramer {
  readonly maxMessageSize: number;
  private readonly sink: FramerSink;
  private buf: Buffer | undefined;
  /** Start of unconsumed data in `buf`. */
  private pos = 0;
  /** Where the next CRLFCRLF search resumes, so a slow header is not rescanned from the start. */
  private scanFrom = 0;
  /** End (index in `buf`) of the message whose headers were read, while waiting for its body. */
  private messageEnd = -1;
  private dead = false;

  constructor(sink: FramerSink, maxMessageSize: number = DEFAULT_MAX_MESSAGE_SIZE) {
    this.sink = sink;
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buf === undefined ? 0 : this.buf.length - this.pos;
  }

  get failed(): boolean {
    return this.dead;
  }

  /** Stops framing: later pushes are ignored (the connection is going away). */
  destroy(): void {
    this.dead = true;
    this.buf = undefined;
  }

  /** Feeds received bytes. Returns false once the stream is unusable. */
  push(chunk: Buffer): boolean {
    if (this.dead) return false;
    if (chunk.length === 0) return true;
    const buf = this.buf;
    if (buf === undefined) {
      this.buf = chunk;
      this.pos = 0;
      this.scanFrom = 0;
    } else {
      const shift = this.pos;
      this.buf = Buffer.concat([buf.subarray(shift), chunk]);
      this.pos = 0;
      this.scanFrom -= shift;
      if (this.messageEnd >= 0) this.messageEnd -= shift;
    }
    this.drain();
    return !this.dead;
  }

  private drain(): void {
    const buf = this.buf!;
    const len = buf.length;
    let pos = this.pos;
    const max = this.maxMessageSize;
    while (!this.dead) {
      if (this.messageEnd >= 0) {
        if (len < this.messageEnd) break;
        const frame = buf.subarray(pos, this.messageEnd);
        pos = this.messageEnd;
        this.messageEnd = -1;
        this.scanFrom = pos;
        this.pos = pos;
        this.sink.onFrame(frame);
        continue;
      }
      // Between messages: CRLFs are skipped, CRLFCRLF is a keepalive ping. An incomplete
      // run waits for more bytes so that the outcome does not depend on how TCP cut the stream.
      let wait = false;
      while (pos < len) {
        const b = buf[pos];
        if (b === LF) {
          pos++;
          continue;
        }
        if (b !== CR) break;
        if (pos + 1 >= len) {
          wait = true;
          break;
        }
        if (buf[pos + 1] !== LF) break;
        if (pos + 2 >= len) {
          wait = true;
          break;
        }
        if (buf[pos + 2] === CR) {
          if (pos + 3 >= len) {
            wait = true;
            break;
          }
          if (buf[pos + 3] === LF) {
            pos += 4;
            this.pos = pos;
            this.sink.onPing();
            if (this.dead) return;
            continue;
          }
        }
        pos += 2;
      }
      this.pos = pos;
      if (wait || pos >= len) break;
      if (this.scanFrom < pos) this.scanFrom = pos;
      const eoh = buf.indexOf(END_OF_HEADERS, this.scanFrom);
      if (eoh < 0) {
        if (len - pos > max) {
          this.fail(new FramingError("too-large", 513, "Message Too Large"));
          return;
        }
        this.scanFrom = Math.max(pos, len - 3);
        break;
      }
      const headEnd = eoh + 4;
      const head = buf.subarray(pos, eoh);
      if (headEnd - pos > max) {
        this.fail(new FramingError("too-large", 513, "Message Too Large", head));
        return;
      }
      const contentLength = readContentLength(buf, pos, eoh + 2);
      if (contentLength === CONTENT_LENGTH_MISSING) {
        this.fail(new FramingError("missing-content-length", 400, "Missing Content-Length", head));
        return;
      }
      if (contentLength === CONTENT_LENGTH_INVALID) {
        this.fail(new FramingError("bad-content-length", 400, "Bad Content-Length", head));
        return;
      }
      if (headEnd - pos + contentLength > max) {
        this.fail(new FramingError("too-large", 513, "Message Too Large", head));
        return;
      }
      this.messageEnd = headEnd + contentLength;
    }
    if (this.dead) return;
    if (this.pos >= len && this.messageEnd < 0) {
      this.buf = undefined;
      this.pos = 0;
      this.scanFrom = 0;
    }
  }

  private fail(error: FramingError): void {
    this.dead = true;
    this.buf = undefined;
    this.sink.onFramingError(error);
  }
}
