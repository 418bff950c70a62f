import type { HealthCheck, HealthReport } from "@centrex/admin";
import type { SipStack } from "@centrex/sip";
import { type Store, sqliteHandle } from "@centrex/store";
import type { FailoverService } from "./failover/service.js";

export interface HealthSources {
  readonly store: Store;
  readonly stack: SipStack;
  readonly failover: FailoverService | undefined;
}

/**
 * What /health checks, each with what it found: the store takes a write lock (a read-only
 * file, a full disk's journal or another writer holding the lock fails it), the SIP listeners
 * are bound and not draining, the failover role and the replication link. The node is
 * healthy when the store and SIP are; the replication link is reported but does not make a
 * node unhealthy (a primary whose standby is down still serves).
 */
export async function checkHealth(s: HealthSources): Promise<HealthReport> {
  const checks: Record<string, HealthCheck> = {
    store: storeWritable(s.store),
    sip: sipListening(s.stack),
  };
  const f = s.failover;
  if (f !== undefined) {
    checks.role = { ok: true, detail: f.serving ? "serving" : "not serving", role: f.role, epoch: f.epoch };
    const lag = f.lag();
    if (lag !== undefined) {
      const connected = "connected" in lag ? lag.connected : lag.sinks > 0;
      checks.replication = {
        ok: connected,
        detail: connected ? `${lag.changes} changes, ${lag.seconds} s behind` : "no link to the peer",
        changes: lag.changes,
        seconds: lag.seconds,
      };
    }
  } else {
    checks.role = { ok: true, detail: "single node (no failover section)" };
  }
  return { ok: checks.store!.ok && checks.sip!.ok, checks };
}

function storeWritable(store: Store): HealthCheck {
  try {
    const db = sqliteHandle(store);
    if (db.inTransaction) return { ok: true, detail: "a write is in progress" };
    // BEGIN IMMEDIATE takes the write lock without writing anything.
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return { ok: true, detail: "write lock taken" };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

function sipListening(stack: SipStack): HealthCheck {
  if (stack.draining) return { ok: false, detail: "draining (shutting down)" };
  const bound = stack.addresses();
  if (bound.length === 0) return { ok: false, detail: "no listener bound" };
  return {
    ok: true,
    detail: bound.map((b) => `${b.transport.toLowerCase()}:${b.address}:${b.port}`).join(" "),
  };
}
