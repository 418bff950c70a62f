import { SdpParseError } from "./errors.js";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One m= section: its lines (the m= line first) and what the relay needs from them. */
export interface SdpMedia {
  lines: string[];
  type: string;
  port: number;
  proto: string;
  formats: string[];
  /** Effective connection address (media-level c= else session-level), undefined if none. */
  address: string | undefined;
  rtcpPort: number | undefined;
  rtcpAddress: string | undefined;
  rtcpMux: boolean;
  direction: Direction;
  /** Payload type → clock rate, from a=rtpmap and the static table. */
  clockRates: Map<number, number>;
  telephoneEventPt: number | null;
}

export interface Sdp {
  /** Session-level lines, v= first. */
  session: string[];
  media: SdpMedia[];
  originVersion: bigint;
}

const LINE = /^[a-z]=/;
const DIRECTIONS = new Set<string>(["sendrecv", "sendonly", "recvonly", "inactive"]);
/** RFC 3551 static payload types with their clock rates (audio 8000 except L16, MPA, G722 is 8000 by errata). */
const STATIC_RATES: ReadonlyArray<readonly [number, number]> = [
  [0, 8000],
  [3, 8000],
  [4, 8000],
  [5, 8000],
  [6, 16000],
  [7, 8000],
  [8, 8000],
  [9, 8000],
  [10, 44100],
  [11, 44100],
  [12, 8000],
  [13, 8000],
  [14, 90000],
  [15, 8000],
  [16, 11025],
  [17, 22050],
  [18, 8000],
  [25, 90000],
  [26, 90000],
  [28, 90000],
  [31, 90000],
  [32, 90000],
  [33, 90000],
  [34, 90000],
];

/** ICE attributes (RFC 8839): the relay is not an ICE agent, so by default these are removed. */
const ICE_ATTRIBUTES = [
  "a=ice-ufrag:",
  "a=ice-pwd:",
  "a=ice-options:",
  "a=ice-lite",
  "a=ice-mismatch",
  "a=ice-pacing:",
  "a=candidate:",
  "a=remote-candidates:",
  "a=end-of-candidates",
];

export function isIceLine(line: string): boolean {
  for (const prefix of ICE_ATTRIBUTES) if (line.startsWith(prefix)) return true;
  return false;
}

/** Parses an SDP body (RFC 8866). Lines are kept verbatim; only what the relay needs is interpreted. */
export function parseSdp(text: string): Sdp {
  const raw = text.split(/\r?\n/);
  while (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  if (raw.length === 0) throw new SdpParseError("empty body", 0);
  if (raw[0] !== "v=0") throw new SdpParseError(`expected "v=0", got ${JSON.stringify(raw[0])}`, 1);
  const session: string[] = [];
  const sections: string[][] = [];
  let current: string[] = session;
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    if (!LINE.test(line))
      throw new SdpParseError(`not a "<type>=<value>" line: ${JSON.stringify(line)}`, i + 1);
    if (line.startsWith("m=")) {
      current = [];
      sections.push(current);
    }
    current.push(line);
  }
  const origin = session.find((l) => l.startsWith("o="));
  if (!origin) throw new SdpParseError("missing o= line", 0);
  const o = origin.slice(2).split(" ");
  if (o.length !== 6 || !/^\d+$/.test(o[2]!)) throw new SdpParseError(`malformed o= line: ${origin}`, 0);
  const sessionAddress = connectionAddress(session);
  const sessionDirection = directionOf(session) ?? "sendrecv";
  const media = sections.map((lines, i) => parseMedia(lines, sessionAddress, sessionDirection, i));
  return { session, media, originVersion: BigInt(o[2]!) };
}

function connectionAddress(lines: string[]): string | undefined {
  for (const l of lines) {
    if (!l.startsWith("c=")) continue;
    const parts = l.slice(2).split(" ");
    // Multicast "addr/ttl" forms: keep the address part.
    if (parts.length === 3) return parts[2]!.split("/")[0];
  }
  return undefined;
}

function directionOf(lines: string[]): Direction | undefined {
  for (const l of lines) {
    if (l.startsWith("a=") && DIRECTIONS.has(l.slice(2))) return l.slice(2) as Direction;
  }
  return undefined;
}

function parseMedia(
  lines: string[],
  sessionAddress: string | undefined,
  dir: Direction,
  index: number,
): SdpMedia {
  const m = lines[0]!.slice(2).split(" ");
  const portText = m[1]?.split("/")[0] ?? "";
  if (m.length < 4 || !/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new SdpParseError(`malformed m= line in media ${index}: ${lines[0]}`, 0);
  }
  const clockRates = new Map<number, number>();
  const formats = m.slice(3);
  for (const [pt, rate] of STATIC_RATES) if (formats.includes(String(pt))) clockRates.set(pt, rate);
  let rtcpPort: number | undefined;
  let rtcpAddress: string | undefined;
  let rtcpMux = false;
  let telephoneEventPt: number | null = null;
  for (const l of lines) {
    if (l.startsWith("a=rtpmap:")) {
      const match = /^a=rtpmap:(\d+) ([^/]+)\/(\d+)/.exec(l);
      if (match) {
        const pt = Number(match[1]);
        clockRates.set(pt, Number(match[3]));
        if (match[2]!.toLowerCase() === "telephone-event" && telephoneEventPt === null) telephoneEventPt = pt;
      }
    } else if (l.startsWith("a=rtcp:")) {
      const parts = l.slice(7).split(" ");
      rtcpPort = Number(parts[0]);
      if (parts.length >= 4) rtcpAddress = parts[3];
    } else if (l === "a=rtcp-mux") {
      rtcpMux = true;
    }
  }
  return {
    lines,
    type: m[0]!,
    port: Number(portText),
    proto: m[2]!,
    formats,
    address: connectionAddress(lines) ?? sessionAddress,
    rtcpPort,
    rtcpAddress,
    rtcpMux,
    direction: directionOf(lines) ?? dir,
    clockRates,
    telephoneEventPt,
  };
}

export function isUnspecified(address: string | undefined): boolean {
  return address === "0.0.0.0" || address === "::";
}

/** RFC 3264 §8.4 hold: not sending (sendonly/inactive from the holder, recvonly back) or the RFC 2543 c=0.0.0.0. */
export function isHold(media: SdpMedia): boolean {
  return media.direction !== "sendrecv" || isUnspecified(media.address);
}

export interface RewritePlan {
  /** Address the other side must send to (the relay's), IP4 or IP6. */
  address: string;
  /** Relay RTP port per m= line; its RTCP port is port + 1. 0 leaves the line rejected. */
  ports: number[];
  originVersion: bigint;
  removeIce: boolean;
}

/** Rewrites an SDP to point at the relay. Unknown lines are kept verbatim; the result uses CRLF. */
export function rewriteSdp(sdp: Sdp, plan: RewritePlan): string {
  const family = plan.address.includes(":") ? "IP6" : "IP4";
  const out: string[] = [];
  for (const line of sdp.session) {
    if (line.startsWith("o=")) {
      const o = line.slice(2).split(" ");
      out.push(`o=${o[0]} ${o[1]} ${plan.originVersion} IN ${family} ${plan.address}`);
    } else if (line.startsWith("c=")) {
      out.push(rewriteConnection(line, plan.address, family));
    } else if (!(plan.removeIce && isIceLine(line))) {
      out.push(line);
    }
  }
  for (let i = 0; i < sdp.media.length; i++) {
    const media = sdp.media[i]!;
    const port = media.port === 0 ? 0 : (plan.ports[i] ?? 0);
    for (const line of media.lines) {
      if (line.startsWith("m=")) {
        const m = line.split(" ");
        m[1] = String(port);
        out.push(m.join(" "));
      } else if (line.startsWith("c=")) {
        out.push(rewriteConnection(line, plan.address, family));
      } else if (line.startsWith("a=rtcp:")) {
        out.push(rewriteRtcp(line, media, port, plan.address, family));
      } else if (!(plan.removeIce && isIceLine(line))) {
        out.push(line);
      }
    }
  }
  out.push("");
  return out.join("\r\n");
}

function rewriteConnection(line: string, address: string, family: string): string {
  const parts = line.slice(2).split(" ");
  // The RFC 2543 hold form says "do not send to me": keep it so the other side stays silent.
  if (isUnspecified(parts[2])) return line;
  return `c=IN ${family} ${address}`;
}

function rewriteRtcp(line: string, media: SdpMedia, port: number, address: string, family: string): string {
  if (port === 0) return line;
  const parts = line.slice(7).split(" ");
  // An a=rtcp equal to the m= port announces RTCP on the RTP port (mux): keep that relation.
  const rtcpPort = Number(parts[0]) === media.port ? port : port + 1;
  if (parts.length >= 4 && !isUnspecified(parts[3])) return `a=rtcp:${rtcpPort} IN ${family} ${address}`;
  parts[0] = String(rtcpPort);
  return `a=rtcp:${parts.join(" ")}`;
}
