import { responseTag } from "../message/response.js";

// Headers a response must echo (RFC 3261 §8.2.6.2), long and compact forms.
const ECHOED: ReadonlySet<string> = new Set(["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"]);

/**
 * Builds a stateless error response (e.g. `400 Missing Content-Length`) from the raw header
 * block of a request that could not be framed, by copying its Via, From, To, Call-ID and CSeq
 * lines textually: the parser is not involved, since the message may be what broke it.
 *
 * @param head start line and header lines, without the empty line.
 * @returns undefined when no response may or can be built: the message is a response or an
 *   ACK, or a header needed to route the answer is missing.
 */
export function buildMinimalResponse(head: Buffer, status: number, reason: string): Buffer | undefined {
  // latin1 round-trips every byte, so copied lines stay byte-identical.
  const text = head.toString("latin1");
  const lines = text.split(/\r?\n/);
  const startLine = lines[0] ?? "";
  if (startLine.startsWith("SIP/")) return undefined;
  const method = startLine.slice(0, startLine.indexOf(" "));
  if (method === "" || method === "ACK") return undefined;

  // Unfold continuation lines onto their header first.
  const headers: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if ((line.startsWith(" ") || line.startsWith("\t")) && headers.length > 0) {
      headers[headers.length - 1] += ` ${line.trim()}`;
    } else if (line !== "") {
      headers.push(line);
    }
  }

  // The tag, as for every response this node generates, is derived from the request's lines,
  // so a retransmission of the same broken request gets the same one.
  const tag = responseTag(
    headers.find((h) => /^(via|v)\s*:/i.test(h)),
    undefined,
    headers.join("\n"),
    undefined,
  );
  let out = `SIP/2.0 ${status} ${reason}\r\n`;
  let vias = 0;
  let hasFrom = false;
  let hasTo = false;
  let hasCallId = false;
  let hasCseq = false;
  for (const line of headers) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!ECHOED.has(name)) continue;
    if (name === "via" || name === "v") vias++;
    else if (name === "from" || name === "f") hasFrom = true;
    else if (name === "call-id" || name === "i") hasCallId = true;
    else if (name === "cseq") hasCseq = true;
    else {
      hasTo = true;
      if (!hasTag(line.slice(colon + 1))) {
        out += `${line};tag=${tag}\r\n`;
        continue;
      }
    }
    out += `${line}\r\n`;
  }
  if (vias === 0 || !hasFrom || !hasTo || !hasCallId || !hasCseq) return undefined;
  out += "Content-Length: 0\r\n\r\n";
  return Buffer.from(out, "latin1");
}

/** Whether a To value carries a tag header parameter (outside the `<uri>`). */
function hasTag(value: string): boolean {
  const close = value.lastIndexOf(">");
  const params = close >= 0 ? value.slice(close + 1) : value.slice(value.indexOf(";"));
  return /;\s*tag\s*=/i.test(params);
}
