import {
  type ClientTransaction,
  type ClientTransactionDelegate,
  type ClientTransactionLike,
  createResponse,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type TransactionTarget,
} from "@centrex/sip";
import { fixNatedContact } from "./nat.js";

interface Branch {
  readonly target: TransactionTarget;
  tx: ClientTransaction | undefined;
  final: number | undefined;
  /** Told once, with the branch's final status (a call pickup ends the picker's `*8` with it). */
  onFinal: ((status: number) => void) | undefined;
}

/**
 * RFC 3326 on the CANCELs sent once another branch answered: phones then show no missed call
 * (a ring group's other members, the phone whose call was picked up).
 */
const COMPLETED_ELSEWHERE: readonly (readonly [string, string])[] = [
  ["Reason", 'SIP;cause=200;text="Call completed elsewhere"'],
];

/** What the fork tells its owner (the proxy) about the call's outcome. */
export interface ForkOwner {
  /** A response about to be relayed to the caller (e.g. to anchor its SDP); relaying waits for it. */
  prepareResponse?(fork: Fork, res: SipResponse): Promise<void> | void;
  onForkProvisional?(fork: Fork, res: SipResponse): void;
  /** The first 2xx; `target` is the flow of the phone that answered. */
  onForkAnswered(fork: Fork, res: SipResponse, target: TransactionTarget): void;
  /** Every branch failed (or the caller cancelled, or nobody answered in time). */
  onForkFailed(fork: Fork, status: number): void;
  /**
   * Asked before a failure is relayed: true when the owner takes the call on
   * elsewhere (call forwarding), so the fork relays nothing and reports no failure.
   */
  divert?(fork: Fork, cause: FailureCause, status: number): boolean;
}

/** Why nobody took the call, as call forwarding distinguishes it. */
export type FailureCause = "busy" | "no-answer" | "unreachable" | "other";

/**
 * The response context of one forwarded request (RFC 3261 §16.7): parallel
 * branches, the first 2xx wins and the others are cancelled, a 6xx ends the
 * search, otherwise the best final response is sent once all branches are done.
 */
export class Fork implements ClientTransactionDelegate {
  readonly #branches = new Map<ClientTransactionLike, Branch>();
  readonly #pending: Branch[] = [];
  readonly #failures: SipResponse[] = [];
  #done = false;
  #answered = false;
  #timedOut = false;
  #timer: NodeJS.Timeout | undefined;
  /** Responses reach the caller in the order they came, even when preparing one takes time. */
  #relayChain: Promise<void> = Promise.resolve();

  constructor(
    readonly request: SipRequest,
    readonly serverTx: ServerTransactionLike,
    readonly transactions: TransactionLayer,
    readonly owner: ForkOwner,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  get answered(): boolean {
    return this.#answered;
  }

  /**
   * Sends one more branch; a branch may be added while the others ring (a call pickup adds the
   * picker's phone). `onFinal` hears the branch's own final status once.
   */
  addBranch(req: SipRequest, target: TransactionTarget, onFinal?: (status: number) => void): void {
    const branch: Branch = { target, tx: undefined, final: undefined, onFinal };
    this.#pending.push(branch);
    try {
      branch.tx = this.transactions.sendRequest(req, target, this);
      this.#branches.set(branch.tx, branch);
    } catch {
      this.#settle(branch, 503);
    }
  }

  /** Called after every branch was added: a fork whose branches all failed at once ends now. */
  started(ringTimeoutMs: number | undefined): void {
    if (ringTimeoutMs !== undefined && this.request.method === "INVITE") {
      this.#timer = setTimeout(() => this.noAnswer(), ringTimeoutMs);
      this.#timer.unref();
    }
    this.#checkAllDone();
  }

  /** The caller gave up (CANCEL): cancel every branch, answer the INVITE with 487. */
  cancel(): void {
    if (this.#done) return;
    this.#cancelBranches();
    this.#finish(createResponse(this.request, 487, "Request Terminated"), 487);
  }

  /** Ring time elapsed with no answer. */
  noAnswer(): void {
    if (this.#done) return;
    this.#timedOut = true;
    this.#cancelBranches();
    this.#finish(createResponse(this.request, 480, "Temporarily Unavailable - No Answer"), 480);
  }

  // ---------------------------------------------------------------- client transaction delegate

  onResponse(res: SipResponse, tx: ClientTransactionLike): void {
    const branch = this.#branches.get(tx);
    if (branch === undefined || res.status === 100) return;
    res.removeFirst("via");
    const status = res.status;
    if (status >= 200) this.#settle(branch, status);
    if (status < 200) {
      if (this.#done) return;
      if (res.to.params.get("tag") !== undefined) fixNatedContact(res, branch.target);
      this.owner.onForkProvisional?.(this, res);
      this.#relay(res);
      return;
    }
    if (status < 300) {
      fixNatedContact(res, branch.target);
      const first = !this.#answered;
      this.#answered = true;
      if (first) {
        this.#clearTimer();
        this.#cancelBranches();
        this.#done = true;
        this.owner.onForkAnswered(this, res, branch.target);
      }
      // Every 2xx is forwarded (§16.7 step 4): the caller's UA sorts out several answers.
      this.#relay(res);
      return;
    }
    if (this.#done) return;
    if (status >= 600) {
      this.#cancelBranches();
      this.#finish(res, status);
      return;
    }
    this.#failures.push(res);
    this.#checkAllDone();
  }

  onTimeout(tx: ClientTransactionLike): void {
    this.#branchFailed(tx, 408);
  }

  onTransportError(tx: ClientTransactionLike): void {
    this.#branchFailed(tx, 503);
  }

  // ---------------------------------------------------------------- internals

  #branchFailed(tx: ClientTransactionLike, status: number): void {
    const branch = this.#branches.get(tx);
    if (branch === undefined || branch.final !== undefined) return;
    this.#settle(branch, status);
    this.#checkAllDone();
  }

  /** A branch's final status (the first one counts: a 2xx may be retransmitted). */
  #settle(branch: Branch, status: number): void {
    if (branch.final !== undefined) return;
    branch.final = status;
    branch.onFinal?.(status);
  }

  #checkAllDone(): void {
    if (this.#done || this.#pending.some((b) => b.final === undefined)) return;
    const best = bestResponse(this.#failures);
    if (best !== undefined) {
      this.#finish(best, best.status);
      return;
    }
    // No branch produced a response we can forward (timeouts, transport errors).
    const status = this.#pending.some((b) => b.final === 408) ? 408 : 503;
    const reason = status === 408 ? "Request Timeout" : "Service Unavailable";
    this.#finish(createResponse(this.request, status, reason), status);
  }

  #finish(res: SipResponse, status: number): void {
    this.#done = true;
    this.#clearTimer();
    if (status !== 487 && this.owner.divert?.(this, this.#cause(status), status) === true) return;
    this.owner.onForkFailed(this, status);
    this.#relay(res);
  }

  #cause(status: number): FailureCause {
    if (this.#timedOut) return "no-answer";
    if (status === 486 || status === 600 || status === 603) return "busy";
    // No phone answered anything: none could be reached.
    if ((status === 408 || status === 503) && this.#failures.length === 0) return "unreachable";
    return "other";
  }

  #relay(res: SipResponse): void {
    const prepare = this.owner.prepareResponse;
    if (prepare === undefined) {
      this.serverTx.respond(res);
      return;
    }
    this.#relayChain = this.#relayChain
      .then(() => prepare.call(this.owner, this, res))
      .catch(() => undefined)
      .then(() => {
        this.serverTx.respond(res);
      });
  }

  #cancelBranches(): void {
    for (const b of this.#pending) {
      if (b.final === undefined && b.tx !== undefined && this.request.method === "INVITE") {
        this.transactions.cancel(b.tx, CANCEL_DELEGATE, this.#answered ? COMPLETED_ELSEWHERE : []);
      }
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The CANCELs we send need nothing from their responses. */
const CANCEL_DELEGATE: ClientTransactionDelegate = {
  onResponse() {},
  onTimeout() {},
  onTransportError() {},
};

/**
 * §16.7 step 6: the lowest response class wins; within 4xx, a "busy" or
 * "declined" answer from a phone says more than "not found" or a timeout.
 */
function bestResponse(responses: readonly SipResponse[]): SipResponse | undefined {
  let best: SipResponse | undefined;
  for (const r of responses) {
    if (best === undefined || rank(r.status) < rank(best.status)) best = r;
  }
  return best;
}

function rank(status: number): number {
  if (status === 486 || status === 600 || status === 603) return 0;
  if (status >= 300 && status < 400) return 1;
  if (status === 401 || status === 407) return 2;
  if (status >= 400 && status < 500 && status !== 408) return 3;
  if (status === 408) return 5;
  return 4;
}
