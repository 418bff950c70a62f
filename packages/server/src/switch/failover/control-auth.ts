import { createHmac, timingSafeEqual } from "node:crypto";

/** Control calls are signed with the pair's secret over method, path, timestamp and body. */
export const MAX_CLOCK_SKEW_MS = 30_000;

export function controlMac(secret: string, method: string, path: string, ts: string, body: string): string {
  return createHmac("sha256", secret).update(`${method} ${path} ${ts}\n${body}`).digest("hex");
}

/** Whether `authorization` (`Centrex-HMAC ts=…,mac=…`) signs this request with `secret`. */
export function authorised(
  secret: string,
  method: string,
  authorization: string,
  path: string,
  body: string,
): boolean {
  const m = /^Centrex-HMAC ts=(\d+),mac=([0-9a-f]{64})$/.exec(authorization);
  if (m === null) return false;
  const [, ts = "", mac = ""] = m;
  if (Math.abs(Date.now() - Number(ts)) > MAX_CLOCK_SKEW_MS) return false;
  const want = Buffer.from(controlMac(secret, method, path, ts, body), "hex");
  return timingSafeEqual(want, Buffer.from(mac, "hex"));
}
