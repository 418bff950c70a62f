#!/usr/bin/env node
// Generates the voicemail's spoken prompts with Debian's espeak-ng (`apt-get install espeak-ng`):
// each text is spoken to a 22.05 kHz WAV, low-pass filtered and resampled to 8 kHz, levelled,
// and written as raw G.711 µ-law (`prompts/<name>.ul`, 8 kB per second) — the form the voicemail
// sends on the wire, so nothing is converted per call. The files are committed: CI and the
// container do not need espeak-ng; run `npm run prompts -w @centrex/voicemail` after editing a text.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROMPTS = {
  greeting: "Please leave a message after the tone.",
  "you-have": "You have",
  "new-message": "new message.",
  "new-messages": "new messages.",
  "no-messages": "You have no new messages.",
  "message-menu": "To delete this message, press 7. To keep it, press 9.",
  deleted: "Message deleted.",
  saved: "Message saved.",
  "end-menu": "End of messages. To record your greeting, press 5.",
  "record-greeting": "Record your greeting after the tone, then press pound.",
  "greeting-saved": "Your greeting is saved.",
  "mailbox-full": "This mailbox is full. Goodbye.",
  goodbye: "Goodbye.",
  ...Object.fromEntries(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"].map((w, i) => [
      `digit-${i}`,
      w,
    ]),
  ),
};

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "prompts");

function readWav(buf) {
  let at = 12;
  let rate = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString("ascii", at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === "fmt ") rate = buf.readUInt32LE(at + 12);
    if (id === "data") {
      const end = Math.min(buf.length, at + 8 + (size === 0 || size === 0xffffffff ? buf.length : size));
      const n = Math.floor((end - at - 8) / 2);
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) s[i] = buf.readInt16LE(at + 8 + 2 * i) / 32768;
      return { rate, samples: s };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error("espeak-ng wrote no data chunk");
}

/** Windowed-sinc resampler with its cut-off below the new Nyquist (3.4 kHz): no aliasing. */
function resample(input, from, to) {
  const ratio = from / to;
  const cutoff = 3400 / from;
  const half = 32;
  const out = new Float64Array(Math.floor(input.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const centre = i * ratio;
    const first = Math.ceil(centre - half);
    let acc = 0;
    for (let k = first; k <= centre + half; k++) {
      if (k < 0 || k >= input.length) continue;
      const x = k - centre;
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const window = 0.42 + 0.5 * Math.cos((Math.PI * x) / half) + 0.08 * Math.cos((2 * Math.PI * x) / half);
      acc += input[k] * sinc * window;
    }
    out[i] = acc;
  }
  return out;
}

/** Drops the silence espeak-ng leaves before and after the speech, keeping 60 ms of it. */
function trim(s) {
  let first = 0;
  let last = s.length - 1;
  while (first < s.length && Math.abs(s[first]) < 0.01) first++;
  while (last > first && Math.abs(s[last]) < 0.01) last--;
  return s.subarray(Math.max(0, first - 480), Math.min(s.length, last + 480));
}

function muLaw(sample) {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > 32635) s = 32635;
  s += 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function speak(text, dir) {
  const wav = join(dir, "p.wav");
  const r = spawnSync("espeak-ng", ["-v", "en-us", "-s", "175", "-w", wav, text], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`espeak-ng failed (apt-get install espeak-ng): ${r.error?.message ?? r.stderr}`);
  }
  const { rate, samples } = readWav(readFileSync(wav));
  const low = trim(resample(samples, rate, 8000));
  let peak = 0;
  for (const x of low) peak = Math.max(peak, Math.abs(x));
  const gain = peak > 0 ? 0.7 / peak : 1;
  return Buffer.from(Array.from(low, (x) => muLaw(x * gain)));
}

const tmp = mkdtempSync(join(tmpdir(), "centrex-prompts-"));
try {
  for (const [name, text] of Object.entries(PROMPTS)) {
    const ul = speak(text, tmp);
    writeFileSync(join(OUT, `${name}.ul`), ul);
    process.stdout.write(`${name}.ul ${(ul.length / 8000).toFixed(2)} s\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
