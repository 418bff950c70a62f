/** 16-bit PCM mono WAV at 8 kHz: how messages and greetings are kept (any player reads them). */
export const SAMPLE_RATE = 8000;

export function encodeWav(samples: Int16Array): Buffer {
  const data = samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + data, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(SAMPLE_RATE, 24);
  out.writeUInt32LE(SAMPLE_RATE * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] as number, 44 + 2 * i);
  return out;
}

/** Reads back what `encodeWav` wrote (8 kHz 16-bit mono); throws on anything else. */
export function decodeWav(buf: Buffer): Int16Array {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let at = 12;
  let format: { rate: number; channels: number; bits: number } | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString("ascii", at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === "fmt ") {
      format = {
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (
        format === undefined ||
        format.rate !== SAMPLE_RATE ||
        format.channels !== 1 ||
        format.bits !== 16
      ) {
        throw new Error("only 8 kHz 16-bit mono PCM is kept");
      }
      const end = Math.min(buf.length, body + size);
      const out = new Int16Array(Math.floor((end - body) / 2));
      for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(body + 2 * i);
      return out;
    }
    at = body + size + (size & 1);
  }
  throw new Error("no data chunk");
}
