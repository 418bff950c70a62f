import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Control calls are signed with the pair's secret over method, path, timestamp and body. */
export const MAX_CLOCK_SKEW_MS = 30_000;

export function controlMac(secret: string, method: string, path: string, ts: string, body: string): string {
  return createHmac("sha256", secret).update(`${method} ${path} ${ts}\n${body}`).digest("hex");
}

export function authorised(secret: string, req: IncomingMessage, path: string, body: string): boolean {
  const m = /^Centrex-HMAC ts=(\d+),mac=([0-9a-f]{64})$/.exec(req.headers.authorization ?? "");
  if (m === null) return false;
  const [, ts = "", mac = ""] = m;
  if (Math.abs(Date.now() - Number(ts)) > MAX_CLOCK_SKEW_MS) return false;
  const want = Buffer.from(controlMac(secret, req.method ?? "", path, ts, body), "hex");
  return timingSafeEqual(want, Buffer.from(mac, "hex"));
}
