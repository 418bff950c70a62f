import { randomFillSync, timingSafeEqual } from "node:crypto";
import { HmacSha256 } from "../hash/index.js";

export type NonceVerdict = "valid" | "stale" | "invalid";

export interface NonceServiceOptions {
  /** How long a nonce is accepted; after that it is "stale" (challenge again with stale=true). */
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
  /** How far in the future a timestamp may be (clock skew between nodes sharing the secret), default 5 s. */
  readonly maxSkewMs?: number;
  /** Nonces whose last nonce-count is remembered for replay detection, default 100 000. */
  readonly maxTrackedNonces?: number;
}

const TS_BYTES = 6; // milliseconds, good until year 10889
const RANDOM_BYTES = 12;
const MAC_BYTES = 32;
const RAW_BYTES = TS_BYTES + RANDOM_BYTES + MAC_BYTES;
// base64url without padding of RAW_BYTES bytes.
const NONCE_CHARS = Math.ceil((RAW_BYTES * 4) / 3);
// The last character carries 4 bits and 2 unused ones, which a decoder ignores: only the canonical
// spelling (unused bits zero) is accepted, or one nonce would have 4 spellings — 4 keys for the
// nonce-count replay check, and a one-character change that still verifies.
const NONCE_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${NONCE_CHARS - 1}}[AEIMQUYcgkosw048]$`);
// randomFillSync costs a few microseconds per call whatever the size: draw for 512 nonces at once.
const POOL_BYTES = RANDOM_BYTES * 512;
/** A request's retransmissions over UDP span 64*T1 = 32 s (RFC 3261 §17.1.2.2). */
const RETRANSMIT_WINDOW_MS = 32_000;

/**
 * Stateless digest nonces: base64url(timestamp | random | HMAC-SHA256(secret, timestamp |
 * random | realm)). Any node holding the secret (after a restart, or a standby) can tell a
 * nonce it issued from a forged one, and an expired one from both, without storing anything.
 */
export class NonceService {
  private readonly hmac: HmacSha256;
  /** Scratch for the MAC a nonce is checked against. */
  private readonly expected = Buffer.alloc(MAC_BYTES);
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly maxSkewMs: number;
  private readonly maxTracked: number;
  /** nonce → highest nonce-count seen; insertion order gives the eviction order. */
  private readonly counts = new Map<string, number>();
  /** Random bytes not handed out yet: `pool[poolOffset..]`. */
  private readonly pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  private poolOffset = POOL_BYTES;

  constructor(secret: Buffer, options: NonceServiceOptions) {
    if (secret.length < 16) throw new RangeError("nonce secret must be at least 16 bytes");
    this.hmac = new HmacSha256(Buffer.from(secret));
    this.ttlMs = options.ttlSeconds * 1000;
    this.clock = options.clock ?? Date.now;
    this.maxSkewMs = options.maxSkewMs ?? 5_000;
    this.maxTracked = options.maxTrackedNonces ?? 100_000;
  }

  /**
   * A fresh nonce for a challenge in `realm`. With `request` (what identifies the challenged
   * request: its top Via, From, Call-ID, CSeq), the challenge is sent statelessly and must be
   * the same bytes when the request is retransmitted, as a transaction's resent response would
   * be (clients such as SIPp drop an identical response as a retransmission, but take another
   * nonce for a new, unexpected answer): the "random" part is then a keyed hash of the request
   * and the timestamp the start of its RETRANSMIT_WINDOW_MS window, so the nonce is as
   * unguessable as a random one, different for every other request, and up to one window older.
   */
  create(realm: string, now: number = this.clock(), request?: string): string {
    const raw = Buffer.allocUnsafe(RAW_BYTES);
    if (request !== undefined) {
      const windowStart = Math.max(0, Math.floor(now / RETRANSMIT_WINDOW_MS) * RETRANSMIT_WINDOW_MS);
      raw.writeUIntBE(windowStart, 0, TS_BYTES);
      this.hmac.macInto("request\n", raw.subarray(0, TS_BYTES), request, raw, TS_BYTES, RANDOM_BYTES);
    } else {
      raw.writeUIntBE(Math.max(0, Math.floor(now)), 0, TS_BYTES);
      if (this.poolOffset === POOL_BYTES) {
        randomFillSync(this.pool);
        this.poolOffset = 0;
      }
      this.pool.copy(raw, TS_BYTES, this.poolOffset, this.poolOffset + RANDOM_BYTES);
      this.poolOffset += RANDOM_BYTES;
    }
    this.hmac.macInto("", raw.subarray(0, TS_BYTES + RANDOM_BYTES), realm, raw, TS_BYTES + RANDOM_BYTES);
    return raw.toString("base64url");
  }

  /**
   * "valid": issued by a holder of the secret for this realm, within the TTL. "stale": genuine
   * but expired. "invalid": malformed, tampered, another secret or realm, or from the future.
   */
  verify(nonce: string, realm: string, now: number = this.clock()): NonceVerdict {
    if (!NONCE_SHAPE.test(nonce)) return "invalid";
    const raw = Buffer.from(nonce, "base64url");
    if (raw.length !== RAW_BYTES) return "invalid";
    const expected = this.expected;
    this.hmac.macInto("", raw.subarray(0, TS_BYTES + RANDOM_BYTES), realm, expected, 0);
    if (!timingSafeEqual(expected, raw.subarray(TS_BYTES + RANDOM_BYTES))) return "invalid";
    const issued = raw.readUIntBE(0, TS_BYTES);
    if (issued > now + this.maxSkewMs) return "invalid";
    return now - issued > this.ttlMs ? "stale" : "valid";
  }

  /**
   * Replay check for qop credentials: the nonce-count (8 hex digits) must grow for each use of
   * a nonce. Memory is bounded: the oldest nonces are forgotten first (a forgotten nonce accepts
   * any count again, which the TTL still bounds).
   */
  acceptNonceCount(nonce: string, nc: string): boolean {
    if (!/^[0-9a-fA-F]{8}$/.test(nc)) return false;
    const count = Number.parseInt(nc, 16);
    const last = this.counts.get(nonce);
    if (last !== undefined && count <= last) return false;
    if (last !== undefined) this.counts.delete(nonce);
    else if (this.counts.size >= this.maxTracked) {
      const oldest = this.counts.keys().next();
      if (oldest.done !== true) this.counts.delete(oldest.value);
    }
    // The key is kept for the nonce's lifetime: a copy of its own, not the parsed slice, which
    // would keep the whole Authorization header value alive (measured: ~270 B per phone).
    this.counts.set(ownCopy(nonce), count);
    return true;
  }

  /** Nonces currently remembered by {@link acceptNonceCount}. */
  get trackedNonces(): number {
    return this.counts.size;
  }
}

/** A flat copy of `s` (a substring of a longer string otherwise shares, and retains, its parent). */
function ownCopy(s: string): string {
  return Buffer.from(s, "utf8").toString("utf8");
}
