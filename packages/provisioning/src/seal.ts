import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { ProvisioningError } from "./errors.js";

/*
 * The store keeps only digest hashes (HA1) of SIP passwords, but a phone's configuration file
 * must carry the password itself (the vendors' HA1 options are not portable across the four
 * families). So a password set through provisioning is also kept sealed: AES-256-GCM under
 * the provisioning key, a file beside the database (mode 0600), never inside it. A stolen
 * database alone gives HA1s and ciphertexts; the key file is needed to read the passwords.
 * Both nodes of a failover pair need the same key file (copy it once, like the TLS key).
 */

const VERSION = "v1";

export type SealKey = Buffer;

/** The provisioning key's default place: beside the database (`<db>.provisioning-key`). */
export function defaultSealKeyPath(dbPath: string): string {
  return `${dbPath}.provisioning-key`;
}

/** Reads the 32-byte key (hex), creating it (mode 0600) when `create` and it does not exist. */
export function loadSealKey(path: string, opts: { create: boolean }): SealKey {
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !opts.create)
      throw new ProvisioningError(`provisioning key ${path}: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(text))
      throw new ProvisioningError(`provisioning key ${path}: not 64 hex digits`);
    return Buffer.from(text, "hex");
  }
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

export function seal(key: SealKey, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    VERSION,
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    ct.toString("base64url"),
  ].join(":");
}

/** Throws ProvisioningError when the text was sealed with another key or altered. */
export function unseal(key: SealKey, sealed: string): string {
  const [version, iv, tag, ct] = sealed.split(":");
  if (version !== VERSION || iv === undefined || tag === undefined || ct === undefined)
    throw new ProvisioningError("sealed secret: unknown format");
  try {
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    d.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([d.update(Buffer.from(ct, "base64url")), d.final()]).toString("utf8");
  } catch {
    throw new ProvisioningError("sealed secret: wrong provisioning key or altered data");
  }
}
