import type { Customer, Store, StoredInvoice } from "@centrex/store";
import { addMonths, isMonth, monthStartMs } from "../calendar.js";
import { BillingError } from "../errors.js";
import { buildInvoice, type Invoice, planInvoice } from "./invoice.js";
import { millicentsToCents } from "./money.js";
import { rateCall } from "./rate.js";
import { accountOf, type TariffBook } from "./tariff.js";

export interface InvoiceRunResult {
  readonly customer: Customer;
  readonly outcome: "invoiced" | "deferred" | "exists";
  readonly invoice?: Invoice;
  readonly stored?: StoredInvoice;
}

/**
 * The monthly run for `month` ("YYYY-MM"), issued on `issuedOn` (default: the 1st of the next
 * month): per customer, invoice the month (or the month and a carried-over previous one), or
 * carry a low-consumption month over (CG art. 9). Stored invoices are never re-issued.
 */
export async function runInvoices(
  store: Store,
  book: TariffBook,
  month: string,
  opts: { customerIds?: readonly number[]; issuedOn?: string } = {},
): Promise<InvoiceRunResult[]> {
  if (!isMonth(month)) throw new BillingError(`month must be "YYYY-MM", got ${month}`, "month");
  const issuedOn = opts.issuedOn ?? `${addMonths(month, 1)}-01`;
  const out: InvoiceRunResult[] = [];
  for (const customer of await store.customers.list()) {
    if (opts.customerIds && !opts.customerIds.includes(customer.id)) continue;
    if (await store.invoices.covering(customer.id, `${month}-01`)) {
      out.push({ customer, outcome: "exists" });
      continue;
    }
    const policy = await store.policies.get(customer.id);
    const { plan, tariff } = accountOf(book, customer.domain);
    const withdrawn = await store.invoices.unlimitedWithdrawnSince(customer.id);
    const prev = addMonths(month, -1);
    const served = (m: string) => policy.deliveryDate !== null && policy.deliveryDate.slice(0, 7) <= m;
    const previousMonthCarriedOver =
      served(prev) && (await store.invoices.covering(customer.id, `${prev}-01`)) === undefined;
    const monthRecords = await store.cdrs.byCustomer(
      customer.id,
      monthStartMs(month),
      monthStartMs(addMonths(month, 1)),
    );
    const unlimited = new Set<string>(
      policy.telecomProfessional || (withdrawn !== undefined && withdrawn <= month) ? [] : plan.unlimited,
    );
    const monthCallsCents = millicentsToCents(
      monthRecords.reduce((s, r) => s + rateCall(r, tariff, unlimited).amountMillicents, 0),
    );
    const decision = planInvoice({
      month,
      previousMonthCarriedOver,
      monthCallsCents,
      thresholdCents: book.bimonthlyThresholdCents,
    });
    if (decision.action === "defer") {
      out.push({ customer, outcome: "deferred" });
      continue;
    }
    const from = monthStartMs(decision.firstMonth);
    const records = await store.cdrs.byCustomer(customer.id, from, monthStartMs(addMonths(month, 1)));
    const invoice = buildInvoice({
      customer,
      firstMonth: decision.firstMonth,
      months: decision.months,
      issuedOn,
      // Rule 8 (CG art. 7): the phones of the inventory that have an account (a line key).
      phones: await store.phones.countByCustomer(customer.id),
      deliveryDate: policy.deliveryDate,
      plan,
      tariff,
      records,
      unlimitedWithdrawnSince: withdrawn,
      telecomProfessional: policy.telecomProfessional,
      vatPercent: book.vatPercent,
    });
    const stored = await store.invoices.create({
      customerId: customer.id,
      periodStart: invoice.periodStart,
      periodEnd: invoice.periodEnd,
      issuedOn,
      totalCents: invoice.totalCents,
      document: invoice,
    });
    out.push({ customer, outcome: "invoiced", invoice, stored });
  }
  return out;
}
