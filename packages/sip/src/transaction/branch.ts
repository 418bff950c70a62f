import { randomBytes } from "node:crypto";

/** RFC 3261 §8.1.1.7: branches starting with this were built to be unique per transaction. */
export const MAGIC_COOKIE = "z9hG4bK";

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `z9hG4bK` + 96 random bits (base64url): globally unique, no crypto call per branch. */
export function newBranch(): string {
  if (poolOffset + 12 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const s = pool.toString("base64url", poolOffset, poolOffset + 12);
  poolOffset += 12;
  return MAGIC_COOKIE + s;
}

export function hasMagicCookie(branch: string | undefined): branch is string {
  return typeof branch === "string" && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}
