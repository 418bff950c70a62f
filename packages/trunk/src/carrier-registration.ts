import type { ClientTransactionDelegate, SipRequest, SipResponse, SipStack } from "@centrex/sip";
import type { Carrier } from "@centrex/store";
import type { Logger } from "pino";
import { type CarrierDirectory, carrierTransport } from "./carrier-directory.js";
import { answerChallenge, isStale } from "./digest-client.js";
import { TrunkError } from "./errors.js";
import { hostPort, localHostPort, localVia } from "./local-address.js";
import { buildRequest, newCallId, newTag } from "./request-builder.js";
import { defaultPort, type SipTarget } from "./resolver.js";

export type RegistrationState = "idle" | "registering" | "registered" | "failed" | "stopped";

export interface CarrierRegistrationOptions {
  readonly stack: SipStack;
  readonly directory: CarrierDirectory;
  readonly carrier: Carrier;
  /** Expires we ask for (s); default 600. The carrier's answer wins. */
  readonly expires?: number;
  /** Wait before trying again after a failure (ms); default 30 s. */
  readonly retryMs?: number;
  /** No final response in this time: try the next address (ms); default 4 s. */
  readonly timeoutMs?: number;
  readonly advertisedAddress?: string;
  readonly logger?: Logger;
  readonly onStateChange?: (state: RegistrationState, reg: CarrierRegistration) => void;
}

/**
 * When to refresh a registration granted for `expires` seconds: well before it lapses — 30 s
 * early for long ones, halfway for short ones (as most UAs do).
 */
export function refreshDelayMs(expires: number): number {
  const s = expires > 60 ? expires - 30 : expires / 2;
  return Math.max(500, Math.round(s * 1000));
}

/**
 * Outbound registration to one carrier (RFC 3261 §10.2): REGISTER with our Contact, answering
 * 401/407 digest challenges, refreshed before it expires, retried after failures, removed
 * (Expires: 0) on stop.
 */
export class CarrierRegistration {
  readonly #o: CarrierRegistrationOptions;
  readonly #callId: string;
  readonly #fromTag = newTag();
  #cseq = 1;
  #state: RegistrationState = "idle";
  #timer: NodeJS.Timeout | undefined;
  #expiresAt = 0;
  #registrations = 0;
  #stopped = false;

  constructor(opts: CarrierRegistrationOptions) {
    if (opts.carrier.username === null) throw new TrunkError(`carrier ${opts.carrier.name} has no username`);
    this.#o = opts;
    this.#callId = newCallId("centrex");
  }

  get state(): RegistrationState {
    return this.#state;
  }

  get carrier(): Carrier {
    return this.#o.carrier;
  }

  /** When the current registration lapses (ms since epoch), 0 if not registered. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Successful REGISTER exchanges so far (first one and refreshes). */
  get registrations(): number {
    return this.#registrations;
  }

  start(): void {
    this.#stopped = false;
    if (this.#state === "registering" || this.#state === "registered") return;
    void this.#register(this.#o.expires ?? 600);
  }

  /** Stops refreshing; with `unregister`, sends Expires: 0 and waits for the answer. */
  async stop(unregister = true): Promise<void> {
    this.#clearTimer();
    this.#stopped = true;
    const wasRegistered = this.#state === "registered";
    this.#setState("stopped");
    if (unregister && wasRegistered) await this.#exchange(0).catch(() => undefined);
    this.#expiresAt = 0;
  }

  async #register(expires: number): Promise<void> {
    if (this.#stopped) return;
    this.#setState("registering");
    try {
      const granted = await this.#exchange(expires);
      if (this.#stopped) return;
      this.#registrations++;
      this.#expiresAt = Date.now() + granted * 1000;
      this.#setState("registered");
      this.#schedule(refreshDelayMs(granted), expires);
    } catch (err) {
      if (this.#stopped) return;
      this.#o.logger?.warn({ err, carrier: this.#o.carrier.name }, "carrier registration failed");
      this.#expiresAt = 0;
      this.#setState("failed");
      this.#schedule(this.#o.retryMs ?? 30_000, expires);
    }
  }

  #schedule(ms: number, expires: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => void this.#register(expires), ms);
  }

  /** One REGISTER exchange over the carrier's addresses in order; resolves to the granted expiry (s). */
  async #exchange(expires: number): Promise<number> {
    const targets = await this.#o.directory.targets(this.#o.carrier);
    let last: unknown;
    for (const t of targets) {
      try {
        return await this.#exchangeWith(t, expires);
      } catch (err) {
        last = err;
        if (err instanceof TrunkError && err.status !== 408 && err.status !== 503) throw err;
      }
    }
    throw last ?? new TrunkError("no address for carrier", 503);
  }

  async #exchangeWith(target: SipTarget, expires: number): Promise<number> {
    const c = this.#o.carrier;
    const transport = carrierTransport(c);
    const port = c.port === defaultPort(transport) ? undefined : c.port;
    const domain = hostPort(c.host, port);
    const local = localHostPort(this.#o, target.transport, target.address);
    const aor = `sip:${c.username}@${domain}`;
    const contact = `<sip:${c.username}@${local}${transport === "UDP" ? "" : `;transport=${transport.toLowerCase()}`}>`;
    let auth: { header: string; value: string } | undefined;
    for (let round = 0; round < 4; round++) {
      const headers: [string, string][] = [
        ["Contact", contact],
        ["Expires", String(expires)],
      ];
      if (auth !== undefined) headers.push([auth.header, auth.value]);
      const req = buildRequest({
        method: "REGISTER",
        uri: `sip:${domain}`,
        via: localVia(this.#o, target.transport, target.address),
        from: `<${aor}>;tag=${this.#fromTag}`,
        to: `<${aor}>`,
        callId: this.#callId,
        cseq: this.#cseq++,
        headers,
      });
      const res = await this.#send(req, target);
      if (res.status >= 200 && res.status < 300) return grantedExpires(res, local, expires);
      if ((res.status === 401 || res.status === 407) && c.password !== null) {
        if (auth !== undefined && !isStale(res))
          throw new TrunkError(`${c.name} refused our credentials`, 403);
        auth = answerChallenge(req, res, { username: c.username ?? "", password: c.password });
        continue;
      }
      throw new TrunkError(`${c.name} answered REGISTER with ${res.status} ${res.reason}`, res.status);
    }
    throw new TrunkError(`${c.name}: too many challenges`, 403);
  }

  #send(req: SipRequest, target: SipTarget): Promise<SipResponse> {
    return new Promise<SipResponse>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new TrunkError("REGISTER timed out", 408))),
        this.#o.timeoutMs ?? 4_000,
      );
      const delegate: ClientTransactionDelegate = {
        onResponse: (res) => {
          if (res.status >= 200) finish(() => resolve(res));
        },
        onTimeout: () => finish(() => reject(new TrunkError("REGISTER timed out", 408))),
        onTransportError: () => finish(() => reject(new TrunkError("REGISTER could not be sent", 503))),
      };
      try {
        this.#o.stack.transactions.sendRequest(
          req,
          { transport: target.transport, address: target.address, port: target.port },
          delegate,
        );
      } catch (err) {
        finish(() => reject(err));
      }
    });
  }

  #setState(s: RegistrationState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#o.onStateChange?.(s, this);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The expiry the registrar granted: our Contact's `expires`, else the Expires header, else what we asked. */
function grantedExpires(res: SipResponse, local: string, asked: number): number {
  for (const c of res.contact) {
    const e = c.params.get("expires");
    if (c.uri.raw.includes(local) && typeof e === "string" && /^\d+$/.test(e)) return Number(e);
  }
  return res.expires ?? asked;
}
