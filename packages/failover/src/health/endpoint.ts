import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthStatus } from "./types.js";

export interface HealthEndpointOptions {
  /** Listen address; default 127.0.0.1. */
  address?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Path served; default `/health`. */
  path?: string;
  /** Called on every request: the live status (role, epoch…). */
  status(): HealthStatus;
}

export interface HealthEndpoint {
  readonly address: string;
  readonly port: number;
  /** `http://host:port/health`, IPv6 bracketed. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A minimal HTTP health endpoint: `GET /health` answers the node's status as JSON, with 200 when
 * the node serves (role primary) and 503 otherwise, so a plain HTTP checker (load balancer,
 * monitoring) reads the answer from the status code, and the peer reads role and epoch from the body.
 */
export async function startHealthEndpoint(opts: HealthEndpointOptions): Promise<HealthEndpoint> {
  const path = opts.path ?? "/health";
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, {
        "content-type": "application/json",
        "cache-control": "no-store",
        "content-length": Buffer.byteLength(text),
      });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    const url = (req.url ?? "").split("?")[0];
    if (url !== path) return send(404, { error: "not found" });
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { error: "method not allowed" });
    let status: HealthStatus;
    try {
      status = opts.status();
    } catch (err) {
      return send(500, { error: (err as Error).message });
    }
    send(status.role === "primary" ? 200 : 503, status);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.address ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    address: a.address,
    port: a.port,
    url: `http://${host}:${a.port}${path}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
