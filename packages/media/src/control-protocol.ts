import type { MediaOptions } from "./controller.js";

/**
 * JSON lines over TCP: each message is one JSON object on one line ("\n"-terminated, UTF-8).
 *
 *   request  {"id":7,"command":"offer","callId":"…","tag":"…","sdp":"…","options":{…}}
 *   response {"id":7,"ok":true,"result":…}  |  {"id":7,"ok":false,"code":"unknown-call","error":"…"}
 *   event    {"event":"media-timeout","callId":"…"}   (server → every connected client)
 *
 * Commands: offer, answer (tag = from-tag / to-tag; result = rewritten SDP), delete (result =
 * boolean), query (result = CallStats), list (result = string[]), ping (result = null).
 */
export type ControlCommand = "offer" | "answer" | "delete" | "query" | "list" | "ping";

export interface ControlRequest {
  id: number;
  command: ControlCommand;
  callId?: string;
  tag?: string;
  sdp?: string;
  options?: MediaOptions;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; code: string; error: string };

export interface ControlEvent {
  event: "media-timeout";
  callId: string;
}

/** A control line longer than this is refused: an SDP is a few kB. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Splits a byte stream into lines without re-scanning what was already searched.
 * Returns the complete lines; keeps the remainder. Throws when a line outgrows the limit.
 */
export class LineSplitter {
  #buffered = "";

  push(chunk: string): string[] {
    this.#buffered += chunk;
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = this.#buffered.indexOf("\n", start);
      if (nl < 0) break;
      const line = this.#buffered.slice(start, nl).trim();
      if (line !== "") lines.push(line);
      start = nl + 1;
    }
    this.#buffered = this.#buffered.slice(start);
    if (this.#buffered.length > MAX_LINE_BYTES) throw new RangeError("control line too long");
    return lines;
  }
}
