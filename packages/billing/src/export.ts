import type { CdrRecord, Store } from "@centrex/store";

export type ExportFormat = "csv" | "json";

const COLUMNS = [
  "node",
  "seq",
  "call_id",
  "direction",
  "extension",
  "caller",
  "dialled",
  "called",
  "destination_class",
  "carrier",
  "started_at",
  "answered_at",
  "ended_at",
  "billable_seconds",
  "disposition",
  "sip_status",
  "reason",
  "transferred_from",
  "hash",
] as const;

const iso = (ms: number | null): string => (ms === null ? "" : new Date(ms).toISOString());

function cells(r: CdrRecord): (string | number)[] {
  return [
    r.node,
    r.seq,
    r.callId,
    r.direction,
    r.extension ?? "",
    r.caller,
    r.dialled,
    r.called ?? "",
    r.destinationClass,
    r.carrier ?? "",
    iso(r.startedAt),
    iso(r.answeredAt),
    iso(r.endedAt),
    // Billable time is kept in ms; the customer's detail shows whole seconds, rounded up as billed.
    Math.ceil(r.billableMs / 1000),
    r.disposition,
    r.sipStatus ?? "",
    r.reason ?? "",
    r.transferredFrom ?? "",
    r.hash,
  ];
}

const quote = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** RFC 4180 CSV (CRLF line ends, header row). */
export function cdrsToCsv(records: readonly CdrRecord[]): string {
  let out = `${COLUMNS.join(",")}\r\n`;
  for (const r of records) out += `${cells(r).map(quote).join(",")}\r\n`;
  return out;
}

/** JSON array of the same fields as the CSV, times in ISO 8601 UTC. */
export function cdrsToJson(records: readonly CdrRecord[]): string {
  return `${JSON.stringify(
    records.map((r) => Object.fromEntries(cells(r).map((v, i) => [COLUMNS[i]!, v]))),
    null,
    2,
  )}\n`;
}

/** A customer's detail of calls (CG art. 12) for from <= start < to (epoch ms). */
export async function exportCustomerCdrs(
  store: Store,
  customerId: number,
  from: number,
  to: number,
  format: ExportFormat,
): Promise<string> {
  const records = await store.cdrs.byCustomer(customerId, from, to);
  return format === "csv" ? cdrsToCsv(records) : cdrsToJson(records);
}
