import type { Logger } from "pino";
import { isAckOfLocalResponse } from "../message/response.js";
import type { SipRequest, SipResponse } from "../message/types.js";
import { type Clock, TimerWheel } from "../timer/index.js";
import type { ClientTransaction } from "./client-transaction.js";
import { TransactionError } from "./errors.js";
import { InviteClientTransaction } from "./invite-client-transaction.js";
import { InviteServerTransaction } from "./invite-server-transaction.js";
import { clientKey, responseKey, rfc2543Key, serverKey, tagOf } from "./keys.js";
import { NonInviteClientTransaction } from "./non-invite-client-transaction.js";
import { NonInviteServerTransaction } from "./non-invite-server-transaction.js";
import { buildCancel } from "./requests.js";
import type { ServerTransaction } from "./server-transaction.js";
import type { Transaction, TransactionHost } from "./transaction.js";
import {
  type ClientTransactionDelegate,
  DEFAULT_TIMERS,
  type SendTarget,
  type TransactionTimers,
  type TransactionTransport,
  type TransactionUser,
} from "./types.js";

export interface TransactionLayerOptions {
  /** Share a wheel with other layers; by default the layer makes (and closes) its own. */
  wheel?: TimerWheel;
  /** Clock of the layer's own wheel (tests pass a `FakeClock`). */
  clock?: Clock;
  timers?: Partial<TransactionTimers>;
  logger?: Logger;
  /**
   * Server transactions one source address (where responses go) may have alive at once; a new
   * request beyond it is dropped unanswered (a retransmission of a live one still matches).
   * Default: no limit.
   */
  maxServerTransactionsPerSource?: number;
}

/**
 * Matches messages to transactions and creates them (RFC 3261 §17.1.3, §17.2.3).
 *
 * Server transactions live in two maps: by branch + sent-by + method for RFC 3261 peers, and by
 * the RFC 2543 fields (Request-URI, tags, Call-ID, CSeq, top Via) for peers whose branch lacks
 * the magic cookie. Terminated transactions leave the maps at once.
 */
export class TransactionLayer implements TransactionHost {
  readonly wheel: TimerWheel;
  readonly transport: TransactionTransport;
  readonly timers: Readonly<TransactionTimers>;
  readonly logger: Logger | undefined;
  readonly #user: TransactionUser;
  readonly #ownWheel: boolean;
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #legacyServers = new Map<string, ServerTransaction>();
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #maxPerSource: number;
  /** Live server transactions per source address (entries removed at zero: bounded by the transactions). */
  readonly #perSource = new Map<string, number>();
  /** Sources over the limit since they last went under it: one warning each. */
  readonly #atLimit = new Set<string>();
  /** New requests dropped for the per-source limit. */
  sourceLimitDrops = 0;

  constructor(transport: TransactionTransport, user: TransactionUser, opts: TransactionLayerOptions = {}) {
    this.transport = transport;
    this.#user = user;
    this.logger = opts.logger;
    this.timers = Object.freeze({ ...DEFAULT_TIMERS, ...opts.timers });
    this.#ownWheel = opts.wheel === undefined;
    this.#maxPerSource = opts.maxServerTransactionsPerSource ?? Number.POSITIVE_INFINITY;
    // With a logger, a TU that throws from a timer-driven callback is logged instead of taking the process down.
    this.wheel =
      opts.wheel ??
      new TimerWheel({
        ...(opts.clock !== undefined && { clock: opts.clock }),
        ...(opts.logger !== undefined && { logger: opts.logger }),
      });
  }

  get serverCount(): number {
    return this.#servers.size + this.#legacyServers.size;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Transactions still waiting for a final response (ours or the peer's): what a graceful
   * shutdown waits for. Completed ones only linger to absorb retransmissions.
   */
  get pendingCount(): number {
    let n = 0;
    for (const map of [this.#servers, this.#legacyServers, this.#clients] as const) {
      for (const tx of map.values()) {
        if (tx.state === "Calling" || tx.state === "Trying" || tx.state === "Proceeding") n++;
      }
    }
    return n;
  }

  /** Transactions alive. */
  get size(): number {
    return this.serverCount + this.#clients.size;
  }

  /**
   * An incoming request. Retransmissions and ACKs of non-2xx responses are handled by their
   * transaction; anything new goes to the TU, with a fresh server transaction unless it is an ACK.
   * `source` is where responses go (§18.2.2, computed by the transport glue).
   */
  receiveRequest(req: SipRequest, source: SendTarget): void {
    // One key for both the lookup and, when new, the insertion.
    const key = serverKey(req);
    const existing = key !== undefined ? this.#servers.get(key) : this.#findLegacy(req, req.method);
    if (existing !== undefined) {
      existing.receiveRequest(req, source);
      return;
    }
    if (req.method === "ACK") {
      // The ACK of a response sent statelessly (a challenge): absorbed here, as its transaction would have.
      if (isAckOfLocalResponse(req)) return;
      this.#user.onRequest(req, undefined, source);
      return;
    }
    const answer = this.#user.answerStatelessly?.(req, source);
    if (answer !== undefined) {
      this.#sendStateless(answer, source);
      return;
    }
    if (!this.#admitSource(source.address)) return;
    let tx: ServerTransaction;
    if (key !== undefined) {
      tx = this.#newServer(key, req, source);
      this.#servers.set(key, tx);
    } else {
      const legacy = rfc2543Key(req);
      if (legacy === undefined) {
        this.logger?.warn({ callId: req.callId, method: req.method }, "request without Via dropped");
        return;
      }
      tx = this.#newServer(legacy, req, source);
      this.#legacyServers.set(legacy, tx);
    }
    this.#countSource(source.address);
    tx.start();
    this.#user.onRequest(req, tx, source);
  }

  /** A stateless answer (§8.2.7): a final non-2xx; a transport failure is only logged. */
  #sendStateless(res: SipResponse, target: SendTarget): void {
    if (!(res.status >= 300 && res.status <= 699)) {
      throw new TransactionError(`answerStatelessly: ${res.status} is not a final non-2xx`);
    }
    try {
      this.transport.send(res, target);
    } catch (err) {
      this.logger?.warn({ err, callId: res.callId, status: res.status }, "stateless response send failed");
    }
  }

  #admitSource(address: string): boolean {
    const open = this.#perSource.get(address) ?? 0;
    if (open < this.#maxPerSource) return true;
    this.sourceLimitDrops++;
    if (!this.#atLimit.has(address)) {
      this.#atLimit.add(address);
      this.logger?.warn(
        { event: "transaction-limit", source: address, limit: this.#maxPerSource },
        "source has too many transactions in progress: new requests dropped",
      );
    }
    return false;
  }

  // Every server transaction in the maps is counted under its target's address (where its
  // responses go: the source it was admitted for), and uncounted when it leaves them — no
  // per-transaction side table (a WeakMap entry each: ephemeron work in every scavenge).
  #countSource(address: string): void {
    if (this.#maxPerSource === Number.POSITIVE_INFINITY) return;
    this.#perSource.set(address, (this.#perSource.get(address) ?? 0) + 1);
  }

  #uncountSource(address: string): void {
    if (this.#maxPerSource === Number.POSITIVE_INFINITY) return;
    const n = (this.#perSource.get(address) ?? 1) - 1;
    if (n <= 0) this.#perSource.delete(address);
    else this.#perSource.set(address, n);
    if (n < this.#maxPerSource) this.#atLimit.delete(address);
  }

  /** An incoming response: to its client transaction (§17.1.3), or to the TU as a stray. */
  receiveResponse(res: SipResponse, source?: SendTarget): void {
    const key = responseKey(res);
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx === undefined) this.#user.onStrayResponse(res, source);
    else tx.receiveResponse(res);
  }

  /**
   * Start a client transaction. The caller has put its own Via on top, with a fresh branch
   * (`newBranch()`); ACK is not a transaction: send it through the transport directly.
   */
  sendRequest(req: SipRequest, target: SendTarget, delegate: ClientTransactionDelegate): ClientTransaction {
    if (req.method === "ACK") throw new TransactionError("ACK is sent outside any client transaction");
    const branch = req.via[0]?.branch;
    if (branch === undefined || branch === "") {
      throw new TransactionError("request needs a top Via with a branch before sendRequest");
    }
    const key = clientKey(branch, req.method);
    if (this.#clients.has(key))
      throw new TransactionError(`a client transaction already uses branch ${branch}`);
    const tx =
      req.method === "INVITE"
        ? new InviteClientTransaction(this, key, req, target, delegate)
        : new NonInviteClientTransaction(this, key, req, target, delegate);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * Cancel a pending INVITE (§9.1): sends the CANCEL in its own client transaction now if a
   * provisional was received, or as soon as one is. Returns false when it is too late (final
   * response received) or the transaction is not an INVITE. `headers`: added to the CANCEL
   * (e.g. RFC 3326 `Reason`).
   */
  cancel(
    invite: ClientTransaction,
    delegate: ClientTransactionDelegate,
    headers: readonly (readonly [string, string])[] = [],
  ): boolean {
    if (!(invite instanceof InviteClientTransaction)) return false;
    const send = (): void => {
      this.sendRequest(buildCancel(invite.request, headers), invite.target, delegate);
    };
    if (invite.state === "Proceeding") send();
    else if (invite.state === "Calling") invite.pendingCancel = send;
    else return false;
    return true;
  }

  /** The server transaction a request belongs to (a retransmission, or an ACK of a non-2xx). */
  findServerTransaction(req: SipRequest): ServerTransaction | undefined {
    const key = serverKey(req);
    if (key !== undefined) return this.#servers.get(key);
    return this.#findLegacy(req, req.method);
  }

  /** §9.2: the INVITE server transaction a CANCEL cancels, matched as if it were the INVITE. */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const key = serverKey(cancel, "INVITE");
    const tx = key !== undefined ? this.#servers.get(key) : this.#findLegacy(cancel, "INVITE");
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  /** Terminate everything without calling the TU, and release the wheel if it is ours. */
  close(): void {
    for (const tx of [
      ...this.#servers.values(),
      ...this.#legacyServers.values(),
      ...this.#clients.values(),
    ]) {
      tx.dispose();
    }
    if (this.#ownWheel) this.wheel.close();
  }

  removeTransaction(tx: Transaction): void {
    if (tx.kind === "client") {
      if (this.#clients.get(tx.id) === tx) this.#clients.delete(tx.id);
    } else if (this.#servers.get(tx.id) === tx) {
      this.#servers.delete(tx.id);
      this.#uncountSource(tx.target.address);
    } else if (this.#legacyServers.get(tx.id) === tx) {
      this.#legacyServers.delete(tx.id);
      this.#uncountSource(tx.target.address);
    }
  }

  passAckUp(ack: SipRequest, source: SendTarget): void {
    this.#user.onRequest(ack, undefined, source);
  }

  #newServer(key: string, req: SipRequest, source: SendTarget): ServerTransaction {
    return req.method === "INVITE"
      ? new InviteServerTransaction(this, key, req, source)
      : new NonInviteServerTransaction(this, key, req, source);
  }

  /**
   * RFC 2543 (§17.2.3): every field is in the key, except that an ACK carries the To tag of the
   * response we sent: the INVITE had either that tag already (re-INVITE) or none.
   */
  #findLegacy(req: SipRequest, method: string): ServerTransaction | undefined {
    if (req.method !== "ACK") {
      const key = rfc2543Key(req, method);
      return key === undefined ? undefined : this.#legacyServers.get(key);
    }
    const toTag = tagOf(req.to.params);
    for (const tag of toTag === "" ? [""] : [toTag, ""]) {
      const key = rfc2543Key(req, "INVITE", tag);
      const tx = key === undefined ? undefined : this.#legacyServers.get(key);
      const sent = tx?.lastResponse;
      if (sent !== undefined && sent.status >= 200 && tagOf(sent.to.params) === toTag) return tx;
    }
    return undefined;
  }
}
