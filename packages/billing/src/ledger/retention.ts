import type { CdrRecord, Store } from "@centrex/store";
import { addMonthsToTime, dayOf, monthOf } from "../calendar.js";
import { LedgerTamperedError } from "../errors.js";
import { checkpointSigText } from "./canonical.js";
import { type LedgerKey, signText } from "./key.js";
import { verifyLedger } from "./verify.js";

export interface RetentionOptions {
  /** Months kept after the covering invoice was paid (CG art. 12: 6). */
  months?: number;
}

export interface PurgeReport {
  readonly node: string;
  readonly purged: number;
  /** The signed anchor's seq (last purged record), or undefined when nothing could go. */
  readonly anchorSeq?: number;
}

/**
 * Purges the oldest records whose retention has run out, in whole periods, keeping the rest
 * verifiable. A record may go once the invoice covering its day was paid at least `months`
 * ago (records of no customer: `months` after the end of their month). Only a prefix of the
 * chain can go, and never part of a month: a month that still has a kept record anywhere later
 * in the chain stays whole. The purge and its signed anchor are one transaction; a chain that
 * does not verify is not purged (that would destroy the evidence).
 */
export async function purgeExpired(
  store: Store,
  key: LedgerKey,
  node: string,
  now: number,
  opts: RetentionOptions = {},
): Promise<PurgeReport> {
  const months = opts.months ?? 6;
  const report = await verifyLedger(store, key, { nodes: [node] });
  if (!report.ok) throw new LedgerTamperedError(`ledger of ${node} does not verify: ${report.fault?.detail}`);

  const paidCache = new Map<string, number | null>();
  const expired = async (r: CdrRecord): Promise<boolean> => {
    if (r.customerId === null) {
      const endOfMonth = Date.parse(`${monthOf(r.startedAt)}-01T00:00:00Z`);
      return addMonthsToTime(addMonthsToTime(endOfMonth, 1), months) <= now;
    }
    const day = dayOf(r.startedAt);
    const k = `${r.customerId}/${day}`;
    let paidAt = paidCache.get(k);
    if (paidAt === undefined) {
      paidAt = (await store.invoices.covering(r.customerId, day))?.paidAt ?? null;
      paidCache.set(k, paidAt);
    }
    return paidAt !== null && addMonthsToTime(paidAt, months) <= now;
  };

  // Walk the whole chain once: the candidate prefix ends at the first record that must stay;
  // then cut it back so that no month straddles the cut.
  const seqs: number[] = [];
  const hashes: string[] = [];
  const monthKeys: number[] = [];
  let stop = -1;
  for (let after = report.nodes[0]!.firstSeq - 1; ; ) {
    const page = await store.cdrs.page(node, after, 1000);
    for (const r of page) {
      const m = monthOf(r.startedAt);
      monthKeys.push(Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)));
      seqs.push(r.seq);
      hashes.push(r.hash);
      if (stop < 0 && !(await expired(r))) stop = seqs.length - 1;
    }
    if (page.length < 1000) break;
    after = page[page.length - 1]!.seq;
  }
  const n = seqs.length;
  let cut = stop < 0 ? n : stop;
  const suffixMin = new Array<number>(n + 1);
  suffixMin[n] = Number.POSITIVE_INFINITY;
  for (let i = n - 1; i >= 0; i--) suffixMin[i] = Math.min(monthKeys[i]!, suffixMin[i + 1]!);
  let prefixMax = Number.NEGATIVE_INFINITY;
  let best = 0;
  for (let i = 0; i < cut; i++) {
    prefixMax = Math.max(prefixMax, monthKeys[i]!);
    if (prefixMax < suffixMin[i + 1]!) best = i + 1;
  }
  cut = best;
  if (cut === 0) return { node, purged: 0 };
  const anchor = { node, seq: seqs[cut - 1]!, hash: hashes[cut - 1]!, reason: "purge", at: now };
  const purged = await store.cdrs.purge(node, anchor.seq, {
    seq: anchor.seq,
    hash: anchor.hash,
    reason: anchor.reason,
    at: anchor.at,
    sig: signText(key, checkpointSigText(anchor)),
  });
  return { node, purged, anchorSeq: anchor.seq };
}
