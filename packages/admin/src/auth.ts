import { createHash, timingSafeEqual } from "node:crypto";

/** An API token and the name the audit log records its changes under ("api:<name>"). */
export interface ApiToken {
  readonly name: string;
  readonly token: string;
  /**
   * A customer administrator's token: the customer's domain. Such a token sees and changes
   * only that customer, and only what the service terms let the customer change (see scope.ts).
   */
  readonly customer?: string;
}

/** Who a valid token belongs to. */
export interface TokenHolder {
  readonly name: string;
  readonly customer: string | undefined;
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/**
 * Checks bearer tokens in constant time: both sides are hashed to 32 bytes (so lengths never
 * differ) and every configured token is compared, whichever matches.
 */
export class TokenCheck {
  readonly #tokens: { holder: TokenHolder; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens.map((t) => {
      if (typeof t.token !== "string" || t.token.length < 16) {
        throw new TypeError(`admin API token ${t.name}: must be at least 16 characters`);
      }
      return { holder: { name: t.name, customer: t.customer?.toLowerCase() }, digest: digest(t.token) };
    });
  }

  /** The token's name for an `Authorization` header value, or undefined. */
  check(header: string | undefined): string | undefined {
    return this.holder(header)?.name;
  }

  /** Who holds the token of an `Authorization` header value, or undefined. */
  holder(header: string | undefined): TokenHolder | undefined {
    if (header === undefined) return undefined;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (m === null) return undefined;
    const given = digest(m[1]!);
    let found: TokenHolder | undefined;
    for (const t of this.#tokens) {
      if (timingSafeEqual(given, t.digest) && found === undefined) found = t.holder;
    }
    return found;
  }
}
