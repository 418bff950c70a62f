import { readFileSync, writeFileSync } from "node:fs";

// Audio checks for the end-to-end tests: a phone plays a known tone and the
// test proves, from the audio the other phone decoded, that this tone (and
// not its own, nor silence) crossed the switch.

export const SAMPLE_RATE = 8000;

export interface ToneOptions {
  frequency: number;
  seconds: number;
  /** Peak amplitude, 0..1 of full scale. */
  amplitude?: number;
  sampleRate?: number;
}

/** Writes a mono 16-bit PCM WAV holding a sine tone. */
export function writeToneWav(path: string, opts: ToneOptions): void {
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const peak = Math.round((opts.amplitude ?? 0.5) * 32767);
  const count = Math.round(opts.seconds * rate);
  const samples = new Int16Array(count);
  const step = (2 * Math.PI * opts.frequency) / rate;
  for (let i = 0; i < count; i++) samples[i] = Math.round(peak * Math.sin(step * i));
  writeFileSync(path, encodeWav(samples, rate));
}

/** A RIFF/WAVE file of mono 16-bit little-endian PCM. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const data = samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + data, 4);
  out.write("WAVE", 8, "ascii");
  out.write("fmt ", 12, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write("data", 36, "ascii");
  out.writeUInt32LE(data, 40);
  const pcm = new Int16Array(out.buffer, out.byteOffset + 44, samples.length);
  pcm.set(samples); // WAV is little-endian, as is every machine this runs on
  return out;
}

export interface Wav {
  sampleRate: number;
  channels: number;
  /** First channel only, as floats in -1..1. */
  samples: Float64Array;
}

export class WavFormatError extends Error {
  override name = "WavFormatError";
}

/** Reads a 16-bit PCM WAV, walking the RIFF chunks to find `fmt ` and `data`. */
export function readWav(path: string): Wav {
  return decodeWav(readFileSync(path));
}

export function decodeWav(buf: Buffer): Wav {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new WavFormatError("not a RIFF/WAVE file");
  }
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString("ascii", at, at + 4);
    let size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    // A writer that never finalised its header (killed mid-call) leaves 0 or a too-large size.
    if (id === "data" && (size === 0 || body + size > buf.length)) size = buf.length - body;
    if (body + size > buf.length) throw new WavFormatError(`chunk '${id}' runs past the end of the file`);
    if (id === "fmt ") {
      if (size < 16) throw new WavFormatError("fmt chunk too short");
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      data = buf.subarray(body, body + size);
    }
    at = body + size + (size & 1); // chunks are padded to even sizes
  }
  if (fmt === undefined) throw new WavFormatError("no fmt chunk");
  if (data === undefined) throw new WavFormatError("no data chunk");
  // WAVE_FORMAT_EXTENSIBLE (0xfffe) carries PCM too; its sub-format is not checked here.
  if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) {
    throw new WavFormatError(`only 16-bit PCM is supported (format ${fmt.format}, ${fmt.bits} bits)`);
  }
  const frame = 2 * fmt.channels;
  const count = Math.floor(data.length / frame);
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) samples[i] = data.readInt16LE(i * frame) / 32768;
  return { sampleRate: fmt.rate, channels: fmt.channels, samples };
}

export interface ToneAnalysis {
  /** Root mean square of the window, 0..1 of full scale (a full-scale sine is ~0.707). */
  rms: number;
  /** Per asked frequency: the RMS amplitude of that component (same scale as `rms`). */
  power: Map<number, number>;
  seconds: number;
}

export interface AnalyseWindow {
  fromSeconds?: number;
  toSeconds?: number;
  /**
   * Goertzel block length. Short blocks (default 50 ms, a 20 Hz wide bin at 8 kHz) keep the
   * measure robust to the phase jumps a jitter buffer or packet loss puts in received audio.
   */
  blockSeconds?: number;
}

/**
 * Goertzel filters at the given frequencies over a window of the file, block by block, the
 * block energies averaged. A pure sine of amplitude a gives ~a/√2 at its own frequency and
 * ~0 at a frequency a few bins away.
 */
export function analyse(wav: Wav, frequencies: readonly number[], window: AnalyseWindow = {}): ToneAnalysis {
  const { samples, sampleRate } = wav;
  const start = Math.max(0, Math.floor((window.fromSeconds ?? 0) * sampleRate));
  const end = Math.min(samples.length, Math.floor((window.toSeconds ?? Infinity) * sampleRate));
  const n = Math.max(0, end - start);
  const block = Math.max(16, Math.round((window.blockSeconds ?? 0.05) * sampleRate));
  let sumSquares = 0;
  for (let i = start; i < end; i++) sumSquares += (samples[i] ?? 0) ** 2;
  const power = new Map<number, number>();
  for (const f of frequencies) {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
    let energy = 0;
    let blocks = 0;
    for (let from = start; from + block <= end; from += block) {
      let s1 = 0;
      let s2 = 0;
      for (let i = from; i < from + block; i++) {
        const s0 = (samples[i] ?? 0) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      // |X(f)|² = (block·a/2)² for a sine of amplitude a; a²/2 is its mean square.
      energy += (2 * Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / (block * block);
      blocks++;
    }
    power.set(f, blocks === 0 ? 0 : Math.sqrt(energy / blocks));
  }
  return { rms: n === 0 ? 0 : Math.sqrt(sumSquares / n), power, seconds: n / sampleRate };
}

/**
 * Why a recording of received audio is not "the `expected` tone, clearly, and not `other`":
 * undefined when it is. The first half second (set-up, jitter buffer filling) and the last
 * 0.2 s (hang-up) are left out. Thresholds assume a tone sent at 0.4 of full scale.
 */
export function whyNotHeard(wavPath: string, expected: number, other: number): string | undefined {
  const wav = readWav(wavPath);
  const seconds = wav.samples.length / wav.sampleRate;
  const a = analyse(wav, [expected, other], { fromSeconds: 0.5, toSeconds: seconds - 0.2 });
  const want = a.power.get(expected) ?? 0;
  const unwanted = a.power.get(other) ?? 0;
  const facts = `${seconds.toFixed(2)} s, rms ${a.rms.toFixed(3)}, ${expected} Hz ${want.toFixed(3)}, ${other} Hz ${unwanted.toFixed(4)}`;
  if (seconds < 2) return `too short a recording: ${facts}`;
  if (a.rms < 0.05) return `silence: ${facts}`;
  // Sent at rms 0.28; G.711 keeps it within a few per cent.
  if (want < 0.15) return `the expected tone is missing or weak: ${facts}`;
  if (want < 20 * unwanted) return `the other tone is there too: ${facts}`;
  // Nearly all the energy is the tone: no noise, no garbled or chopped audio.
  if (want < 0.8 * a.rms) return `the tone is not most of the signal: ${facts}`;
  return undefined;
}
