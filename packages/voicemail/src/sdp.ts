import { VoicemailRefusal } from "./errors.js";
import type { Law } from "./g711.js";

/** What the voicemail takes from a phone's offer: where to send, in which codec, and DTMF. */
export interface MediaChoice {
  readonly address: string;
  readonly port: number;
  readonly payloadType: number;
  readonly law: Law;
  /** The telephone-event payload type (RFC 4733), when offered. */
  readonly dtmfPayloadType: number | undefined;
}

/**
 * Picks PCMU, else PCMA, from an SDP offer's first audio stream (static types 0
 * and 8, or the same names under a dynamic type), with telephone-event if offered.
 */
export function chooseMedia(offer: string): MediaChoice {
  const lines = offer.split(/\r?\n/);
  let sessionAddress: string | undefined;
  let mediaAddress: string | undefined;
  let port: number | undefined;
  let formats: number[] = [];
  const rtpmap = new Map<number, string>();
  let inAudio = false;
  let seenMedia = false;
  for (const line of lines) {
    if (line.startsWith("m=")) {
      if (seenMedia && inAudio) break; // only the first audio stream
      const [media, p, , ...fmts] = line.slice(2).trim().split(/\s+/);
      inAudio = media === "audio" && port === undefined;
      seenMedia = true;
      if (inAudio) {
        port = Number(p);
        formats = fmts.map(Number);
      }
    } else if (line.startsWith("c=")) {
      const address = line.slice(2).trim().split(/\s+/)[2];
      if (!seenMedia) sessionAddress = address;
      else if (inAudio) mediaAddress = address;
    } else if (inAudio && line.startsWith("a=rtpmap:")) {
      const m = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(line);
      if (m) rtpmap.set(Number(m[1]), (m[2] ?? "").toLowerCase());
    }
  }
  const address = mediaAddress ?? sessionAddress;
  if (port === undefined || !Number.isInteger(port) || port <= 0 || port > 65535 || address === undefined) {
    throw new VoicemailRefusal(488, "Not Acceptable Here - No audio stream");
  }
  const nameOf = (pt: number) => rtpmap.get(pt) ?? (pt === 0 ? "pcmu" : pt === 8 ? "pcma" : "");
  const pick = formats.find((pt) => nameOf(pt) === "pcmu") ?? formats.find((pt) => nameOf(pt) === "pcma");
  if (pick === undefined) throw new VoicemailRefusal(488, "Not Acceptable Here - G.711 only");
  const dtmf = formats.find((pt) => nameOf(pt) === "telephone-event");
  return {
    address,
    port,
    payloadType: pick,
    law: nameOf(pick) === "pcmu" ? "mu" : "a",
    dtmfPayloadType: dtmf,
  };
}

/** The answer: one audio stream at our RTP port with the chosen codec (and telephone-event). */
export function answerSdp(address: string, port: number, choice: MediaChoice, sessionId: number): Buffer {
  const ip = address.includes(":") ? "IP6" : "IP4";
  const pts =
    choice.dtmfPayloadType === undefined
      ? `${choice.payloadType}`
      : `${choice.payloadType} ${choice.dtmfPayloadType}`;
  let sdp =
    "v=0\r\n" +
    `o=centrex-voicemail ${sessionId} ${sessionId} IN ${ip} ${address}\r\n` +
    "s=voicemail\r\n" +
    `c=IN ${ip} ${address}\r\n` +
    "t=0 0\r\n" +
    `m=audio ${port} RTP/AVP ${pts}\r\n` +
    `a=rtpmap:${choice.payloadType} ${choice.law === "mu" ? "PCMU" : "PCMA"}/8000\r\n`;
  if (choice.dtmfPayloadType !== undefined) {
    sdp += `a=rtpmap:${choice.dtmfPayloadType} telephone-event/8000\r\na=fmtp:${choice.dtmfPayloadType} 0-15\r\n`;
  }
  sdp += "a=ptime:20\r\na=sendrecv\r\n";
  return Buffer.from(sdp, "ascii");
}
