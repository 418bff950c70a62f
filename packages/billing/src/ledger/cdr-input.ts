import type { DestinationClass } from "@centrex/dialplan";
import type { CdrDirection } from "@centrex/store";
import { CdrInputError } from "../errors.js";

/** Classes beyond the dialplan's PSTN classes that a record can carry. */
export type CdrClass = DestinationClass | "internal" | "emergency" | "support" | "inbound" | "invalid";

/**
 * How an attempt ended: answered, busy (486/600), no-answer (480/408 or ring timeout),
 * cancelled (caller hung up while ringing), failed (any other final status, in `sipStatus`),
 * refused (by policy before routing completed, `reason` = the dialplan refusal code),
 * interrupted (the node stopped while the call was up; closed on restart).
 */
export const DISPOSITIONS = [
  "answered",
  "busy",
  "no-answer",
  "cancelled",
  "failed",
  "refused",
  "interrupted",
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** What the proxy hands the ledger when a call attempt that reached routing ends. Times: epoch ms, UTC. */
export interface CdrInput {
  callId: string;
  /** The customer the record belongs to (the caller's, or the called DID's for inbound). */
  customerId: number | null;
  extension?: string | null;
  direction: CdrDirection;
  caller: string;
  /** As dialled (with any PIN prefix removed: a PIN never reaches a record). */
  dialled: string;
  /** Normalised: E.164 for PSTN, the extension number for internal calls. */
  called?: string | null;
  destinationClass: CdrClass;
  carrier?: string | null;
  startedAt: number;
  answeredAt?: number | null;
  endedAt: number;
  disposition: Disposition;
  /** Final SIP status; required for `failed`. */
  sipStatus?: number | null;
  /** Refusal code for `refused`; free text otherwise. */
  reason?: string | null;
  /** The Call-ID of the call this one was transferred from (a REFER's new call). */
  transferredFrom?: string | null;
}

const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Checks an input and derives the billable duration (answer to end, ms; 0 when not answered). */
export function normaliseCdrInput(i: CdrInput): Required<{
  [K in keyof CdrInput]: Exclude<CdrInput[K], undefined>;
}> & {
  billableMs: number;
} {
  if (typeof i.callId !== "string" || i.callId === "")
    throw new CdrInputError("callId is required", "callId");
  if (!isTime(i.startedAt)) throw new CdrInputError("startedAt must be epoch ms", "startedAt");
  if (!isTime(i.endedAt) || i.endedAt < i.startedAt)
    throw new CdrInputError("endedAt must be epoch ms, not before startedAt", "endedAt");
  const answeredAt = i.answeredAt ?? null;
  if (answeredAt !== null && (!isTime(answeredAt) || answeredAt < i.startedAt || answeredAt > i.endedAt))
    throw new CdrInputError("answeredAt must lie between startedAt and endedAt", "answeredAt");
  if (!(DISPOSITIONS as readonly string[]).includes(i.disposition))
    throw new CdrInputError(`unknown disposition ${String(i.disposition)}`, "disposition");
  if (i.disposition === "answered" && answeredAt === null)
    throw new CdrInputError("an answered call needs answeredAt", "answeredAt");
  if (i.disposition === "failed" && (i.sipStatus == null || i.sipStatus < 300 || i.sipStatus > 699))
    throw new CdrInputError("a failed call needs its final SIP status (300-699)", "sipStatus");
  if (i.disposition === "refused" && !i.reason)
    throw new CdrInputError("a refused call needs the refusal reason", "reason");
  if (i.transferredFrom != null && (typeof i.transferredFrom !== "string" || i.transferredFrom === ""))
    throw new CdrInputError("transferredFrom must be a Call-ID or null", "transferredFrom");
  if (i.customerId !== null && !Number.isSafeInteger(i.customerId))
    throw new CdrInputError("customerId must be an integer or null", "customerId");
  const billableMs =
    answeredAt !== null && (i.disposition === "answered" || i.disposition === "interrupted")
      ? i.endedAt - answeredAt
      : 0;
  return {
    callId: i.callId,
    customerId: i.customerId,
    extension: i.extension ?? null,
    direction: i.direction,
    caller: i.caller,
    dialled: i.dialled,
    called: i.called ?? null,
    destinationClass: i.destinationClass,
    carrier: i.carrier ?? null,
    startedAt: i.startedAt,
    answeredAt,
    endedAt: i.endedAt,
    disposition: i.disposition,
    sipStatus: i.sipStatus ?? null,
    reason: i.reason ?? null,
    transferredFrom: i.transferredFrom ?? null,
    billableMs,
  };
}
