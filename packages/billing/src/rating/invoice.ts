import type { CdrRecord } from "@centrex/store";
import { addDays, addMonths, daysBetween, daysInMonth, isMonth, monthOf } from "../calendar.js";
import { BillingError } from "../errors.js";
import { divRoundHalfUp, millicentsToCents } from "./money.js";
import { type RatedCall, rateCall } from "./rate.js";
import type { Plan, Tariff } from "./tariff.js";

/** Fair-use discount per phone and month once unlimited calls are withdrawn (CG art. 13). */
export const FAIR_USE_DISCOUNT_CENTS_PER_PHONE = 300;
/** Direct debit: issue date + 8 calendar days (CG art. 9). */
export const DEBIT_DELAY_DAYS = 8;

export interface InvoiceInput {
  customer: { id: number; name: string; domain: string };
  /** First month of the period, "YYYY-MM". */
  firstMonth: string;
  /** 1, or 2 when a low-consumption month was carried over (CG art. 9). */
  months: 1 | 2;
  issuedOn: string;
  /** Phones with an account (CG art. 7). */
  phones: number;
  /** Delivery date of the first phones, "YYYY-MM-DD": the subscription starts there. */
  deliveryDate: string | null;
  plan: Plan;
  tariff: Tariff;
  /** The customer's records that started in the period (others are ignored). */
  records: readonly CdrRecord[];
  /** First month unlimited calls were withdrawn for fair use, if ever. */
  unlimitedWithdrawnSince?: string | undefined;
  /** Telecom professionals never get unlimited calls (CG art. 13). */
  telecomProfessional?: boolean;
  vatPercent?: number;
}

export interface InvoiceLine {
  readonly kind: "subscription" | "calls" | "discount";
  readonly month: string;
  readonly label: string;
  readonly quantity: number;
  readonly amountCents: number;
}

export interface Invoice {
  readonly customerId: number;
  readonly customerName: string;
  readonly domain: string;
  /** First day, and the day after the last day, of the period. */
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly issuedOn: string;
  readonly debitOn: string;
  readonly lines: readonly InvoiceLine[];
  /** Every call on the bill (emergency, support, internal and unanswered calls never are). */
  readonly calls: readonly RatedCall[];
  readonly netCents: number;
  readonly vatPercent: number;
  readonly vatCents: number;
  readonly totalCents: number;
}

/** Subscription for one month: prorated by day in the month of delivery, nothing before it. */
export function subscriptionCents(
  month: string,
  phones: number,
  perPhoneCents: number,
  delivery: string | null,
): number {
  if (delivery === null || delivery.slice(0, 7) > month) return 0;
  const full = phones * perPhoneCents;
  if (delivery.slice(0, 7) < month) return full;
  const days = daysInMonth(month);
  const served = days - (Number(delivery.slice(8, 10)) - 1);
  return divRoundHalfUp(full * served, days);
}

/**
 * Builds a monthly (or bimonthly) invoice: subscription per month, calls grouped by month and
 * destination class (each line rounded half up to the cent from the exact millicent sum), the
 * fair-use discount, VAT on the net total. A pure function of its input: same records, same
 * invoice, to the cent.
 */
export function buildInvoice(input: InvoiceInput): Invoice {
  if (!isMonth(input.firstMonth)) throw new BillingError(`firstMonth must be "YYYY-MM"`, "firstMonth");
  const months = Array.from({ length: input.months }, (_, i) => addMonths(input.firstMonth, i));
  const vatPercent = input.vatPercent ?? 20;
  const lines: InvoiceLine[] = [];
  const calls: RatedCall[] = [];
  const records = [...input.records].sort((a, b) => a.startedAt - b.startedAt || a.seq - b.seq);
  for (const month of months) {
    const sub = subscriptionCents(month, input.phones, input.plan.perPhoneMonthlyCents, input.deliveryDate);
    if (sub !== 0)
      lines.push({
        kind: "subscription",
        month,
        label: `Subscription ${input.plan.name}, ${input.phones} phone(s)`,
        quantity: input.phones,
        amountCents: sub,
      });
    const withdrawn = input.unlimitedWithdrawnSince !== undefined && input.unlimitedWithdrawnSince <= month;
    const unlimited = new Set<string>(withdrawn || input.telecomProfessional ? [] : input.plan.unlimited);
    const byClass = new Map<string, { n: number; millicents: number }>();
    for (const r of records) {
      if (monthOf(r.startedAt) !== month || r.customerId !== input.customer.id) continue;
      const rated = rateCall(r, input.tariff, unlimited);
      if (!rated.onBill) continue;
      calls.push(rated);
      const k = rated.free === "unlimited" ? `${rated.destinationClass} (unlimited)` : rated.destinationClass;
      const acc = byClass.get(k) ?? { n: 0, millicents: 0 };
      acc.n++;
      acc.millicents += rated.amountMillicents;
      byClass.set(k, acc);
    }
    for (const [k, v] of [...byClass].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      lines.push({
        kind: "calls",
        month,
        label: `Calls ${k}`,
        quantity: v.n,
        amountCents: millicentsToCents(v.millicents),
      });
    if (withdrawn && input.phones > 0)
      lines.push({
        kind: "discount",
        month,
        label: "Fair-use discount (unlimited calls withdrawn)",
        quantity: input.phones,
        amountCents: -FAIR_USE_DISCOUNT_CENTS_PER_PHONE * input.phones,
      });
  }
  const netCents = lines.reduce((s, l) => s + l.amountCents, 0);
  const vatCents = divRoundHalfUp(netCents * vatPercent, 100);
  const periodStart = `${months[0]}-01`;
  return {
    customerId: input.customer.id,
    customerName: input.customer.name,
    domain: input.customer.domain,
    periodStart,
    periodEnd: `${addMonths(months[months.length - 1]!, 1)}-01`,
    issuedOn: input.issuedOn,
    debitOn: addDays(input.issuedOn, DEBIT_DELAY_DAYS),
    lines,
    calls,
    netCents,
    vatPercent,
    vatCents,
    totalCents: netCents + vatCents,
  };
}

export type InvoicePlan =
  | { readonly action: "invoice"; readonly firstMonth: string; readonly months: 1 | 2 }
  | { readonly action: "defer" };

/**
 * CG art. 9: monthly, or every two months when consumption is low. A month whose calls cost
 * less than the threshold is carried over to the next invoice, but never more than one month:
 * if the previous month was carried over, this invoice covers both.
 */
export function planInvoice(p: {
  month: string;
  previousMonthCarriedOver: boolean;
  monthCallsCents: number;
  thresholdCents: number;
}): InvoicePlan {
  if (p.previousMonthCarriedOver) return { action: "invoice", firstMonth: addMonths(p.month, -1), months: 2 };
  if (p.monthCallsCents < p.thresholdCents) return { action: "defer" };
  return { action: "invoice", firstMonth: p.month, months: 1 };
}

/**
 * CG art. 10: after a failed direct debit and a reminder left unanswered, interest runs daily
 * at 1.5 × the legal rate (annual, in basis points: 4.21 % = 421), from the day after the
 * reminder until `asOf` (the payment day), on the amount due. Nothing without both events.
 */
export function lateInterestCents(p: {
  amountCents: number;
  legalRateBasisPoints: number;
  debitFailedOn: string | null;
  reminderSentOn: string | null;
  reminderAnswered: boolean;
  asOf: string;
}): number {
  if (p.debitFailedOn === null || p.reminderSentOn === null || p.reminderAnswered) return 0;
  if (p.reminderSentOn < p.debitFailedOn) return 0;
  const days = daysBetween(p.reminderSentOn, p.asOf);
  if (days <= 0 || p.amountCents <= 0) return 0;
  // amount × 1.5 × bp/10000 × days/365 = amount × 3 × bp × days / (2 × 10000 × 365)
  return divRoundHalfUp(p.amountCents * 3 * p.legalRateBasisPoints * days, 2 * 10_000 * 365);
}
