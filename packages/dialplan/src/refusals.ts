/**
 * Every way a call can be refused, each with its own SIP status and reason phrase, so that the
 * proxy answers with them and logs `code` next to the Call-ID.
 */
export const REFUSALS = {
  "emergency-location-not-declared": { status: 403, reason: "Emergency location not declared" },
  "emergency-centre-unknown": { status: 403, reason: "No emergency centre for declared commune" },
  "destination-barred": { status: 403, reason: "Destination barred" },
  "pin-required": { status: 403, reason: "PIN required" },
  "wrong-pin": { status: 403, reason: "Wrong PIN" },
  "pin-locked": { status: 403, reason: "PIN dialling locked" },
  "customer-suspended": { status: 403, reason: "Customer suspended" },
  "pstn-suspended": { status: 403, reason: "PSTN access suspended" },
  "invalid-number": { status: 404, reason: "Not a valid number" },
  "address-incomplete": { status: 484, reason: "Address Incomplete" },
  "support-not-reachable": { status: 403, reason: "Support line not reachable from outside" },
  "internal-not-reachable": { status: 403, reason: "Internal number not reachable from outside" },
  "number-not-assigned": { status: 404, reason: "Number not assigned" },
  "incoming-suspended": { status: 480, reason: "Service suspended" },
} as const satisfies Record<string, { readonly status: number; readonly reason: string }>;

export type RefusalCode = keyof typeof REFUSALS;

export interface Refusal {
  readonly kind: "refuse";
  readonly code: RefusalCode;
  readonly status: number;
  readonly reason: string;
  /** The operator must be told (emergency call failed, PIN lockout started…). */
  readonly alert: boolean;
  /** Free text for logs only; never sent on the wire. */
  readonly detail?: string;
}

export function refuse(code: RefusalCode, alert = false, detail?: string): Refusal {
  const r = REFUSALS[code];
  return detail === undefined
    ? { kind: "refuse", code, status: r.status, reason: r.reason, alert }
    : { kind: "refuse", code, status: r.status, reason: r.reason, alert, detail };
}
