import * as crypto from "node:crypto";

type HashOutput = "hex" | "binary";

/**
 * `crypto.hash` (Node ≥ 20.12): one call into native code for a short input, where
 * `createHash().update().digest()` makes a Hash object and three calls — measured on this
 * machine: MD5 of a 30-byte string 0.27 µs against 1.0 µs. Older Node gets the long form.
 */
const oneShot: (algorithm: string, data: string | Buffer, output: HashOutput) => string =
  typeof crypto.hash === "function"
    ? (algorithm, data, output) => crypto.hash(algorithm, data, output)
    : (algorithm, data, output) => crypto.createHash(algorithm).update(data).digest(output);

/** Hex digest of `data` (a string is hashed as UTF-8). */
export function hashHex(algorithm: "md5" | "sha256", data: string | Buffer): string {
  return oneShot(algorithm, data, "hex");
}

/** Raw digest as a latin1 string (one char per byte): cheaper to produce than a Buffer. */
export function hashLatin1(algorithm: "md5" | "sha256", data: Buffer): string {
  return oneShot(algorithm, data, "binary");
}
