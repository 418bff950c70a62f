import { HOST, IPV6, inTable } from "../uri/chars.js";
import { badRequest } from "./errors.js";
import { parseParams, skipToken, skipWs } from "./lex.js";
import type { Params, Via } from "./types.js";

function expectSlash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 47) throw badRequest("Invalid Via sent-protocol");
  return skipWs(s, i + 1);
}

/** Parse one Via value: `SIP / 2.0 / UDP host[:port] *(;param)`, LWS allowed around separators. */
export function parseVia(s: string): Via {
  let i = skipWs(s, 0);
  // Fast path for the spelling every element sends: "SIP/2.0/UDP host..."
  if (s.startsWith("SIP/2.0/", i)) {
    const t = i + 8;
    const te = skipToken(s, t);
    const known = knownTransport(s, t, te);
    if (known !== undefined) return parseSentBy(s, te, "SIP/2.0", known);
  }
  let st = i;
  i = skipToken(s, i);
  if (i === st) throw badRequest("Invalid Via sent-protocol");
  const name = s.slice(st, i);
  i = expectSlash(s, i);
  st = i;
  i = skipToken(s, i);
  if (i === st) throw badRequest("Invalid Via sent-protocol");
  const version = s.slice(st, i);
  i = expectSlash(s, i);
  st = i;
  i = skipToken(s, i);
  if (i === st) throw badRequest("Invalid Via transport");
  const transport = s.slice(st, i).toUpperCase();
  return parseSentBy(s, i, `${name}/${version}`, transport);
}

const KNOWN_TRANSPORTS = ["UDP", "TCP", "TLS", "WS", "WSS", "SCTP"];

/** The shared string for a transport spelled exactly as usual, without slicing it out. */
function knownTransport(s: string, start: number, end: number): string | undefined {
  for (let k = 0; k < KNOWN_TRANSPORTS.length; k++) {
    const t = KNOWN_TRANSPORTS[k] as string;
    if (t.length === end - start && s.startsWith(t, start)) return t;
  }
  return undefined;
}

function parseSentBy(s: string, i: number, protocol: string, transport: string): Via {
  const hs = skipWs(s, i);
  if (hs === i) throw badRequest("Invalid Via sent-by");
  i = hs;
  let host: string;
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf("]", i);
    if (close === -1) throw badRequest("Invalid Via host");
    for (let j = i + 1; j < close; j++)
      if (!inTable(IPV6, s.charCodeAt(j))) throw badRequest("Invalid Via host");
    host = s.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    while (i < s.length && inTable(HOST, s.charCodeAt(i))) i++;
    if (i === hs) throw badRequest("Invalid Via host");
    host = s.slice(hs, i).toLowerCase();
  }
  let port: number | undefined;
  const colon = skipWs(s, i);
  if (s.charCodeAt(colon) === 58) {
    i = skipWs(s, colon + 1);
    const ps = i;
    let p = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      p = p * 10 + c - 48;
      i++;
    }
    if (i === ps || i - ps > 5 || p > 65535) throw badRequest("Invalid Via port");
    port = p;
  }
  const params: Params = new Map();
  i = parseParams(s, i, params);
  if (skipWs(s, i) !== s.length) throw badRequest("Invalid characters in Via");
  const rportText = params.get("rport");
  let rport: number | null | undefined;
  if (rportText === null) rport = null;
  else if (rportText !== undefined) {
    rport = Number(rportText);
    if (!Number.isInteger(rport) || rport < 0 || rport > 65535 || rportText.length > 5)
      throw badRequest("Invalid Via rport");
  }
  return {
    protocol,
    transport,
    host,
    port,
    params,
    branch: params.get("branch") ?? undefined,
    received: params.get("received") ?? undefined,
    rport,
  };
}
