import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

/** Serves `GET` unauthenticated and `POST` signed (see `control-auth.ts`), JSON both ways. */
export async function startControlEndpoint(
  address: string,
  port: number,
  secret: string,
  handle: ControlHandler,
): Promise<ControlEndpoint & { close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 65_536) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      const send = (code: number, payload: unknown): void => {
        const text = JSON.stringify(payload);
        res.writeHead(code, {
          "content-type": "application/json",
          "cache-control": "no-store",
          "content-length": Buffer.byteLength(text),
        });
        res.end(text);
      };
      const path = (req.url ?? "").split("?")[0] ?? "";
      const text = Buffer.concat(chunks).toString("utf8");
      const method = req.method ?? "";
      if (method !== "GET" && !authorised(secret, req, path, text))
        return send(401, { error: "unauthorised" });
      let body: Record<string, unknown> = {};
      try {
        if (text !== "") body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return send(400, { error: "body is not JSON" });
      }
      handle(method, path, body).then(
        ([code, payload]) => send(code, payload),
        (err: Error) => send(500, { error: err.message }),
      );
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    address: a.address,
    port: a.port,
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
