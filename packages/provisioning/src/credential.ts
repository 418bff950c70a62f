import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/*
 * A phone's provisioning credential: user name = its MAC, password = 128 random bits shown
 * once when the phone is added. Stored as SHA-256: with that much entropy a slow hash adds
 * nothing (nobody can guess the preimage), and checking stays cheap on every fetch.
 */

export function newProvisioningPassword(): string {
  return randomBytes(16).toString("base64url");
}

export function hashProvisioningPassword(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}

export function checkProvisioningPassword(password: string, hash: string): boolean {
  const a = Buffer.from(hashProvisioningPassword(password), "hex");
  const b = Buffer.from(hash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Basic …` → user and password, or undefined. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
