import type { CdrCheckpoint, CdrRecord, Store } from "@centrex/store";
import { checkpointSigText, GENESIS_HASH, hashCdr, recordSigText } from "./canonical.js";
import { type LedgerKey, verifyText } from "./key.js";

/**
 * The first thing wrong with a chain: a record `changed` after it was written, records
 * `removed` (`count` of them from `seq`), a record `inserted` that the node never wrote, or a
 * `signature` problem on the head or a purge anchor.
 */
export interface LedgerFault {
  readonly node: string;
  readonly kind: "changed" | "removed" | "inserted" | "signature";
  readonly seq: number;
  readonly count?: number;
  readonly detail: string;
}

export interface NodeVerification {
  readonly node: string;
  readonly records: number;
  /** First seq still kept (after the purge anchor), last seq seen. */
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly fault?: LedgerFault;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly nodes: readonly NodeVerification[];
  /** The first fault of the first faulty node. */
  readonly fault?: LedgerFault;
}

const PAGE = 1000;

async function* rows(store: Store, node: string, afterSeq: number): AsyncGenerator<CdrRecord> {
  for (let after = afterSeq; ; ) {
    const page = await store.cdrs.page(node, after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}

/** Verifies every chain (or the `nodes` given) and reports the first fault of each. */
export async function verifyLedger(
  store: Store,
  key: LedgerKey,
  opts: { nodes?: readonly string[] } = {},
): Promise<VerifyReport> {
  const nodes = opts.nodes ?? (await store.cdrs.nodes());
  const results: NodeVerification[] = [];
  for (const node of nodes) results.push(await verifyNode(store, key, node));
  const fault = results.find((r) => r.fault)?.fault;
  return fault ? { ok: false, nodes: results, fault } : { ok: true, nodes: results };
}

async function verifyNode(store: Store, key: LedgerKey, node: string): Promise<NodeVerification> {
  let anchor: CdrCheckpoint | undefined;
  let records = 0;
  let lastSeq = 0;
  const result = (fault?: LedgerFault): NodeVerification => ({
    node,
    records,
    firstSeq: (anchor?.seq ?? 0) + 1,
    lastSeq,
    ...(fault && { fault }),
  });
  const fail = (kind: LedgerFault["kind"], seq: number, detail: string, count?: number) =>
    result({ node, kind, seq, detail, ...(count !== undefined && { count }) });

  for (const cp of await store.cdrs.checkpoints(node)) {
    if (!verifyText(key, checkpointSigText(cp), cp.sig))
      return fail("signature", cp.seq, `checkpoint at ${cp.seq} (${cp.reason}) has a bad signature`);
    if (cp.reason === "purge" && (anchor === undefined || cp.seq > anchor.seq)) anchor = cp;
  }
  const head = await store.cdrs.head(node);
  if (head && !verifyText(key, recordSigText(head.hash), head.sig))
    return fail("signature", head.seq, "the chain head has a bad signature");

  let expectedSeq = (anchor?.seq ?? 0) + 1;
  let expectedPrev = anchor?.hash ?? GENESIS_HASH;
  const authentic = (r: CdrRecord, seq: number): boolean =>
    hashCdr({ ...r, seq }) === r.hash && verifyText(key, recordSigText(r.hash), r.sig);

  // One record of look-ahead: whether a suspicious record replaced an original or was slipped
  // in shows in its successor (which still links to, or was renumbered around, the original).
  const check = (r: CdrRecord, next: CdrRecord | undefined): NodeVerification | undefined => {
    if (head && r.seq > head.seq)
      return fail("inserted", r.seq, `record ${r.seq} lies beyond the signed head`);
    const contentOk = hashCdr(r) === r.hash;
    const sigOk = verifyText(key, recordSigText(r.hash), r.sig);
    if (r.seq > expectedSeq) {
      if (contentOk && sigOk)
        return fail(
          "removed",
          expectedSeq,
          `records ${expectedSeq}..${r.seq - 1} are missing`,
          r.seq - expectedSeq,
        );
      return fail("inserted", r.seq, `record ${r.seq} was not written by this node`);
    }
    if (!contentOk) {
      if (authentic(r, r.seq + 1))
        return fail("removed", r.seq, `record ${r.seq} is missing (later records were renumbered)`, 1);
      if (authentic(r, r.seq - 1))
        return fail("inserted", r.seq - 1, `record ${r.seq - 1} was slipped in (later records renumbered)`);
      return fail("changed", r.seq, `record ${r.seq} does not match its hash`);
    }
    if (!sigOk) {
      const slippedIn = next !== undefined && (next.prevHash === r.prevHash || authentic(next, next.seq - 1));
      return slippedIn
        ? fail("inserted", r.seq, `record ${r.seq} was not written by this node`)
        : fail("changed", r.seq, `record ${r.seq} was rewritten (its signature does not match)`);
    }
    if (r.prevHash !== expectedPrev)
      return fail("changed", r.seq - 1, `record ${r.seq - 1} is not the one record ${r.seq} followed`);
    return undefined;
  };

  let cur: CdrRecord | undefined;
  for await (const r of rows(store, node, expectedSeq - 1)) {
    if (cur) {
      const bad = check(cur, r);
      if (bad) return bad;
      records++;
      lastSeq = cur.seq;
      expectedSeq = cur.seq + 1;
      expectedPrev = cur.hash;
    }
    cur = r;
  }
  if (cur) {
    const bad = check(cur, undefined);
    if (bad) return bad;
    records++;
    lastSeq = cur.seq;
    expectedSeq = cur.seq + 1;
    expectedPrev = cur.hash;
  }
  if (head) {
    if (head.seq >= expectedSeq)
      return fail(
        "removed",
        expectedSeq,
        `records ${expectedSeq}..${head.seq} are missing`,
        head.seq - expectedSeq + 1,
      );
    if (head.seq === expectedSeq - 1 && head.hash !== expectedPrev)
      return fail("changed", head.seq, `record ${head.seq} is not the signed head`);
  } else if (records > 0) {
    return fail("signature", lastSeq, "records exist but the signed head is missing");
  }
  return result();
}
