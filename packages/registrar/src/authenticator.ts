import {
  createResponse,
  type DigestAlgorithm,
  formatChallenge,
  type NonceService,
  parseAuthHeader,
  type SipRequest,
  type SipResponse,
  verifyAuthorization,
} from "@centrex/sip";
import type { ExtensionCredentials, ExtensionRepository } from "@centrex/store";

/** Which challenge: 401/WWW-Authenticate (registrar, UAS) or 407/Proxy-Authenticate (proxy). */
export type ChallengeKind = "www" | "proxy";

export type AuthResult =
  | { readonly ok: true; readonly credentials: ExtensionCredentials; readonly username: string }
  | { readonly ok: false; readonly response: SipResponse; readonly reason: AuthFailure };

export type AuthFailure = "no-credentials" | "stale-nonce" | "bad-nonce" | "bad-credentials" | "disabled";

export interface AuthenticatorOptions {
  readonly extensions: Pick<ExtensionRepository, "findCredentials">;
  readonly nonces: NonceService;
  /**
   * Offered in this order, one challenge header each (RFC 8760: most preferred first).
   * Default MD5 alone: some phones (libre/baresip 1.0) refuse a challenge that also offers
   * an algorithm they lack, and every phone knows MD5.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /**
   * Told of every wrong digest answer — a wrong password or a user that does not exist, the
   * same thing seen from outside — after the answer is decided, so it changes neither the
   * response nor its timing. The server feeds its brute-force tracker with it.
   */
  readonly onBadCredentials?: (req: SipRequest, username: string, realm: string) => void;
}

const KIND = {
  www: { status: 401, request: "authorization", challenge: "WWW-Authenticate" },
  proxy: { status: 407, request: "proxy-authorization", challenge: "Proxy-Authenticate" },
} as const;

type Credentials = ReturnType<typeof parseAuthHeader>;

function findCredentials(req: SipRequest, header: string, realm: string): Credentials | undefined {
  // A phone may carry credentials for several realms (RFC 3261 §22.3): use ours.
  for (const value of req.getAll(header)) {
    try {
      const c = parseAuthHeader(value);
      if (c.scheme.toLowerCase() === "digest" && c.params.get("realm") === realm) return c;
    } catch {
      // Garbage in one header does not hide good credentials in another.
    }
  }
  return undefined;
}

// Unknown users are checked against this HA1 so they cost the same time as known ones.
const DUMMY_HA1 = "0".repeat(64);

/**
 * Digest authentication of phones against the store (RFC 3261 §22, RFC 7616).
 * The realm is the customer's SIP domain; the username is the extension number.
 * An unknown user is treated exactly like a known one with a wrong password,
 * so scanners cannot enumerate extensions.
 */
export class DigestAuthenticator {
  readonly #extensions: Pick<ExtensionRepository, "findCredentials">;
  readonly #nonces: NonceService;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #onBadCredentials: AuthenticatorOptions["onBadCredentials"];
  /**
   * The last request's credentials for (header, realm): a REGISTER with credentials is read once
   * by `challengeIfNoCredentials` (asked before its transaction exists) and again by
   * `authenticate`; the Authorization header is parsed once. Keyed by the request object itself.
   */
  #picked: { req: SipRequest; header: string; realm: string; creds: Credentials | undefined } | undefined;

  constructor(opts: AuthenticatorOptions) {
    this.#extensions = opts.extensions;
    this.#nonces = opts.nonces;
    this.#algorithms = opts.algorithms ?? ["MD5"];
    this.#onBadCredentials = opts.onBadCredentials;
  }

  async authenticate(req: SipRequest, realm: string, kind: ChallengeKind): Promise<AuthResult> {
    const k = KIND[kind];
    const creds = this.#pickCredentials(req, k.request, realm);
    if (creds === undefined) return this.#fail(req, realm, kind, false, "no-credentials");
    const nonce = creds.params.get("nonce") ?? "";
    const verdict = this.#nonces.verify(nonce, realm);
    if (verdict === "invalid") return this.#fail(req, realm, kind, false, "bad-nonce");
    if (verdict === "stale") return this.#fail(req, realm, kind, true, "stale-nonce");
    const username = creds.params.get("username") ?? "";
    const found = await this.#extensions.findCredentials(realm, username);
    const algorithm = (creds.params.get("algorithm") ?? "MD5").toUpperCase();
    const ha1 = (algorithm.startsWith("SHA-256") ? found?.ha1Sha256 : found?.ha1Md5) ?? DUMMY_HA1;
    const good = verifyAuthorization(creds, req.method, ha1, { realm });
    if (!good || found === undefined || ha1 === DUMMY_HA1) {
      this.#onBadCredentials?.(req, username, realm);
      return this.#forbidden(req, "bad-credentials", "Forbidden - Bad credentials");
    }
    const nc = creds.params.get("nc");
    if (nc !== undefined && !this.#nonces.acceptNonceCount(nonce, nc)) {
      // A replayed nonce-count: make the client start over with a fresh nonce.
      return this.#fail(req, realm, kind, false, "bad-nonce");
    }
    if (!found.enabled || found.customerStatus === "terminated") {
      return this.#forbidden(req, "disabled", "Forbidden - Account disabled");
    }
    return { ok: true, credentials: found, username };
  }

  /**
   * The challenge for a request that carries no credentials for `realm` — decided from the
   * request alone, so it can be sent without a transaction (RFC 3261 §8.2.7); undefined when
   * there are credentials to check (`authenticate`).
   */
  challengeIfNoCredentials(req: SipRequest, realm: string, kind: ChallengeKind): SipResponse | undefined {
    if (this.#pickCredentials(req, KIND[kind].request, realm) !== undefined) return undefined;
    return this.challenge(req, realm, kind);
  }

  /** A challenge response for `req`, offering every configured algorithm. */
  challenge(req: SipRequest, realm: string, kind: ChallengeKind, stale = false): SipResponse {
    const k = KIND[kind];
    // Challenges are sent statelessly: a retransmission of the request must get the same bytes.
    const identity = `${req.getAll("via")[0]}\n${req.get("from")}\n${req.callId}\n${req.get("cseq")}\n`;
    const headers: [string, string][] = this.#algorithms.map((algorithm) => [
      k.challenge,
      formatChallenge({
        realm,
        nonce: this.#nonces.create(realm, undefined, identity + algorithm),
        algorithm,
        qop: "auth",
        stale,
      }),
    ]);
    return createResponse(req, k.status, undefined, { headers });
  }

  #pickCredentials(req: SipRequest, header: string, realm: string): Credentials | undefined {
    const last = this.#picked;
    if (last !== undefined && last.req === req && last.header === header && last.realm === realm)
      return last.creds;
    const creds = findCredentials(req, header, realm);
    this.#picked = { req, header, realm, creds };
    return creds;
  }

  #fail(
    req: SipRequest,
    realm: string,
    kind: ChallengeKind,
    stale: boolean,
    reason: AuthFailure,
  ): AuthResult {
    return { ok: false, response: this.challenge(req, realm, kind, stale), reason };
  }

  #forbidden(req: SipRequest, reason: AuthFailure, phrase: string): AuthResult {
    return { ok: false, response: createResponse(req, 403, phrase), reason };
  }
}
