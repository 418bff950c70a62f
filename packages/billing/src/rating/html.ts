import type { Invoice } from "./invoice.js";
import { formatEuros } from "./money.js";

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A self-contained HTML rendering of an invoice (no scripts, no external resources). */
export function invoiceToHtml(inv: Invoice): string {
  const rows = inv.lines
    .map(
      (l) =>
        `<tr><td>${esc(l.month)}</td><td>${esc(l.label)}</td><td class="n">${l.quantity}</td><td class="n">${formatEuros(l.amountCents)}</td></tr>`,
    )
    .join("\n");
  const calls = inv.calls
    .map(
      (c) =>
        `<tr><td>${new Date(c.startedAt).toISOString()}</td><td>${esc(c.extension ?? "")}</td><td>${esc(c.called ?? "")}</td><td>${esc(c.destinationClass)}</td><td class="n">${c.seconds}</td><td class="n">${(c.amountMillicents / 100_000).toFixed(5)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice ${esc(inv.domain)} ${esc(inv.periodStart)}</title>
<style>body{font-family:sans-serif}td.n{text-align:right}table{border-collapse:collapse}td,th{padding:2px 8px}</style></head>
<body>
<h1>Invoice</h1>
<p>${esc(inv.customerName)} (${esc(inv.domain)})<br>Period ${esc(inv.periodStart)} to ${esc(inv.periodEnd)} (exclusive)<br>
Issued ${esc(inv.issuedOn)}; direct debit on ${esc(inv.debitOn)}</p>
<table><thead><tr><th>Month</th><th>Item</th><th>Qty</th><th>EUR</th></tr></thead><tbody>
${rows}
</tbody></table>
<p>Net ${formatEuros(inv.netCents)} EUR; VAT ${inv.vatPercent}% ${formatEuros(inv.vatCents)} EUR; <strong>Total ${formatEuros(inv.totalCents)} EUR</strong></p>
<h2>Call detail</h2>
<table><thead><tr><th>Start (UTC)</th><th>Ext.</th><th>Number</th><th>Class</th><th>Seconds</th><th>EUR</th></tr></thead><tbody>
${calls}
</tbody></table>
</body></html>
`;
}
