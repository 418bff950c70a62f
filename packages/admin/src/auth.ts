import { createHash, timingSafeEqual } from "node:crypto";

/** An API token and the name the audit log records its changes under ("api:<name>"). */
export interface ApiToken {
  readonly name: string;
  readonly token: string;
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/**
 * Checks bearer tokens in constant time: both sides are hashed to 32 bytes (so lengths never
 * differ) and every configured token is compared, whichever matches.
 */
export class TokenCheck {
  readonly #tokens: { name: string; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens.map((t) => {
      if (typeof t.token !== "string" || t.token.length < 16) {
        throw new TypeError(`admin API token ${t.name}: must be at least 16 characters`);
      }
      return { name: t.name, digest: digest(t.token) };
    });
  }

  /** The token's name for an `Authorization` header value, or undefined. */
  check(header: string | undefined): string | undefined {
    if (header === undefined) return undefined;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (m === null) return undefined;
    const given = digest(m[1]!);
    let found: string | undefined;
    for (const t of this.#tokens) {
      if (timingSafeEqual(given, t.digest) && found === undefined) found = t.name;
    }
    return found;
  }
}
