import { request } from "node:http";
import { controlMac } from "./control-auth.js";

/** The answer of a node's control endpoint. */
export interface ControlReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Calls a node's health/control endpoint (`baseUrl` = `http://host:port`); POSTs are signed with
 * the pair's secret. Used by `centrex failback`.
 */
export function callControl(
  baseUrl: string,
  secret: string,
  method: "GET" | "POST",
  path: string,
  payload?: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<ControlReply> {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const ts = String(Date.now());
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (method === "POST")
    headers.authorization = `Centrex-HMAC ts=${ts},mac=${controlMac(secret, method, path, ts, body)}`;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, body: parsed });
        } catch {
          reject(new Error(`${baseUrl}${path}: HTTP ${res.statusCode} without a JSON body`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${baseUrl}${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
