import { createHash } from "node:crypto";
import type { CdrCheckpoint, CdrRecord } from "@centrex/store";

/** The predecessor hash of a chain's first record. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The canonical serialisation a record's hash covers: a versioned JSON array in fixed order.
 * JSON of strings, integers and nulls has exactly one form, so any reader recomputes the same
 * bytes. Node and seq are inside, so a record cannot be moved within or between chains.
 */
export function canonicalCdr(r: Omit<CdrRecord, "hash" | "sig">): string {
  // A transferred call's record (cdr/2) also covers the link to the call it came from; every
  // other record keeps the cdr/1 form, so records written before the link existed still verify.
  const link = r.transferredFrom ?? null;
  return JSON.stringify([
    link === null ? "cdr/1" : "cdr/2",
    r.node,
    r.seq,
    r.prevHash,
    r.customerId,
    r.extension,
    r.callId,
    r.direction,
    r.caller,
    r.dialled,
    r.called,
    r.destinationClass,
    r.carrier,
    r.startedAt,
    r.answeredAt,
    r.endedAt,
    r.billableMs,
    r.disposition,
    r.sipStatus,
    r.reason,
    ...(link === null ? [] : [link]),
  ]);
}

export function hashCdr(r: Omit<CdrRecord, "hash" | "sig">): string {
  return createHash("sha256").update(canonicalCdr(r)).digest("hex");
}

/** What a record's signature covers (its hash covers everything else). */
export const recordSigText = (hash: string): string => `cdr-sig/1:${hash}`;

/** What a checkpoint's signature covers. */
export const checkpointSigText = (cp: Omit<CdrCheckpoint, "sig">): string =>
  `cdr-checkpoint/1:${cp.node}:${cp.seq}:${cp.hash}:${cp.reason}:${cp.at}`;
