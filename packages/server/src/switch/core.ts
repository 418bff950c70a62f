import type { Registrar } from "@centrex/registrar";
import {
  createResponse,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type SipUri,
  type TransactionTarget,
  type TransactionUser,
} from "@centrex/sip";
import type { Logger } from "pino";

export const ALLOWED_METHODS =
  "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, REFER, NOTIFY, PRACK, SUBSCRIBE";

/**
 * Requests handled by the switch itself (OPTIONS to the server, REGISTER);
 * everything else goes to the proxy. Errors in a handler become a 500 so a
 * phone is never left waiting and nothing escapes into the socket layer.
 */
export interface CallHandler {
  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: TransactionTarget): void;
  onStrayResponse(res: SipResponse, source: TransactionTarget | undefined): void;
  /** A final non-2xx given before any transaction exists (the 407 to a phone's INVITE), or undefined. */
  answerStatelessly?(req: SipRequest): SipResponse | undefined;
}

export interface CoreOptions {
  readonly registrar: Registrar;
  readonly logger: Logger;
  /** Set once the stack exists (the stack needs the core first). */
  stack?: SipStack;
  proxy?: CallHandler;
  /** SUBSCRIBE ends here (busy lamps, message waiting): the switch is the notifier. */
  subscriptions?: { onSubscribe(req: SipRequest, tx: ServerTransactionLike): void };
  /** Told each REGISTER's outcome (metrics). */
  onRegisterOutcome?: (outcome: string) => void;
}

export class SwitchCore implements TransactionUser {
  constructor(readonly opts: CoreOptions) {}

  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined, source: TransactionTarget): void {
    if (req.method === "REGISTER" && tx !== undefined) {
      void this.#register(req, tx);
      return;
    }
    if (req.method === "SUBSCRIBE" && tx !== undefined && this.opts.subscriptions !== undefined) {
      this.opts.subscriptions.onSubscribe(req, tx);
      return;
    }
    if (req.method === "OPTIONS" && tx !== undefined && isForServer(req)) {
      tx.respond(
        createResponse(req, 200, "OK", {
          headers: [
            ["Allow", ALLOWED_METHODS],
            ["Accept", "application/sdp"],
            ["Supported", "path, outbound"],
            ["Allow-Events", "dialog, message-summary"],
          ],
        }),
      );
      return;
    }
    if (this.opts.proxy !== undefined) {
      this.opts.proxy.onRequest(req, tx, source);
      return;
    }
    // The stack answers from the moment it is bound; the proxy is wired once the rest of the
    // start-up (kernel tables, ledger, voicemail) is done, which can take seconds on a busy
    // host. Until then a call is told to come back (RFC 3261 §21.5.4), not that INVITE is unknown.
    if (tx !== undefined && req.method !== "ACK") {
      tx.respond(
        createResponse(req, 503, "Service Unavailable - Starting", { headers: [["Retry-After", "5"]] }),
      );
    }
  }

  /**
   * A REGISTER without credentials is answered 401 here, before any server transaction is made
   * (RFC 3261 §8.2.7): half of all REGISTERs, each a transaction made and dropped otherwise; a
   * phone's INVITE without credentials likewise 407 (half of all calls' INVITEs).
   * Anything unexpected falls back to the stateful path, which answers errors with a 500.
   */
  answerStatelessly(req: SipRequest): SipResponse | undefined {
    if (req.method === "INVITE") return this.#challengeCall(req);
    if (req.method !== "REGISTER") return undefined;
    const source = this.opts.stack?.sourceOf(req);
    if (source === undefined) return undefined;
    try {
      const response = this.opts.registrar.challengeStateless(req, source);
      if (response !== undefined) this.opts.onRegisterOutcome?.("challenged");
      return response;
    } catch {
      return undefined;
    }
  }

  onStrayResponse(res: SipResponse, source: TransactionTarget | undefined): void {
    this.opts.proxy?.onStrayResponse(res, source);
  }

  /**
   * The 407 to a phone's initial INVITE without credentials, the same way (the proxy decides;
   * see `SipProxy.answerStatelessly`): its ACK is absorbed by the layer (`isAckOfLocalResponse`).
   * Until the proxy is wired, nothing: the stateful path answers 503.
   */
  #challengeCall(req: SipRequest): SipResponse | undefined {
    try {
      return this.opts.proxy?.answerStatelessly?.(req);
    } catch {
      return undefined;
    }
  }

  async #register(req: SipRequest, tx: ServerTransactionLike): Promise<void> {
    const source = this.opts.stack?.sourceOf(req);
    if (source === undefined) return;
    try {
      const result = await this.opts.registrar.register(req, source);
      this.opts.onRegisterOutcome?.(result.outcome);
      // A challenge keeps no transaction (RFC 3261 §8.2.7): half of all REGISTERs are answered 401.
      if (result.outcome === "challenged") tx.respondStateless(result.response);
      else tx.respond(result.response);
    } catch (err) {
      this.opts.logger.error({ err, callId: req.callId }, "REGISTER failed");
      tx.respond(createResponse(req, 500, "Server Internal Error"));
    }
  }
}

/** OPTIONS addressed to the server itself (no user part) rather than to a phone. */
function isForServer(req: SipRequest): boolean {
  const uri = req.uri;
  return (uri.scheme === "sip" || uri.scheme === "sips") && (uri as SipUri).user === undefined;
}
