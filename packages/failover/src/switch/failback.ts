import type { ReplicationSink, SinkLag } from "../replication/sink.js";
import type { FailoverController, TakeoverEvent } from "./controller.js";

export interface FailbackOptions {
  /** The repaired node: rejoined as standby and replicating from the active one. */
  repaired: { controller: FailoverController; sink: ReplicationSink };
  /** The node serving now, which hands the role back. */
  active: {
    controller: FailoverController;
    /**
     * Stops accepting new calls and writes for the moment of the switch (new INVITEs wait or are
     * answered 503 + Retry-After: a second); calls already up continue. Optional.
     */
    quiesce?: () => void | Promise<void>;
    /** Undoes `quiesce` if the failback is abandoned. */
    resume?: () => void | Promise<void>;
  };
  /** How long the repaired node may take to catch up, each time. Default 60 s. */
  catchUpTimeoutMs?: number;
  now?: () => number;
}

export interface FailbackResult {
  /** Lag when the first catch-up completed (bulk of the data). */
  caughtUp: SinkLag;
  /** Lag after the active stopped writing: nothing may be left. */
  final: SinkLag;
  takeover: TakeoverEvent;
  /** From the start of the final catch-up to the DNS switch: the window new calls waited. */
  switchMs: number;
}

/**
 * The reverse switch, usually outside business hours: the repaired node, already following the
 * active one, catches up; the active quiesces; the repaired node catches up again (now nothing
 * can be missing), stops following, takes the primary role with a higher epoch and the DNS name;
 * the old active steps down to standby. Calls already up on the old active are not torn down
 * (demotion only stops new ones), and every call that started after the catch-up was either
 * replicated before the switch or starts on the repaired node.
 * If catching up fails, the active resumes and nothing moved.
 */
export async function failback(opts: FailbackOptions): Promise<FailbackResult> {
  const timeout = opts.catchUpTimeoutMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const { repaired, active } = opts;
  const caughtUp = await repaired.sink.waitCaughtUp(timeout);
  const start = now();
  await active.quiesce?.();
  let final: SinkLag;
  try {
    final = await repaired.sink.waitCaughtUp(timeout);
  } catch (err) {
    await active.resume?.();
    throw err;
  }
  await repaired.sink.stop();
  repaired.controller.observePeer(active.controller.epoch, "primary");
  const takeover = await repaired.controller.promote("failback");
  active.controller.demote();
  return { caughtUp, final, takeover, switchMs: now() - start };
}
