import { randomBase64url } from "../random/index.js";

/** RFC 3261 §8.1.1.7: branches starting with this were built to be unique per transaction. */
export const MAGIC_COOKIE = "z9hG4bK";

/** `z9hG4bK` + 96 random bits (base64url): globally unique, no crypto call per branch. */
export function newBranch(): string {
  return MAGIC_COOKIE + randomBase64url(12);
}

export function hasMagicCookie(branch: string | undefined): branch is string {
  return typeof branch === "string" && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}
