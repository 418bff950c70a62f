import { createHash } from "node:crypto";

/**
 * HA1 = H(username ":" realm ":" password), lower-case hex (RFC 2617 §3.2.2.2 for MD5,
 * RFC 7616 §3.4.2 for SHA-256). Storing HA1 rather than the password means a stolen database
 * does not give away passwords reused elsewhere; it still lets anyone answer challenges for
 * that realm, which is why the file is created mode 0600.
 */
export function computeHa1(
  algorithm: "md5" | "sha256",
  username: string,
  realm: string,
  password: string,
): string {
  return createHash(algorithm).update(`${username}:${realm}:${password}`, "utf8").digest("hex");
}
