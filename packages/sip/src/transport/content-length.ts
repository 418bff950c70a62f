const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** Returned by {@link readContentLength} when the header block has no Content-Length. */
export const CONTENT_LENGTH_MISSING = -1;
/** Returned by {@link readContentLength} when a Content-Length is not a plain non-negative integer. */
export const CONTENT_LENGTH_INVALID = -2;

// "content-length" in lower case, compared byte by byte with `| 0x20` folding.
const LONG_NAME = Buffer.from("content-length", "latin1");
// Ten digits already exceed any size we accept; more is only an overflow attempt.
const MAX_DIGITS = 10;

function isWs(b: number | undefined): boolean {
  return b === SP || b === HT;
}

/** End of a physical line starting at `i` (index of its LF, or `end`). */
function lineEnd(buf: Buffer, i: number, end: number): number {
  const lf = buf.indexOf(LF, i);
  return lf < 0 || lf >= end ? end : lf;
}

/**
 * Reads Content-Length from a raw header block without parsing the message: the stream
 * framer needs only this number to find where the next message starts.
 *
 * `start` is the first byte of the start line; `end` is just past the last header line
 * (its CRLF included or not). Accepts the long and the compact (`l`) form in any case,
 * whitespace before the colon, and folded (multi-line) values.
 *
 * @returns the length, {@link CONTENT_LENGTH_MISSING} or {@link CONTENT_LENGTH_INVALID}
 *   (also for two Content-Length headers that disagree).
 */
export function readContentLength(buf: Buffer, start: number, end: number): number {
  let found = CONTENT_LENGTH_MISSING;
  // Skip the start line: no header can be on it.
  let i = lineEnd(buf, start, end) + 1;
  while (i < end) {
    const eol = lineEnd(buf, i, end);
    const first = buf[i]!;
    // Continuation lines belong to the previous header; the name test below skips them.
    let nameLen = 0;
    if ((first | 0x20) === 0x6c /* l */) {
      // Either compact `l` or `content-length`? Only `l` starts with l.
      nameLen = 1;
    } else if ((first | 0x20) === 0x63 /* c */ && eol - i > LONG_NAME.length) {
      let k = 1;
      while (k < LONG_NAME.length && (buf[i + k]! | 0x20) === LONG_NAME[k]) k++;
      if (k === LONG_NAME.length) nameLen = k;
    }
    if (nameLen > 0) {
      let j = i + nameLen;
      while (j < eol && isWs(buf[j])) j++;
      if (buf[j] === COLON) {
        const value = readValue(buf, j + 1, end);
        if (value.length === CONTENT_LENGTH_INVALID) return CONTENT_LENGTH_INVALID;
        if (found !== CONTENT_LENGTH_MISSING && found !== value.length) return CONTENT_LENGTH_INVALID;
        found = value.length;
        i = value.next;
        continue;
      }
    }
    i = eol + 1;
  }
  return found;
}

// Reused result holder: the framer is single-threaded and never re-enters this.
const valueResult = { length: 0, next: 0 };

/** Parses `LWS digits LWS` up to the end of the (possibly folded) header value. */
function readValue(buf: Buffer, j: number, end: number): { length: number; next: number } {
  let n = 0;
  let digits = 0;
  let seenDigits = false;
  let afterDigits = false;
  while (j < end) {
    const b = buf[j]!;
    if (b >= 0x30 && b <= 0x39) {
      if (afterDigits) break; // "12 34"
      n = n * 10 + (b - 0x30);
      seenDigits = true;
      if (++digits > MAX_DIGITS) break;
      j++;
    } else if (isWs(b)) {
      if (seenDigits) afterDigits = true;
      j++;
    } else if (b === CR || b === LF) {
      const lfAt = b === CR ? j + 1 : j;
      if (b === CR && buf[lfAt] !== LF && lfAt < end) break;
      // A line starting with whitespace continues this value (RFC 3261 LWS folding).
      if (lfAt + 1 < end && isWs(buf[lfAt + 1])) {
        if (seenDigits) afterDigits = true;
        j = lfAt + 1;
        continue;
      }
      valueResult.length = seenDigits ? n : CONTENT_LENGTH_INVALID;
      valueResult.next = lfAt + 1;
      return valueResult;
    } else {
      break; // "-1", "abc", "12a"
    }
  }
  if (j >= end && seenDigits && digits <= MAX_DIGITS) {
    valueResult.length = n;
    valueResult.next = end;
    return valueResult;
  }
  valueResult.length = CONTENT_LENGTH_INVALID;
  valueResult.next = end;
  return valueResult;
}
