import type {
  FailoverController,
  FailoverRole,
  HealthStatus,
  SinkLag,
  TakeoverEvent,
} from "@centrex/failover";
import type { ControlHandler } from "./control-endpoint.js";

/** What the control routes need of a node: the failback's steps and its status. */
export interface ControlledNode {
  readonly role: FailoverRole;
  readonly controller: Pick<FailoverController, "observePeer">;
  status(): HealthStatus;
  waitCaughtUp(timeoutMs: number): Promise<SinkLag>;
  quiesce(): void;
  resume(): void;
  promote(reason: "failback"): Promise<TakeoverEvent>;
  demote(): Promise<void>;
}

/** `POST /failover/*`, authenticated: the failback's steps (`GET /health` is the worker's). */
export function controlRoutes(node: ControlledNode): ControlHandler {
  return async (method, path, body) => {
    if (method !== "POST") return [405, { error: "method not allowed" }];
    const timeoutMs = typeof body.timeoutMs === "number" ? body.timeoutMs : 60_000;
    switch (path) {
      case "/failover/catch-up":
        return [200, await node.waitCaughtUp(timeoutMs)];
      case "/failover/quiesce":
        node.quiesce();
        return [200, node.status()];
      case "/failover/resume":
        node.resume();
        return [200, node.status()];
      case "/failover/promote": {
        if (node.role !== "standby") return [409, { error: `cannot promote a ${node.role} node` }];
        // The final catch-up: the active is quiesced, so nothing may be left behind.
        const final = await node.waitCaughtUp(timeoutMs);
        if (typeof body.activeEpoch === "number") node.controller.observePeer(body.activeEpoch, "primary");
        const takeover = await node.promote("failback");
        return [200, { final, takeover: { ...takeover, dnsError: takeover.dnsError?.message } }];
      }
      case "/failover/demote":
        if (node.role === "standby") return [409, { error: "already standby" }];
        await node.demote();
        return [200, node.status()];
      default:
        return [404, { error: "not found" }];
    }
  };
}
