/**
 * G.711 (ITU-T G.711) µ-law and A-law: 8-bit companded samples at 8 kHz, the
 * codecs every desk phone offers. Decoding is a table lookup; encoding a few
 * integer operations per sample.
 */
export type Law = "mu" | "a";

const MU_BIAS = 0x84;
const MU_CLIP = 32635;

export function muLawEncode(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > MU_CLIP) s = MU_CLIP;
  s += MU_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function muLawDecodeOne(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + MU_BIAS) << exponent) - MU_BIAS;
  return sign !== 0 ? -magnitude : magnitude;
}

export function aLawEncode(sample: number): number {
  let s = sample;
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) {
    out = s >> 4;
  } else {
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    out = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

function aLawDecodeOne(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if ((a & 0x80) === 0) magnitude = -magnitude;
  return magnitude;
}

const MU_TABLE = Int16Array.from({ length: 256 }, (_, i) => muLawDecodeOne(i));
const A_TABLE = Int16Array.from({ length: 256 }, (_, i) => aLawDecodeOne(i));

/** Companded bytes to linear 16-bit samples. */
export function decodeG711(law: Law, bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  const table = law === "mu" ? MU_TABLE : A_TABLE;
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}

/** Linear 16-bit samples to companded bytes. */
export function encodeG711(law: Law, samples: Int16Array, out = Buffer.allocUnsafe(samples.length)): Buffer {
  const enc = law === "mu" ? muLawEncode : aLawEncode;
  for (let i = 0; i < samples.length; i++) out[i] = enc(samples[i] as number);
  return out;
}
