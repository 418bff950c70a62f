import type { CdrRecord } from "@centrex/store";

/** Reference average from the service terms: 2 h 30 per phone per month (2008 data). */
export const REFERENCE_AVERAGE_SECONDS = 9000;

export interface FairUseCustomer {
  readonly customerId: number;
  /** Phones with an account: phones that made no call count, at zero. */
  readonly phones: number;
  readonly telecomProfessional: boolean;
  /** The classes the customer's plan has unlimited (none: not eligible). */
  readonly unlimited: ReadonlySet<string>;
  /** The month's records of this customer. */
  readonly records: readonly CdrRecord[];
}

export interface FairUseFlag {
  readonly customerId: number;
  /** Average seconds per phone across the other eligible customers (or the reference). */
  readonly averageSeconds: number;
  readonly limitSeconds: number;
  /** The phones over the limit, by extension, with their seconds. */
  readonly phones: readonly { readonly extension: string; readonly seconds: number }[];
}

export interface FairUseReport {
  /** Average seconds per phone across all eligible customers. */
  readonly averageSeconds: number;
  readonly flagged: readonly FairUseFlag[];
}

/** Seconds per phone (extension) of answered outbound calls to the unlimited classes. */
export function unlimitedVolumes(c: FairUseCustomer): Map<string, number> {
  const perPhone = new Map<string, number>();
  for (const r of c.records) {
    if (r.customerId !== c.customerId || r.direction !== "outbound" || !c.unlimited.has(r.destinationClass))
      continue;
    const k = r.extension ?? "?";
    perPhone.set(k, (perPhone.get(k) ?? 0) + Math.ceil(r.billableMs / 1000));
  }
  return perPhone;
}

/**
 * CG art. 13: a phone's monthly volume to its unlimited destinations may not exceed `factor`
 * (2) times the average per phone across the operator's *other* eligible customers (the
 * reference average when there are none). Telecom professionals and customers without
 * unlimited classes are not eligible and count in no average. Flags only: withdrawing the
 * offer needs the operator's confirmation.
 */
export function assessFairUse(
  customers: readonly FairUseCustomer[],
  opts: { factor?: number; referenceAverageSeconds?: number } = {},
): FairUseReport {
  const factor = opts.factor ?? 2;
  const reference = opts.referenceAverageSeconds ?? REFERENCE_AVERAGE_SECONDS;
  const eligible = customers
    .filter((c) => !c.telecomProfessional && c.unlimited.size > 0 && c.phones > 0)
    .map((c) => {
      const volumes = unlimitedVolumes(c);
      let total = 0;
      for (const s of volumes.values()) total += s;
      return { c, volumes, total };
    });
  const allSeconds = eligible.reduce((s, e) => s + e.total, 0);
  const allPhones = eligible.reduce((s, e) => s + e.c.phones, 0);
  const flagged: FairUseFlag[] = [];
  for (const e of eligible) {
    const otherPhones = allPhones - e.c.phones;
    const averageSeconds = otherPhones > 0 ? (allSeconds - e.total) / otherPhones : reference;
    const limitSeconds = factor * averageSeconds;
    const over = [...e.volumes]
      .filter(([, s]) => s > limitSeconds)
      .map(([extension, seconds]) => ({ extension, seconds }))
      .sort((a, b) => b.seconds - a.seconds);
    if (over.length > 0)
      flagged.push({ customerId: e.c.customerId, averageSeconds, limitSeconds, phones: over });
  }
  return { averageSeconds: allPhones > 0 ? allSeconds / allPhones : 0, flagged };
}
