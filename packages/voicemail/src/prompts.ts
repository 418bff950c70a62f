import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeG711 } from "./g711.js";
import { SAMPLE_RATE } from "./wav.js";

/** The prompts `scripts/make-prompts.mjs` speaks with espeak-ng (file names without `.ul`). */
export type PromptName =
  | "greeting"
  | "you-have"
  | "new-message"
  | "new-messages"
  | "no-messages"
  | "message-menu"
  | "deleted"
  | "saved"
  | "end-menu"
  | "record-greeting"
  | "greeting-saved"
  | "mailbox-full"
  | "goodbye"
  | `digit-${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`;

/** The prompts as 8 kHz samples, read once at start: a missing one stops start-up naming it. */
export class Prompts {
  readonly #audio = new Map<string, Int16Array>();

  constructor(readonly dir: string = promptDir()) {
    for (const f of readdirSync(dir)) {
      if (f.endsWith(".ul")) this.#audio.set(f.slice(0, -3), decodeG711("mu", readFileSync(join(dir, f))));
    }
    for (const name of REQUIRED) {
      if (!this.#audio.has(name))
        throw new Error(
          `voicemail prompt ${name}.ul missing in ${dir} (npm run prompts -w @centrex/voicemail)`,
        );
    }
  }

  get(name: PromptName): Int16Array {
    return this.#audio.get(name) as Int16Array;
  }

  /** A number said digit by digit ("one two"). */
  number(n: number): Int16Array[] {
    return [...String(n)].map((d) => this.get(`digit-${Number(d) as 0}`));
  }
}

const REQUIRED: readonly PromptName[] = [
  "greeting",
  "you-have",
  "new-message",
  "new-messages",
  "no-messages",
  "message-menu",
  "deleted",
  "saved",
  "end-menu",
  "record-greeting",
  "greeting-saved",
  "mailbox-full",
  "goodbye",
  ...([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const).map((d) => `digit-${d}` as const),
];

/** `prompts/` of the package, from `src/` (development) or `dist/src/` (compiled). */
function promptDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "..", "prompts"), join(here, "..", "..", "prompts")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`voicemail prompts folder not found beside ${here}`);
}

/** The record tone: 440 Hz for `ms`, faded in and out so it does not click. */
export function beep(ms = 400, frequency = 440): Int16Array {
  const n = Math.round((SAMPLE_RATE * ms) / 1000);
  const out = new Int16Array(n);
  const fade = Math.min(160, n >> 2);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = Math.round(12000 * env * Math.sin((2 * Math.PI * frequency * i) / SAMPLE_RATE));
  }
  return out;
}

export function silence(ms: number): Int16Array {
  return new Int16Array(Math.round((SAMPLE_RATE * ms) / 1000));
}

/** Several pieces played as one. */
export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
