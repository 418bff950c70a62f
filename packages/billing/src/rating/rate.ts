import type { CdrRecord } from "@centrex/store";
import { TariffError } from "../errors.js";
import { divRoundHalfUp } from "./money.js";
import type { BillingIncrement, Rate, Tariff } from "./tariff.js";

/** Why a call costs nothing; `unlimited` calls are shown on the bill, the others are not. */
export type FreeReason = "internal" | "emergency" | "support" | "inbound" | "unanswered" | "unlimited";

export interface RatedCall {
  readonly node: string;
  readonly seq: number;
  readonly callId: string;
  readonly startedAt: number;
  readonly extension: string | null;
  readonly called: string | null;
  readonly destinationClass: string;
  /** Answered duration rounded up to whole seconds. */
  readonly seconds: number;
  /** Seconds charged after the billing increment (0 when free). */
  readonly chargedSeconds: number;
  readonly amountMillicents: number;
  readonly free?: FreeReason;
  /** Emergency, support line, internal, inbound and unanswered calls are never on the bill. */
  readonly onBill: boolean;
}

const NOT_BILLED: Readonly<Record<string, FreeReason>> = {
  internal: "internal",
  emergency: "emergency",
  support: "support",
  inbound: "inbound",
};

/** Charged seconds: 0 → 0; else at least `firstSeconds`, then whole `thenSeconds` steps. */
export function chargedSeconds(seconds: number, inc: BillingIncrement): number {
  if (seconds <= 0) return 0;
  if (seconds <= inc.firstSeconds) return inc.firstSeconds;
  return inc.firstSeconds + Math.ceil((seconds - inc.firstSeconds) / inc.thenSeconds) * inc.thenSeconds;
}

/** The most specific rate: longest matching prefix, else the destination class. */
export function findRate(tariff: Tariff, destinationClass: string, called: string | null): Rate | undefined {
  const digits = called?.startsWith("+") ? called.slice(1) : (called ?? "");
  let best: Rate | undefined;
  for (const r of tariff.rates) {
    if (
      r.prefix !== undefined &&
      digits.startsWith(r.prefix) &&
      r.prefix.length > (best?.prefix?.length ?? -1)
    )
      best = r;
  }
  return best ?? tariff.rates.find((r) => r.class === destinationClass);
}

/**
 * Prices one record. `unlimited` holds the classes the customer's plan includes this month
 * (empty when fair use withdrew them). Amount = setup + per-minute price × charged seconds / 60,
 * rounded half up to the millicent; a call with no rate is an error, never silently free.
 */
export function rateCall(r: CdrRecord, tariff: Tariff, unlimited: ReadonlySet<string>): RatedCall {
  const seconds = Math.ceil(r.billableMs / 1000);
  const base = {
    node: r.node,
    seq: r.seq,
    callId: r.callId,
    startedAt: r.startedAt,
    extension: r.extension,
    called: r.called,
    destinationClass: r.destinationClass,
    seconds,
  };
  const notBilled = r.direction === "inbound" ? "inbound" : NOT_BILLED[r.destinationClass];
  if (notBilled) return { ...base, chargedSeconds: 0, amountMillicents: 0, free: notBilled, onBill: false };
  if (seconds === 0)
    return { ...base, chargedSeconds: 0, amountMillicents: 0, free: "unanswered", onBill: false };
  if (unlimited.has(r.destinationClass))
    return { ...base, chargedSeconds: 0, amountMillicents: 0, free: "unlimited", onBill: true };
  const rate = findRate(tariff, r.destinationClass, r.called);
  if (!rate)
    throw new TariffError(
      `tariff ${tariff.name} has no rate for ${r.destinationClass} (${r.called ?? r.dialled}, record ${r.node}#${r.seq})`,
    );
  const charged = chargedSeconds(seconds, rate.increment);
  const amount = rate.setupMillicents + divRoundHalfUp(charged * rate.perMinuteMillicents, 60);
  return { ...base, chargedSeconds: charged, amountMillicents: amount, onBill: true };
}
