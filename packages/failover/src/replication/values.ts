import { ReplicationProtocolError } from "./errors.js";

/** A SQLite value as read with `safeIntegers(true)`: INTEGER → bigint, REAL → number. */
export type SqlValue = null | bigint | number | string | Buffer;

/**
 * A SQLite value on the wire. JSON alone would lose what SQLite keeps apart: integers beyond
 * 2^53, INTEGER vs REAL (1 vs 1.0), BLOBs, ±Infinity. Strings, nulls and finite reals travel as
 * themselves; the rest as a one-key object.
 */
export type WireValue = null | number | string | { i: string } | { b: string } | { f: string };

export function encodeValue(v: SqlValue): WireValue {
  if (v === null || typeof v === "string") return v;
  if (typeof v === "bigint") return { i: v.toString() };
  if (typeof v === "number") return Number.isFinite(v) ? v : { f: String(v) };
  return { b: v.toString("base64") };
}

export function decodeValue(w: unknown): SqlValue {
  if (w === null || typeof w === "string" || typeof w === "number") return w;
  if (typeof w === "object") {
    const o = w as Record<string, unknown>;
    if (typeof o.i === "string") return BigInt(o.i);
    if (typeof o.b === "string") return Buffer.from(o.b, "base64");
    if (typeof o.f === "string") return Number(o.f);
  }
  throw new ReplicationProtocolError(`bad value on the wire: ${JSON.stringify(w)}`);
}

export const encodeRow = (row: readonly SqlValue[]): WireValue[] => row.map(encodeValue);

export function decodeRow(w: unknown): SqlValue[] {
  if (!Array.isArray(w)) throw new ReplicationProtocolError("row is not an array");
  return w.map(decodeValue);
}
