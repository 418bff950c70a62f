import { randomInt } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { DtmfReceiver } from "./dtmf.js";
import { decodeG711, encodeG711 } from "./g711.js";
import { parseRtp, writeRtp } from "./rtp.js";
import type { MediaChoice } from "./sdp.js";

const FRAME = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;
const SILENCE = new Int16Array(FRAME);

/** How a playback ended: played out, cut short by a key (barge-in), or by the call ending. */
export type PlayOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "closed" };

interface Playback {
  readonly samples: Int16Array;
  offset: number;
  readonly interruptible: boolean;
  readonly resolve: (o: PlayOutcome) => void;
}

/**
 * One call's media on the voicemail side: a UDP socket that sends a 20 ms
 * G.711 frame on every tick for the whole call (the prompt being played, or
 * silence, so the relay never sees a quiet stream), records what arrives when
 * asked, and turns RFC 4733 events into keys.
 */
export class MediaEndpoint {
  readonly #socket: Socket;
  readonly #dtmf = new DtmfReceiver();
  readonly #ssrc = randomInt(0, 2 ** 32);
  #choice: MediaChoice | undefined;
  #sequence = randomInt(0, 65536);
  #timestamp = randomInt(0, 2 ** 32);
  #clock: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #framesSent = 0;
  #playing: Playback | undefined;
  #recording: Int16Array[] | undefined;
  #keys: string[] = [];
  #keyWaiter: ((key: string | undefined) => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("message", (m) => this.#onPacket(m));
    socket.on("error", () => undefined);
  }

  /** Binds a socket on `address` (an ephemeral port: the relay in front of it gives phones theirs). */
  static async open(address: string): Promise<MediaEndpoint> {
    const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new MediaEndpoint(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts sending to the phone (or relay) the offer named, in its codec. */
  start(choice: MediaChoice): void {
    this.#choice = choice;
    this.#startedAt = performance.now();
    this.#clock = setInterval(() => this.#tick(), FRAME_MS / 2);
  }

  /** Plays samples (8 kHz) to the caller; with `interruptible`, a key press stops it and is returned. */
  play(samples: Int16Array, opts: { interruptible?: boolean } = {}): Promise<PlayOutcome> {
    if (this.#closed) return Promise.resolve({ kind: "closed" });
    const interruptible = opts.interruptible ?? false;
    if (interruptible) {
      const key = this.#keys.shift();
      if (key !== undefined) return Promise.resolve({ kind: "key", key });
    }
    this.#playing?.resolve({ kind: "done" });
    return new Promise((resolve) => {
      this.#playing = { samples, offset: 0, interruptible, resolve };
    });
  }

  /** The next key pressed (already pressed ones first); undefined after `ms` or when the call ends. */
  nextKey(ms: number): Promise<string | undefined> {
    const key = this.#keys.shift();
    if (key !== undefined || this.#closed) return Promise.resolve(key);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#keyWaiter = undefined;
        resolve(undefined);
      }, ms);
      this.#keyWaiter = (k) => {
        clearTimeout(timer);
        this.#keyWaiter = undefined;
        resolve(k);
      };
    });
  }

  /** Forgets keys pressed so far (before a question whose answer must come after it). */
  clearKeys(): void {
    this.#keys = [];
  }

  startRecording(): void {
    this.#recording = [];
  }

  /** Stops recording and returns what was received since `startRecording`. */
  stopRecording(): Int16Array {
    const parts = this.#recording ?? [];
    this.#recording = undefined;
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#clock);
    this.#playing?.resolve({ kind: "closed" });
    this.#playing = undefined;
    this.#keyWaiter?.(undefined);
    this.#socket.close();
  }

  /** Sends every frame due by now: the interval timer drifts, the frame count does not. */
  #tick(): void {
    const due = Math.floor((performance.now() - this.#startedAt) / FRAME_MS) + 1;
    while (this.#framesSent < due && !this.#closed) this.#sendFrame();
  }

  #sendFrame(): void {
    const choice = this.#choice;
    if (choice === undefined) return;
    let frame: Int16Array = SILENCE;
    const p = this.#playing;
    if (p !== undefined) {
      frame = p.samples.subarray(p.offset, p.offset + FRAME);
      p.offset += FRAME;
      if (frame.length < FRAME) {
        const padded = new Int16Array(FRAME);
        padded.set(frame);
        frame = padded;
      }
      if (p.offset >= p.samples.length) {
        this.#playing = undefined;
        p.resolve({ kind: "done" });
      }
    }
    const packet = writeRtp(
      {
        payloadType: choice.payloadType,
        marker: this.#framesSent === 0,
        sequence: this.#sequence++,
        timestamp: this.#timestamp,
        ssrc: this.#ssrc,
      },
      encodeG711(choice.law, frame),
    );
    this.#timestamp = (this.#timestamp + FRAME) >>> 0;
    this.#framesSent++;
    this.#socket.send(packet, choice.port, choice.address);
  }

  #onPacket(buf: Buffer): void {
    const choice = this.#choice;
    if (choice === undefined) return;
    const rtp = parseRtp(buf);
    if (rtp === undefined) return;
    if (rtp.payloadType === choice.payloadType) {
      this.#recording?.push(decodeG711(choice.law, rtp.payload));
      return;
    }
    if (rtp.payloadType === choice.dtmfPayloadType) {
      const key = this.#dtmf.receive(rtp.timestamp, rtp.payload);
      if (key !== undefined) this.#onKey(key);
    }
  }

  #onKey(key: string): void {
    const p = this.#playing;
    if (p?.interruptible) {
      this.#playing = undefined;
      p.resolve({ kind: "key", key });
      return;
    }
    if (this.#keyWaiter !== undefined) this.#keyWaiter(key);
    else this.#keys.push(key);
  }
}
