import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  analyse,
  decodeWav,
  encodeWav,
  readWav,
  WavFormatError,
  whyNotHeard,
  writeToneWav,
} from "./helpers/audio.js";

// The tone writer and detector the baresip tests judge received audio with: if these lie,
// the end-to-end audio checks prove nothing.
const dir = mkdtempSync(join(tmpdir(), "centrex-audio-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} not within ${tolerance} of ${expected}`,
  );
}

test("a written tone reads back as 8 kHz mono with its frequency and level", () => {
  const path = join(dir, "1000.wav");
  writeToneWav(path, { frequency: 1000, seconds: 1, amplitude: 0.5 });
  const raw = readFileSync(path);
  assert.is(raw.toString("ascii", 0, 4), "RIFF");
  assert.is(raw.readUInt32LE(24), 8000);
  const wav = readWav(path);
  assert.is(wav.sampleRate, 8000);
  assert.is(wav.channels, 1);
  assert.is(wav.samples.length, 8000);
  const a = analyse(wav, [1000, 2000, 1100]);
  near(a.rms, 0.5 / Math.SQRT2, 0.001, "rms");
  near(a.power.get(1000) ?? 0, 0.5 / Math.SQRT2, 0.002, "power at 1000 Hz");
  assert.ok((a.power.get(2000) ?? 1) < 0.001, "nothing at 2000 Hz");
  assert.ok((a.power.get(1100) ?? 1) < 0.01, "nothing 100 Hz off");
});

test("a mix of two tones shows both, each at its own level; silence shows nothing", () => {
  const n = 8000;
  const mix = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    mix[i] = Math.round(
      8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000) + 4000 * Math.sin((2 * Math.PI * 2000 * i) / 8000),
    );
  }
  const a = analyse(decodeWav(encodeWav(mix, 8000)), [1000, 2000]);
  near(a.power.get(1000) ?? 0, 8000 / 32768 / Math.SQRT2, 0.002, "1000 Hz");
  near(a.power.get(2000) ?? 0, 4000 / 32768 / Math.SQRT2, 0.002, "2000 Hz");
  const quiet = analyse(decodeWav(encodeWav(new Int16Array(n), 8000)), [1000]);
  assert.is(quiet.rms, 0);
  assert.is(quiet.power.get(1000), 0);
});

test("the window selects a part of the file", () => {
  const half = 4000;
  const s = new Int16Array(2 * half);
  for (let i = half; i < 2 * half; i++) s[i] = Math.round(10000 * Math.sin((2 * Math.PI * 2000 * i) / 8000));
  const wav = decodeWav(encodeWav(s, 8000));
  assert.is(analyse(wav, [2000], { toSeconds: 0.5 }).power.get(2000), 0);
  assert.ok((analyse(wav, [2000], { fromSeconds: 0.5 }).power.get(2000) ?? 0) > 0.2);
  assert.is(analyse(wav, [2000], { fromSeconds: 0.5 }).seconds, 0.5);
});

test("RIFF chunks are walked: LIST before data, odd sizes padded, unfinished data size", () => {
  const pcm = encodeWav(Int16Array.from([1000, -1000, 2000]), 8000);
  const fmt = pcm.subarray(12, 36);
  const data = pcm.subarray(36);
  const list = Buffer.concat([Buffer.from("LIST"), Buffer.from([3, 0, 0, 0]), Buffer.from("abc\0")]); // odd size + pad
  const body = Buffer.concat([Buffer.from("WAVE"), fmt, list, data]);
  const riff = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), body]);
  riff.writeUInt32LE(body.length, 4);
  const wav = decodeWav(riff);
  assert.equal(
    Array.from(wav.samples, (x) => Math.round(x * 32768)),
    [1000, -1000, 2000],
  );
  // A writer killed mid-call leaves the data size at 0: read to the end of the file.
  const unfinished = Buffer.from(riff);
  unfinished.writeUInt32LE(0, riff.length - data.length + 4);
  assert.is(decodeWav(unfinished).samples.length, 3);
});

test("not a PCM WAV: typed errors", () => {
  assert.throws(
    () => decodeWav(Buffer.from("hello world, not a wav")),
    (e: unknown) => e instanceof WavFormatError && /not a RIFF/.test(e.message),
  );
  const float = encodeWav(Int16Array.from([0, 0]), 8000);
  float.writeUInt16LE(3, 20); // IEEE float
  assert.throws(() => decodeWav(float), /only 16-bit PCM/);
  const noData = encodeWav(new Int16Array(0), 8000).subarray(0, 36);
  assert.throws(() => decodeWav(noData), /no data chunk/);
});

test("whyNotHeard: the right tone passes; the wrong one, silence or a short file say why", () => {
  const tone = (name: string, frequency: number, seconds: number, amplitude = 0.4) => {
    const path = join(dir, name);
    writeToneWav(path, { frequency, seconds, amplitude });
    return path;
  };
  assert.is(whyNotHeard(tone("ok.wav", 1000, 3), 1000, 2000), undefined);
  assert.match(String(whyNotHeard(tone("wrong.wav", 2000, 3), 1000, 2000)), /missing or weak/);
  assert.match(String(whyNotHeard(tone("quiet.wav", 1000, 3, 0), 1000, 2000)), /silence/);
  assert.match(String(whyNotHeard(tone("short.wav", 1000, 1), 1000, 2000)), /too short/);
  const both = new Int16Array(24000);
  for (let i = 0; i < both.length; i++) {
    both[i] = Math.round(
      9000 * Math.sin((2 * Math.PI * 1000 * i) / 8000) + 3000 * Math.sin((2 * Math.PI * 2000 * i) / 8000),
    );
  }
  writeFileSync(join(dir, "both.wav"), encodeWav(both, 8000));
  assert.match(String(whyNotHeard(join(dir, "both.wav"), 1000, 2000)), /other tone/);
});

test.run();
