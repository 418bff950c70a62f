import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type CdrInput, type Disposition, generateLedgerKey, Ledger, loadLedgerKey } from "@centrex/billing";
import type { CallEnded, CallEventSink, CallStarted } from "@centrex/proxy";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/**
 * The node's ledger key: from the config, else a key generated on first
 * start and kept beside the database (mode 0600), so checkpoints stay
 * verifiable across restarts.
 */
export function ledgerKeyMaterial(config: CentrexConfig): string {
  if (config.billing.ledgerKey !== undefined) return readFileSync(config.billing.ledgerKey, "utf8");
  const path = config.store.path === ":memory:" ? undefined : `${config.store.path}.ledger-key.pem`;
  if (path !== undefined && existsSync(path)) return readFileSync(path, "utf8");
  const { privateKeyPem } = generateLedgerKey();
  if (path !== undefined) writeFileSync(path, privateKeyPem, { mode: 0o600 });
  return privateKeyPem;
}

export function openLedger(config: CentrexConfig, store: Store): Ledger {
  return new Ledger({ store, node: config.node.name, key: loadLedgerKey(ledgerKeyMaterial(config)) });
}

/**
 * Turns the proxy's call events into call records: an open-call row when a
 * call starts (so a crash leaves a trace to close on restart), and the
 * record itself when it ends — awaited by the proxy before the BYE's 200.
 */
export function callRecorder(ledger: Ledger, logger: Logger): CallEventSink {
  return {
    onCallStarted(e: CallStarted) {
      ledger
        .markCallStarted(openCall(e))
        .catch((err) => logger.error({ err, callId: e.callId }, "open call not recorded"));
    },
    onCallAnswered(e) {
      ledger
        .markCallAnswered(e.callId, e.answeredAt)
        .catch((err) => logger.error({ err, callId: e.callId }, "answer not recorded"));
    },
    async onCallEnded(e: CallEnded) {
      try {
        await ledger.append(cdrOf(e));
      } catch (err) {
        logger.error({ err, callId: e.callId, event: "cdr-failed" }, "call record not written");
      }
    },
  };
}

function openCall(
  e: CallStarted,
): Omit<CdrInput, "endedAt" | "answeredAt" | "disposition" | "sipStatus" | "reason"> {
  return {
    callId: e.callId,
    customerId: e.caller.customerId,
    extension: e.caller.extension ?? null,
    direction: e.routing.direction,
    caller: e.caller.extension ?? e.caller.uri,
    dialled: withoutPin(e.dialled),
    called: e.routing.called ?? null,
    destinationClass: e.routing.destinationClass as CdrInput["destinationClass"],
    carrier: e.routing.carrier ?? null,
    startedAt: e.startedAt,
    ...(e.transferredFrom !== undefined && { transferredFrom: e.transferredFrom }),
  };
}

function cdrOf(e: CallEnded): CdrInput {
  const disposition = dispositionOf(e);
  return {
    ...openCall(e),
    destinationClass: (disposition === "refused"
      ? "invalid"
      : e.routing.destinationClass) as CdrInput["destinationClass"],
    answeredAt: e.answeredAt ?? null,
    endedAt: e.endedAt,
    disposition,
    sipStatus: disposition === "answered" ? 200 : e.status,
    reason: e.refusal ?? (disposition === "failed" ? null : e.reason),
  };
}

function dispositionOf(e: CallEnded): Disposition {
  if (e.answeredAt !== undefined) return "answered";
  switch (e.reason) {
    case "busy":
      return "busy";
    case "no-answer":
      return "no-answer";
    case "cancelled":
    case "operator": // hung up by the operator while ringing
      return "cancelled";
    case "refused":
      return "refused";
    default:
      return e.status >= 300 && e.status <= 699 ? "failed" : "no-answer";
  }
}

/** A PIN never reaches a record: `*1234` (and an optional `#`) is cut from what was dialled. */
export function withoutPin(dialled: string): string {
  return dialled.replace(/^\*\d{4}#?/, "");
}
