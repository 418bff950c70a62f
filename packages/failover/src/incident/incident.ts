import type { HolidayOptions } from "./calendar.js";
import { addBusinessMs, businessMsBetween, parisQuarter } from "./calendar.js";

/** Repair commitment: 2 business hours from the report (service terms rule 21). */
export const REPAIR_COMMITMENT_MS = 2 * 3_600_000;

export type IncidentOrigin = "detection" | "customer-report";

/** An incident ticket as opened by a switch-over or a customer report (22 22 call, email). */
export interface Incident {
  id: string;
  /** What opened it first. */
  origin: IncidentOrigin;
  /** When the failure was detected by the health checks (first missed round), if it was. */
  detectedAt?: number;
  /** When the customer reported it (call to 22 22 or email received), if they did. */
  reportedAt?: number;
  /** When service was restored (the switch completed, or the repair); undefined while open. */
  resolvedAt?: number;
  /** The customer's monthly subscription, the unit compensation is counted in (cents). */
  monthlySubscriptionCents: number;
  note?: string;
}

export interface IncidentAssessment {
  /** The clock starts at the earliest of detection and report. */
  start: number;
  /** Repair deadline: start + 2 business hours. */
  deadline: number;
  /** Business time elapsed from start to resolution (or to `asOf` while open). */
  businessMs: number;
  /** Whether the 2-hour commitment was met; undefined while open and not yet late. */
  met: boolean | undefined;
  /** Calendar quarter (Paris) the incident counts in. */
  quarter: string;
  /** 1 for the first miss in the quarter, 2 for the second…; 0 when met. */
  missRank: number;
  /** Most compensation owed: 1 month of subscription for the first miss in a quarter, 3 from the second. */
  compensationCapCents: number;
}

export class IncidentError extends Error {
  override name = "IncidentError";
}

export function incidentStart(i: Incident): number {
  const times = [i.detectedAt, i.reportedAt].filter((t): t is number => t !== undefined);
  if (times.length === 0) throw new IncidentError(`incident ${i.id} has neither detection nor report time`);
  return Math.min(...times);
}

/** Compensation ceiling for the n-th miss (1-based) in one calendar quarter. */
export function compensationCap(monthlySubscriptionCents: number, missRank: number): number {
  if (missRank <= 0) return 0;
  return monthlySubscriptionCents * (missRank === 1 ? 1 : 3);
}

/**
 * Assesses one incident, given the customer's other incidents (any order, any quarter) so the
 * rank of a miss within its quarter is known. `asOf` is "now" for an open incident.
 */
export function assessIncident(
  incident: Incident,
  others: readonly Incident[] = [],
  opts: HolidayOptions & { asOf?: number } = {},
): IncidentAssessment {
  const start = incidentStart(incident);
  const deadline = addBusinessMs(start, REPAIR_COMMITMENT_MS, opts);
  const end = incident.resolvedAt ?? opts.asOf;
  const businessMs = end === undefined ? 0 : businessMsBetween(start, end, opts);
  const missed = (i: Incident): boolean =>
    i.resolvedAt !== undefined && i.resolvedAt > addBusinessMs(incidentStart(i), REPAIR_COMMITMENT_MS, opts);
  let met: boolean | undefined;
  if (incident.resolvedAt !== undefined) met = incident.resolvedAt <= deadline;
  else if (opts.asOf !== undefined && opts.asOf > deadline) met = false;
  const quarter = parisQuarter(start);
  let missRank = 0;
  if (met === false) {
    missRank = 1;
    for (const o of others) {
      if (o.id === incident.id || parisQuarter(incidentStart(o)) !== quarter) continue;
      const s = incidentStart(o);
      if ((s < start || (s === start && o.id < incident.id)) && missed(o)) missRank++;
    }
  }
  return {
    start,
    deadline,
    businessMs,
    met,
    quarter,
    missRank,
    compensationCapCents: compensationCap(incident.monthlySubscriptionCents, missRank),
  };
}

/**
 * The ticket a switch-over opens: detected at the first missed round, resolved when the DNS name
 * pointed at the standby (service is back for phones as they re-resolve). `reason: "failback"`
 * is a planned switch, not a failure: no ticket for it.
 */
export function incidentFromTakeover(
  e: { reason: string; detectedAt: number; promotedAt: number; dnsSwitchedAt: number | undefined },
  id: string,
  monthlySubscriptionCents: number,
): Incident | undefined {
  if (e.reason === "failback") return undefined;
  return {
    id,
    origin: e.reason === "missed-probes" ? "detection" : "customer-report",
    detectedAt: e.detectedAt,
    resolvedAt: e.dnsSwitchedAt ?? e.promotedAt,
    monthlySubscriptionCents,
    note: `switch-over (${e.reason})`,
  };
}
