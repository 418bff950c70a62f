import { createResponse, type NameAddr, type SipRequest, type SipResponse, type SipUri } from "@centrex/sip";
import type { Binding, BindingTransport, LocationRepository } from "@centrex/store";
import type { Logger } from "pino";
import type { DigestAuthenticator } from "./authenticator.js";
import { DEFAULT_EXPIRY, type ExpiryPolicy, requestedExpiry } from "./expires.js";
import type { RegisterSource } from "./register-source.js";

export interface RegistrarOptions {
  readonly locations: LocationRepository;
  readonly authenticator: DigestAuthenticator;
  readonly expiry?: Partial<ExpiryPolicy>;
  /** Bindings one extension may hold at once (desk phone, softphone, mobile…). */
  readonly maxBindingsPerAor?: number;
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/** What happened to a REGISTER, for logs and metrics. */
export type RegisterOutcome = "registered" | "unregistered" | "queried" | "challenged" | "refused";

export interface RegisterResult {
  readonly response: SipResponse;
  readonly outcome: RegisterOutcome;
  readonly extensionId?: number;
}

interface ContactChange {
  readonly contact: NameAddr;
  readonly key: string;
  readonly expires: number;
}

/**
 * The registrar (RFC 3261 §10.3). The address-of-record is an extension,
 * `sip:<number>@<customer domain>`; the realm of the digest challenge is the
 * customer's domain, so extension 201 of one customer never touches 201 of
 * another. Bindings are written to the store — durably — before the 200 leaves.
 */
export class Registrar {
  readonly #locations: LocationRepository;
  readonly #auth: DigestAuthenticator;
  readonly #expiry: ExpiryPolicy;
  readonly #maxBindings: number;
  readonly #clock: () => number;
  readonly #logger: Logger | undefined;

  constructor(opts: RegistrarOptions) {
    this.#locations = opts.locations;
    this.#auth = opts.authenticator;
    this.#expiry = { ...DEFAULT_EXPIRY, ...opts.expiry };
    this.#maxBindings = opts.maxBindingsPerAor ?? 10;
    this.#clock = opts.clock ?? Date.now;
    this.#logger = opts.logger;
  }

  /**
   * The 401 for a REGISTER without credentials for its realm — the first leg of every
   * registration — decided without the store, so the stack sends it without a transaction
   * (RFC 3261 §8.2.7). Undefined: the request needs `register` (credentials to check, a URI
   * scheme to refuse). Same response, same log line as `register` gives such a request.
   */
  challengeStateless(req: SipRequest, source: RegisterSource): SipResponse | undefined {
    const uri = req.uri;
    if (uri.scheme !== "sip" && uri.scheme !== "sips") return undefined;
    const realm = (uri as SipUri).host.toLowerCase();
    const response = this.#auth.challengeIfNoCredentials(req, realm, "www");
    if (response !== undefined) this.#logUnauthenticated(req, source, "no-credentials");
    return response;
  }

  #logUnauthenticated(req: SipRequest, source: RegisterSource, reason: string): void {
    this.#logger?.info(
      { event: "register-auth", callId: req.callId, result: reason, remote: source.remoteAddress },
      "REGISTER not authenticated",
    );
  }

  async register(req: SipRequest, source: RegisterSource): Promise<RegisterResult> {
    const uri = req.uri;
    if (uri.scheme !== "sip" && uri.scheme !== "sips") {
      return refused(createResponse(req, 416, "Unsupported URI Scheme"));
    }
    const realm = (uri as SipUri).host.toLowerCase();
    const auth = await this.#auth.authenticate(req, realm, "www");
    if (!auth.ok) {
      this.#logUnauthenticated(req, source, auth.reason);
      return { response: auth.response, outcome: auth.response.status === 403 ? "refused" : "challenged" };
    }
    const to = req.to.uri;
    if (
      (to.scheme !== "sip" && to.scheme !== "sips") ||
      (to as SipUri).user !== auth.username ||
      (to as SipUri).host.toLowerCase() !== realm
    ) {
      return refused(createResponse(req, 403, "Forbidden - To does not match credentials"));
    }
    const aor = auth.credentials.extensionId;
    const now = this.#clock();

    if (req.contactStar) return this.#removeAll(req, aor);
    if (req.contact.length === 0) {
      return { response: await this.#ok(req, aor, now), outcome: "queried", extensionId: aor };
    }

    const changes: ContactChange[] = [];
    for (const contact of req.contact) {
      const expires = requestedExpiry(req, contact, this.#expiry);
      if (expires > 0 && expires < this.#expiry.min) {
        return refused(
          createResponse(req, 423, "Interval Too Brief", {
            headers: [["Min-Expires", String(this.#expiry.min)]],
          }),
        );
      }
      changes.push({ contact, key: contact.uri.raw, expires: Math.min(expires, this.#expiry.max) });
    }

    // All checks before any write: a refused REGISTER changes nothing.
    const seq = req.cseq.seq;
    let delta = 0;
    for (const c of changes) {
      const existing = await this.#locations.get(aor, c.key);
      if (existing !== undefined && existing.callId === req.callId && seq <= existing.cseq) {
        return refused(createResponse(req, 500, "Server Internal Error - Out of order REGISTER"));
      }
      if (existing === undefined && c.expires > 0) delta++;
      if (existing !== undefined && c.expires === 0) delta--;
    }
    if (delta > 0 && (await this.#locations.count(aor, now)) + delta > this.#maxBindings) {
      return refused(createResponse(req, 403, "Forbidden - Too many registered devices"));
    }

    let added = 0;
    for (const c of changes) {
      if (c.expires === 0) {
        await this.#locations.remove(aor, c.key);
        continue;
      }
      await this.#locations.upsert(bindingInput(req, aor, c, source, now));
      added++;
    }
    this.#logger?.info(
      {
        event: "register",
        callId: req.callId,
        extension: auth.username,
        realm,
        remote: `${source.remoteAddress}:${source.remotePort}`,
        transport: source.transport,
        contacts: changes.length,
      },
      added > 0 ? "registered" : "unregistered",
    );
    return {
      response: await this.#ok(req, aor, now),
      outcome: added > 0 ? "registered" : "unregistered",
      extensionId: aor,
    };
  }

  async #removeAll(req: SipRequest, aor: number): Promise<RegisterResult> {
    // RFC 3261 §10.3 step 6: "*" only alone and only with Expires: 0.
    if (req.contact.length > 0 || req.expires !== 0) {
      return refused(
        createResponse(req, 400, "Bad Request - Contact * needs Expires: 0 and no other Contact"),
      );
    }
    await this.#locations.removeAll(aor);
    return { response: createResponse(req, 200, "OK"), outcome: "unregistered", extensionId: aor };
  }

  /** 200 listing every current binding of the AOR with its remaining time (§10.3 step 8). */
  async #ok(req: SipRequest, aor: number, now: number): Promise<SipResponse> {
    const bindings = await this.#locations.current(aor, now);
    const headers: [string, string][] = bindings.map((b) => ["Contact", contactHeader(b, now)]);
    headers.push(["Date", new Date(now).toUTCString()]);
    return createResponse(req, 200, "OK", { headers });
  }
}

function refused(response: SipResponse): RegisterResult {
  return { response, outcome: "refused" };
}

function contactHeader(b: Binding, now: number): string {
  const remaining = Math.max(0, Math.round((b.expiresAt - now) / 1000));
  return `<${b.contact}>;expires=${remaining}${b.q < 1 ? `;q=${b.q}` : ""}`;
}

function bindingInput(req: SipRequest, aor: number, c: ContactChange, source: RegisterSource, now: number) {
  const q = c.contact.params.get("q");
  const instance = c.contact.params.get("+sip.instance");
  const regId = c.contact.params.get("reg-id");
  return {
    aor,
    contact: c.key,
    q: q !== undefined && q !== null && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q) ? Number(q) : 1,
    expiresAt: now + c.expires * 1000,
    callId: req.callId,
    cseq: req.cseq.seq,
    transport: source.transport.toLowerCase() as BindingTransport,
    sourceAddress: source.remoteAddress,
    sourcePort: source.remotePort,
    localAddress: source.localAddress ?? null,
    localPort: source.localPort ?? null,
    connectionId: source.connectionId === undefined ? null : String(source.connectionId),
    instanceId: instance === undefined || instance === null ? null : instance.replace(/^"|"$/g, ""),
    regId: regId !== undefined && regId !== null && /^\d+$/.test(regId) ? Number(regId) : null,
    userAgent: req.get("user-agent") ?? null,
    path: req.getAll("path"),
  };
}
