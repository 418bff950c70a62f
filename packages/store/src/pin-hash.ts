import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/*
 * PIN hashes: "scrypt$N$r$p$<salt hex>$<hash hex>". A 4-digit code has only 10 000 values, so
 * no hash makes an offline search impossible; scrypt with a per-row salt makes it cost minutes
 * per PIN rather than microseconds, and keeps codes out of plain sight in backups and logs.
 * Parameters are stored in the row so they can be raised later without invalidating old PINs.
 * Async scrypt runs on the libuv pool, never blocking the SIP event loop.
 */

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function derive(pin: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, KEYLEN, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * A PIN already hashed, so a write that must run inside a store transaction (which may not
 * wait on the libuv pool) can be prepared before it: `PinRepository.hash`, then `create`/`change`.
 */
export class HashedPin {
  readonly #hash: string;
  constructor(hash: string) {
    this.#hash = hash;
  }
  /** The stored form; never the code. */
  get stored(): string {
    return this.#hash;
  }
}

export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(pin, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("hex")}$${key.toString("hex")}`;
}

export async function verifyPinHash(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const n = Number(parts[1]);
  const r = Number(parts[2]);
  const p = Number(parts[3]);
  const salt = Buffer.from(parts[4]!, "hex");
  const expected = Buffer.from(parts[5]!, "hex");
  const key = await derive(pin, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
