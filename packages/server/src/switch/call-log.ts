import type { CallEnded, CallEventSink } from "@centrex/proxy";
import type { Logger } from "pino";

/**
 * One log line per call, when it ends: Call-ID, caller, callee, when it was set up, answered
 * and ended, how long it lasted and how it ended. Numbers and URIs only: no credentials and
 * no SDP; the callee is the normalised number, never the dialled string, which may start with
 * the caller's PIN (`*PPPP…`).
 */
export function callLog(logger: Logger): CallEventSink {
  return {
    onCallEnded(e: CallEnded) {
      const answered = e.answeredAt !== undefined;
      logger.info(
        {
          event: "call",
          callId: e.callId,
          direction: e.routing.direction,
          destinationClass: e.routing.destinationClass,
          caller: e.caller.extension ?? e.caller.uri,
          callerCustomer: e.caller.customerId,
          callee: e.routing.called ?? e.callee?.extension ?? e.callee?.uri ?? null,
          ...(e.routing.carrier !== undefined && { carrier: e.routing.carrier }),
          setupAt: new Date(e.startedAt).toISOString(),
          answeredAt: answered ? new Date(e.answeredAt).toISOString() : null,
          endedAt: new Date(e.endedAt).toISOString(),
          setupMs: answered ? e.answeredAt - e.startedAt : null,
          durationS: answered ? Math.round((e.endedAt - e.answeredAt) / 1000) : 0,
          status: e.status,
          reason: e.reason,
          ...(e.refusal !== undefined && { refusal: e.refusal }),
        },
        answered ? "call ended" : "call not answered",
      );
    },
  };
}

/** Several sinks as one; `onCallEnded` resolves once every sink's has (the record comes first). */
export function teeCallEvents(...sinks: CallEventSink[]): CallEventSink {
  return {
    onCallStarted(e) {
      for (const s of sinks) s.onCallStarted?.(e);
    },
    onCallRinging(e) {
      for (const s of sinks) s.onCallRinging?.(e);
    },
    onCallAnswered(e) {
      for (const s of sinks) s.onCallAnswered?.(e);
    },
    onCallPartyLeft(e) {
      for (const s of sinks) s.onCallPartyLeft?.(e);
    },
    async onCallEnded(e) {
      for (const s of sinks) await s.onCallEnded?.(e);
    },
  };
}
