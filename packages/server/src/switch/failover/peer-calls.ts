import type { Ledger, OpenCallInfo } from "@centrex/billing";
import { type Store, sqliteHandle } from "@centrex/store";

/**
 * Closes the calls `peerNode` had up (its open-call rows, replicated here) as interrupted, in
 * this node's own ledger chain (each chain is signed only by its node's key), then removes
 * the peer's rows. Returns how many calls were closed. The record is written before the row is
 * removed: a crash in between closes the call twice rather than never.
 */
export async function closePeerCalls(
  store: Store,
  ledger: Pick<Ledger, "append">,
  peerNode: string,
  now: number,
): Promise<number> {
  const db = sqliteHandle(store);
  const calls = await store.cdrs.openCalls(peerNode);
  const forget = db.prepare("DELETE FROM open_calls WHERE node = ? AND call_id = ?");
  for (const call of calls) {
    const info = call.data as OpenCallInfo;
    await ledger.append({
      ...info,
      callId: call.callId,
      startedAt: call.startedAt,
      answeredAt: call.answeredAt,
      endedAt: Math.max(now, call.answeredAt ?? call.startedAt),
      disposition: "interrupted",
      reason: `node ${peerNode} failed while the call was up`,
    });
    forget.run(peerNode, call.callId);
  }
  return calls.length;
}
