/**
 * @centrex/billing — call records nobody can alter (a signed SHA-256 chain per node), rating,
 * invoices, fair use and fraud monitors. See README.md.
 */

export { addMonths, dayOf, monthOf } from "./calendar.js";
export {
  BillingError,
  CdrInputError,
  LedgerKeyError,
  LedgerTamperedError,
  TariffError,
} from "./errors.js";
export type { ExportFormat } from "./export.js";
export { cdrsToCsv, cdrsToJson, exportCustomerCdrs } from "./export.js";
export type { FairUseCustomer, FairUseFlag, FairUseReport } from "./fair-use.js";
export { assessFairUse, REFERENCE_AVERAGE_SECONDS, unlimitedVolumes } from "./fair-use.js";
export type {
  CustomerBaseline,
  FraudDelegate,
  FraudEvent,
  FraudMonitorName,
  FraudMonitorOptions,
  FraudThresholds,
  FraudVerdict,
  PstnCallStart,
  Threshold,
} from "./fraud/monitor.js";
export {
  baselineFromRecords,
  DEFAULT_FRAUD_THRESHOLDS,
  EXPENSIVE_CLASSES,
  FraudMonitor,
} from "./fraud/monitor.js";
export { canonicalCdr, GENESIS_HASH, hashCdr } from "./ledger/canonical.js";
export type { CdrClass, CdrInput, Disposition } from "./ledger/cdr-input.js";
export { DISPOSITIONS } from "./ledger/cdr-input.js";
export type { LedgerKey } from "./ledger/key.js";
export { generateLedgerKey, loadLedgerKey } from "./ledger/key.js";
export type { Cdr, LedgerOptions, OpenCallInfo } from "./ledger/ledger.js";
export { Ledger } from "./ledger/ledger.js";
export type { PurgeReport, RetentionOptions } from "./ledger/retention.js";
export { purgeExpired } from "./ledger/retention.js";
export type { LedgerFault, NodeVerification, VerifyReport } from "./ledger/verify.js";
export { verifyLedger } from "./ledger/verify.js";
export { invoiceToHtml } from "./rating/html.js";
export type { Invoice, InvoiceInput, InvoiceLine, InvoicePlan } from "./rating/invoice.js";
export {
  buildInvoice,
  DEBIT_DELAY_DAYS,
  FAIR_USE_DISCOUNT_CENTS_PER_PHONE,
  lateInterestCents,
  planInvoice,
  subscriptionCents,
} from "./rating/invoice.js";
export type { InvoiceRunResult } from "./rating/invoice-run.js";
export { runInvoices } from "./rating/invoice-run.js";
export { divRoundHalfUp, formatEuros, millicentsToCents } from "./rating/money.js";
export type { FreeReason, RatedCall } from "./rating/rate.js";
export { chargedSeconds, findRate, rateCall } from "./rating/rate.js";
export type { BillingIncrement, Plan, Rate, Tariff, TariffBook } from "./rating/tariff.js";
export { accountOf, parseTariffBook } from "./rating/tariff.js";
