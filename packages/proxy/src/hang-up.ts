import type { InDialogRelay } from "./in-dialog.js";
import type { ProxyContext } from "./proxy-context.js";

/**
 * What an operator's hang-up did: an answered call got a BYE each way ("ended"), a ringing
 * one was cancelled (its caller answered 487, every phone ringing sent a CANCEL), or no call
 * with that Call-ID is in progress here ("not-found").
 */
export type HangUpOutcome = "ended" | "cancelled" | "not-found";

/** Q.850 cause 16, "normal call clearing": the call was ended on purpose, not by a fault. */
const OPERATOR_CAUSE = "Q.850;cause=16";
const OPERATOR_TEXT = "Call ended by the operator";

/**
 * Ends a call in progress from the middle, on an operator's request. The call record is
 * closed first, with end cause "operator", so the CANCEL's or BYE's own outcome (a 487, a
 * phone's BYE crossing ours) finds the call already ended and writes no second record.
 */
export async function hangUpCall(
  ctx: ProxyContext,
  inDialog: InDialogRelay,
  callId: string,
): Promise<HangUpOutcome> {
  for (const [tx, ringing] of ctx.forks) {
    if (tx.request.callId !== callId) continue;
    await ctx.dialogs.endAll(callId, 487, "operator");
    ringing.cancel();
    ctx.o.logger?.info(
      { event: "call-hung-up", callId, outcome: "cancelled" },
      "ringing call cancelled by the operator",
    );
    return "cancelled";
  }
  const byeSent = inDialog.endFromMiddle(callId, OPERATOR_TEXT, OPERATOR_CAUSE);
  const ended = await ctx.dialogs.endAll(callId, 200, "operator");
  if (!byeSent && ended === 0) return "not-found";
  ctx.o.pstnGuard?.ended(callId);
  await ctx.o.media?.release(callId);
  ctx.o.logger?.info(
    { event: "call-hung-up", callId, outcome: "ended", byeSent },
    "call ended by the operator",
  );
  return "ended";
}
