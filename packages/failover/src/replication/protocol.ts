import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { ReplicationProtocolError } from "./errors.js";
import type { ChangeBatch, WireTableChanges } from "./tables.js";

/*
 * Wire format: each frame is a 4-byte big-endian length then that many bytes of UTF-8 JSON.
 * Before authentication a frame may not exceed 4 KiB, so an unauthenticated peer cannot make us
 * buffer much; afterwards the limit is `MAX_FRAME`.
 *
 * Handshake (mutual HMAC-SHA256 challenge/response over a shared secret):
 *   source → sink   hello   { nonce: Ns }
 *   sink → source   auth    { nonce: Nc, mac: HMAC(secret, "sink" Ns Nc), generation, seq, epoch }
 *   source → sink   welcome { mac: HMAC(secret, "source" Nc Ns), generation, epoch, head }
 * Each side proves the secret against the other's fresh nonce, so a recorded exchange cannot be
 * replayed and a sink never applies data from a source that does not know the secret.
 */

export const PRE_AUTH_MAX_FRAME = 4096;
export const MAX_FRAME = 256 * 1024 * 1024;

export type Message =
  | { t: "hello"; nonce: string }
  | { t: "auth"; nonce: string; mac: string; generation: string | null; seq: number; epoch: number }
  | { t: "welcome"; mac: string; generation: string; epoch: number; head: number }
  | { t: "denied"; reason: string; epoch?: number }
  | ({ t: "batch"; epoch: number; head: number; headAt: number } & ChangeBatch)
  | { t: "snap-begin"; generation: string; seq: number; epoch: number }
  | { t: "snap-rows"; table: WireTableChanges }
  | { t: "snap-end"; seq: number; lastAt: number }
  | {
      t: "heartbeat";
      epoch: number;
      head: number;
      headAt: number;
      pendingSince: number | null;
      pong?: number;
    }
  | { t: "ping"; id: number }
  | { t: "ack"; seq: number }
  | { t: "fence"; epoch: number };

export const newNonce = (): string => randomBytes(24).toString("base64");

export function mac(secret: string, role: "sink" | "source", first: string, second: string): string {
  return createHmac("sha256", secret).update(`centrex-repl\0${role}\0${first}\0${second}`).digest("base64");
}

export function macEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function writeFrame(socket: Socket, msg: Message): boolean {
  const body = Buffer.from(JSON.stringify(msg), "utf8");
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return socket.write(Buffer.concat([head, body]));
}

/** Splits a byte stream into JSON messages; the frame limit can be raised after auth. */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  maxFrame = PRE_AUTH_MAX_FRAME;

  /** Returns the complete messages in `chunk` (plus what was buffered); throws on bad framing. */
  push(chunk: Buffer): Message[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Message[] = [];
    while (this.#buf.length >= 4) {
      const len = this.#buf.readUInt32BE(0);
      if (len > this.maxFrame) throw new ReplicationProtocolError(`frame of ${len} bytes over the limit`);
      if (this.#buf.length < 4 + len) break;
      const body = this.#buf.subarray(4, 4 + len).toString("utf8");
      this.#buf = this.#buf.subarray(4 + len);
      let msg: unknown;
      try {
        msg = JSON.parse(body);
      } catch {
        throw new ReplicationProtocolError("frame is not JSON");
      }
      if (typeof msg !== "object" || msg === null || typeof (msg as { t?: unknown }).t !== "string")
        throw new ReplicationProtocolError("frame has no message type");
      out.push(msg as Message);
    }
    return out;
  }
}
