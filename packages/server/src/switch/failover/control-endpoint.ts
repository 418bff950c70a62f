import { type HealthStatus, startHealthWorker } from "@centrex/failover";
import { authorised } from "./control-auth.js";

export type ControlHandler = (
  method: string,
  path: string,
  body: Record<string, unknown>,
) => Promise<[number, unknown]>;

/** The node's HTTP endpoint: `GET /health` (role, epoch) and the failback control calls. */
export interface ControlEndpoint {
  readonly address: string;
  readonly port: number;
  /** `http://host:port` (IPv6 bracketed). */
  readonly url: string;
}

export interface ControlEndpointOptions {
  address: string;
  port: number;
  secret: string;
  /** See `failover.probe.stallMs`. */
  stallMs: number;
  /** How long `GET /health` waits for the main loop's fresh status (ms). */
  freshMs: number;
  status(): HealthStatus;
  handle: ControlHandler;
}

/**
 * `GET /health` is answered by a worker thread from the main loop's beat (so a main loop busy
 * on SQLite still reads as alive, and a stuck one as `stalled`); `POST /failover/*` are signed
 * with the pair's secret (see `control-auth.ts`) and run on the main thread, JSON both ways.
 */
export async function startControlEndpoint(
  o: ControlEndpointOptions,
): Promise<ControlEndpoint & { close(): Promise<void> }> {
  return startHealthWorker({
    address: o.address,
    port: o.port,
    stallMs: o.stallMs,
    freshMs: o.freshMs,
    status: o.status,
    handle: async (req) => {
      if (req.method !== "GET" && !authorised(o.secret, req.method, req.authorization, req.path, req.body))
        return [401, { error: "unauthorised" }];
      let body: Record<string, unknown> = {};
      try {
        if (req.body !== "") body = JSON.parse(req.body) as Record<string, unknown>;
      } catch {
        return [400, { error: "body is not JSON" }];
      }
      return o.handle(req.method, req.path, body);
    },
  });
}
