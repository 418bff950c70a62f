import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

/**
 * The node's secret for stateless digest nonces. Kept beside the database so a
 * restart (and a standby restored from the same data) accepts nonces it issued.
 */
export function loadOrCreateSecret(dbPath: string): Buffer {
  if (dbPath === ":memory:") return randomBytes(32);
  const path = `${dbPath}.secret`;
  try {
    const hex = readFileSync(path, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, "hex");
  } catch {
    // First start: create it below.
  }
  const secret = randomBytes(32);
  writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600 });
  return secret;
}
