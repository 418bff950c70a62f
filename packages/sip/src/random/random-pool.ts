import { randomFillSync } from "node:crypto";

/**
 * Cryptographically random bytes for tags, branches and Call-IDs, drawn from a pool refilled
 * 4 KiB at a time: `randomBytes(6)` costs ~10 µs per call whatever the size (measured on the
 * bench machine), and a forwarded call needs several. Every byte is handed out once.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let offset = POOL_SIZE;

function take(bytes: number): number {
  if (bytes > POOL_SIZE) throw new RangeError(`at most ${POOL_SIZE} random bytes at once`);
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** `bytes` random bytes as lowercase hex (2 characters each). */
export function randomHex(bytes: number): string {
  const at = take(bytes);
  return pool.toString("hex", at, at + bytes);
}

/** `bytes` random bytes as base64url (no padding; 4 characters per 3 bytes). */
export function randomBase64url(bytes: number): string {
  const at = take(bytes);
  return pool.toString("base64url", at, at + bytes);
}
