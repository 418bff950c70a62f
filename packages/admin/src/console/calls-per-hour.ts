import type { Store } from "@centrex/store";

const HOUR = 3_600_000;

export interface HourCount {
  /** The UTC hour's start, ISO 8601. */
  readonly hour: string;
  readonly calls: number;
  readonly answered: number;
}

/**
 * Calls started in each of the last 24 UTC hours (the current one last, hours without calls
 * as zeros), from the call records: what ended is counted, a call in progress is not yet.
 */
export async function callsPerHour(store: Store, now: number, customerId?: number): Promise<HourCount[]> {
  const first = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const rows = await store.cdrs.hours({
    from: first,
    to: first + 24 * HOUR,
    ...(customerId !== undefined && { customerId }),
  });
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  const out: HourCount[] = [];
  for (let h = first; h < first + 24 * HOUR; h += HOUR) {
    const r = byHour.get(h);
    out.push({ hour: new Date(h).toISOString(), calls: r?.calls ?? 0, answered: r?.answered ?? 0 });
  }
  return out;
}
