import type { Refusal } from "./refusals.js";
import type { DestinationClass } from "./types.js";

/** The phone placing a call. Every outbound call comes from one of the operator's phones. */
export interface CallerContext {
  readonly customerId: string;
  readonly extension: string;
}

export interface InternalDecision {
  readonly kind: "internal";
  readonly extension: string;
}

export interface SupportDecision {
  readonly kind: "support";
  readonly number: string;
}

export interface EmergencyDecision {
  readonly kind: "emergency";
  /** The emergency number dialled ("15", "112"…). */
  readonly service: string;
  readonly serviceName: string;
  /**
   * Who picks the centre. "table": the operator's emergency table did (`centreNumber`, `e164`).
   * "carrier": no table is configured; the carrier gets the dialled short number and routes it
   * by the declared commune, which the call carries.
   */
  readonly routing: "table" | "carrier";
  /** Centre serving the declared commune, national form (10 digits); undefined when the carrier routes. */
  readonly centreNumber: string | undefined;
  readonly e164: string | undefined;
  /** The declared location (INSEE commune code and department). */
  readonly commune: string;
  readonly department: string;
  /** Never billed. */
  readonly charge: "free";
  /** The caller's real identity must be presented… */
  readonly presentation: "real-identity";
  /** …and a privacy request (anonymous call) must be ignored. */
  readonly privacyAllowed: false;
}

export interface PstnDecision {
  readonly kind: "pstn";
  /** What the carrier is asked to reach: E.164 ("+…") or a national short number ("3646"). */
  readonly number: string;
  /** Undefined for short numbers, which have no E.164 form. */
  readonly e164: string | undefined;
  readonly class: DestinationClass;
  /** International zone name, undefined inside the French plan. */
  readonly zone: string | undefined;
  readonly territory: string | undefined;
  /** Label of the PIN the caller dialled, if any. */
  readonly pinUsed: string | undefined;
}

export type Decision = InternalDecision | SupportDecision | EmergencyDecision | PstnDecision | Refusal;

export interface DeliverDecision {
  readonly kind: "deliver";
  readonly e164: string;
  readonly customerId: string;
  /** Whatever the DID points to in the store (extension, ring group…), passed through. */
  readonly target: string;
}

export type InboundDecision = DeliverDecision | Refusal;
