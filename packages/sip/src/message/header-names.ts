/** What the stack knows about a header name. */
export interface HeaderInfo {
  /** Lower-case long form: the key every lookup goes through. */
  readonly key: string;
  /** How we write the name when we (re)write the line. */
  readonly display: string;
  /** Values may be comma-separated lists (RFC 3261 §7.3.1); other headers are never split. */
  readonly list: boolean;
  /** Small integer for the headers the parser checks (see `H`), 0 for the others. */
  readonly id: number;
}

/** Ids of the headers validated at parse time. */
export const H = {
  other: 0,
  via: 1,
  from: 2,
  to: 3,
  callId: 4,
  cseq: 5,
  maxForwards: 6,
  contentLength: 7,
} as const;

const IDS: Record<string, number> = {
  via: H.via,
  from: H.from,
  to: H.to,
  "call-id": H.callId,
  cseq: H.cseq,
  "max-forwards": H.maxForwards,
  "content-length": H.contentLength,
};

// Byte-level lookup: candidates by (lower-cased first byte, length), so the hot path finds a
// known header without allocating its name as a string.
const MAX_LEN = 32;
interface Candidate {
  readonly name: string;
  readonly info: HeaderInfo;
}
const byShape: (Candidate[] | undefined)[] = new Array(128 * MAX_LEN);

function index(name: string, info: HeaderInfo): void {
  const lower = name.toLowerCase();
  if (lower.length >= MAX_LEN) return;
  const slot = lower.charCodeAt(0) * MAX_LEN + lower.length;
  const list = byShape[slot] ?? [];
  if (!list.some((c) => c.name === lower)) list.push({ name: lower, info });
  byShape[slot] = list;
}

const byName = new Map<string, HeaderInfo>();

function add(display: string, list: boolean, compact?: string): void {
  const key = display.toLowerCase();
  const info: HeaderInfo = { key, display, list, id: IDS[key] ?? 0 };
  byName.set(info.key, info);
  byName.set(display, info);
  index(key, info);
  if (compact !== undefined) {
    byName.set(compact, info);
    byName.set(compact.toUpperCase(), info);
    index(compact, info);
  }
}

add("Via", true, "v");
add("From", false, "f");
add("To", false, "t");
add("Call-ID", false, "i");
add("CSeq", false);
add("Contact", true, "m");
add("Max-Forwards", false);
add("Content-Length", false, "l");
add("Content-Type", false, "c");
add("Content-Encoding", true, "e");
add("Supported", true, "k");
add("Subject", false, "s");
add("Event", false, "o");
add("Allow-Events", true, "u");
add("Refer-To", false, "r");
add("Referred-By", false, "b");
add("Accept-Contact", true, "a");
add("Reject-Contact", true, "j");
add("Request-Disposition", true, "d");
add("Identity", false, "y");
add("Identity-Info", false, "n");
add("Session-Expires", false, "x");
add("Route", true);
add("Record-Route", true);
add("Path", true);
add("Service-Route", true);
add("Expires", false);
add("Min-Expires", false);
add("Allow", true);
add("Require", true);
add("Proxy-Require", true);
add("Unsupported", true);
add("Accept", true);
add("Accept-Encoding", true);
add("Accept-Language", true);
add("Alert-Info", true);
add("Call-Info", true);
add("Error-Info", true);
add("In-Reply-To", true);
add("Content-Language", true);
add("Warning", true);
add("Reason", true);
add("History-Info", true);
add("P-Asserted-Identity", true);
add("P-Preferred-Identity", true);
add("Privacy", false);
add("Authorization", false);
add("Proxy-Authorization", false);
add("WWW-Authenticate", false);
add("Proxy-Authenticate", false);
add("Authentication-Info", false);
add("Date", false);
add("Timestamp", false);
add("Retry-After", false);
add("User-Agent", false);
add("Server", false);
add("Organization", false);
add("Priority", false);
add("Reply-To", false);
add("Content-Disposition", false);
add("MIME-Version", false);
add("RSeq", false);
add("RAck", false);
add("Min-SE", false);

/** Header info for a name as written (any case, long or compact); unknown names get a non-list entry. */
export function headerInfo(name: string): HeaderInfo {
  const hit = byName.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const info = byName.get(lower);
  if (info !== undefined) return info;
  return { key: lower, display: name, list: false, id: 0 };
}

/** Header info for the name in `data[start, end)`, matched case-insensitively without decoding it. */
export function headerInfoAt(data: Buffer, start: number, end: number): HeaderInfo {
  const len = end - start;
  const c0 = (data[start] as number) | 0x20;
  if (len < MAX_LEN && c0 < 128) {
    const list = byShape[c0 * MAX_LEN + len];
    if (list !== undefined) {
      for (let k = 0; k < list.length; k++) {
        const cand = list[k] as Candidate;
        const name = cand.name;
        let j = 1;
        // Token chars: OR-ing 0x20 lower-cases letters and leaves the other token chars that
        // occur in known names ("-", digits) intact.
        while (j < len && ((data[start + j] as number) | 0x20) === name.charCodeAt(j)) j++;
        if (j === len) return cand.info;
      }
    }
  }
  return headerInfo(data.toString("latin1", start, end));
}

export function headerKey(name: string): string {
  return headerInfo(name).key;
}
