import { createHmac, timingSafeEqual } from "node:crypto";
import { DnsProtocolError, TsigVerificationError } from "./errors.js";
import { canonicalName } from "./names.js";
import { CLASS, TYPE, WireFormatError, WireReader, WireWriter } from "./wire.js";

export type TsigAlgorithm = "hmac-sha256";

export interface TsigKey {
  /** Key name as configured on the server (e.g. `centrex-update`). */
  name: string;
  /** Only HMAC-SHA256 is offered: RFC 8945 makes it mandatory to implement, and MD5/SHA1 are legacy. */
  algorithm?: TsigAlgorithm | undefined;
  /** The shared secret, base64 as in knot.conf / named.conf / tsig-keygen output. */
  secret: string;
}

/** Default time window the server accepts between its clock and our "time signed" (RFC 8945 §10). */
export const DEFAULT_TSIG_FUDGE = 300;

const HASH: Record<TsigAlgorithm, string> = { "hmac-sha256": "sha256" };

/** The parsed TSIG record of a message, and where it started (so it can be cut off for verification). */
export interface TsigRecord {
  offset: number;
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function writeVariables(
  w: WireWriter,
  keyName: string,
  algorithm: string,
  timeSigned: number,
  fudge: number,
  error: number,
  other: Buffer,
): void {
  // RFC 8945 §4.3.3: names in canonical (uncompressed, lower case) wire form.
  w.name(keyName, false);
  w.u16(CLASS.ANY);
  w.u32(0);
  w.name(algorithm, false);
  w.u48(timeSigned);
  w.u16(fudge);
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
}

function hmac(key: TsigKey): ReturnType<typeof createHmac> {
  return createHmac(HASH[key.algorithm ?? "hmac-sha256"], Buffer.from(key.secret, "base64"));
}

/**
 * Signs a complete message (header counts already final, no TSIG yet): appends the TSIG RR and bumps
 * ARCOUNT. Returns the signed message and the MAC, which verifying the response needs.
 */
export function signMessage(
  msg: Buffer,
  key: TsigKey,
  timeSigned = Math.floor(Date.now() / 1000),
  fudge = DEFAULT_TSIG_FUDGE,
): { message: Buffer; mac: Buffer } {
  const keyName = canonicalName(key.name);
  const algorithm = key.algorithm ?? "hmac-sha256";
  const vars = new WireWriter(128);
  writeVariables(vars, keyName, algorithm, timeSigned, fudge, 0, Buffer.alloc(0));
  const mac = hmac(key).update(msg).update(vars.buf.subarray(0, vars.off)).digest();

  const w = new WireWriter(msg.length + 128);
  w.bytes(msg);
  w.name(keyName, false);
  w.u16(TYPE.TSIG);
  w.u16(CLASS.ANY);
  w.u32(0);
  const at = w.beginLength();
  w.name(algorithm, false);
  w.u48(timeSigned);
  w.u16(fudge);
  w.u16(mac.length);
  w.bytes(mac);
  w.u16(msg.readUInt16BE(0));
  w.u16(0);
  w.u16(0);
  w.endLength(at);
  const message = w.toBuffer();
  message.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message, mac };
}

/** Finds and parses the TSIG RR, which must be the last additional record; undefined if there is none. */
export function findTsig(msg: Buffer): TsigRecord | undefined {
  try {
    const r = new WireReader(msg);
    r.off = 4;
    const qd = r.u16();
    const an = r.u16();
    const ns = r.u16();
    const ar = r.u16();
    for (let i = 0; i < qd; i++) {
      r.skipName();
      r.u32();
    }
    let last: TsigRecord | undefined;
    for (let i = 0; i < an + ns + ar; i++) {
      const offset = r.off;
      const owner = r.name();
      const type = r.u16();
      r.u16();
      r.u32();
      const rdlen = r.u16();
      const end = r.off + rdlen;
      if (type === TYPE.TSIG) {
        if (i !== an + ns + ar - 1) throw new DnsProtocolError("TSIG record is not the last record");
        const algorithm = r.name();
        const timeSigned = r.u48();
        const fudge = r.u16();
        const mac = Buffer.from(r.bytes(r.u16()));
        const originalId = r.u16();
        const error = r.u16();
        const other = Buffer.from(r.bytes(r.u16()));
        if (r.off !== end) throw new DnsProtocolError("TSIG RDATA length mismatch");
        last = { offset, keyName: owner, algorithm, timeSigned, fudge, mac, originalId, error, other };
      } else {
        r.bytes(rdlen);
      }
    }
    return last;
  } catch (err) {
    if (err instanceof WireFormatError) throw new DnsProtocolError(`malformed response: ${err.message}`);
    throw err;
  }
}

/**
 * Verifies a response's TSIG against the request MAC (RFC 8945 §5.3.4 / §4.3.3): key and algorithm match,
 * the MAC over request MAC + response-without-TSIG + TSIG variables is right, and the time is within
 * fudge. Throws TsigVerificationError otherwise.
 */
export function verifyResponse(
  msg: Buffer,
  tsig: TsigRecord | undefined,
  key: TsigKey,
  requestMac: Buffer,
  now = Math.floor(Date.now() / 1000),
): void {
  if (tsig === undefined) throw new TsigVerificationError("response is not signed");
  const keyName = canonicalName(key.name);
  const algorithm = key.algorithm ?? "hmac-sha256";
  if (tsig.keyName !== keyName) throw new TsigVerificationError(`response signed with key ${tsig.keyName}`);
  if (tsig.algorithm !== algorithm) throw new TsigVerificationError(`response algorithm ${tsig.algorithm}`);
  const stripped = Buffer.from(msg.subarray(0, tsig.offset));
  stripped.writeUInt16BE(tsig.originalId, 0);
  stripped.writeUInt16BE(stripped.readUInt16BE(10) - 1, 10);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(requestMac.length, 0);
  const vars = new WireWriter(128);
  writeVariables(vars, keyName, algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other);
  const expected = hmac(key)
    .update(prefix)
    .update(requestMac)
    .update(stripped)
    .update(vars.buf.subarray(0, vars.off))
    .digest();
  if (tsig.mac.length !== expected.length || !timingSafeEqual(tsig.mac, expected)) {
    throw new TsigVerificationError("response TSIG MAC does not verify");
  }
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) {
    throw new TsigVerificationError("response TSIG time is outside the fudge window");
  }
}
