import type { CdrChainMark, CdrRecord, Store } from "@centrex/store";
import { LedgerKeyError } from "../errors.js";
import { GENESIS_HASH, hashCdr, recordSigText } from "./canonical.js";
import { type CdrInput, normaliseCdrInput } from "./cdr-input.js";
import { type LedgerKey, signText } from "./key.js";
import { type PurgeReport, purgeExpired, type RetentionOptions } from "./retention.js";
import { type VerifyReport, verifyLedger } from "./verify.js";

/** A call record as the ledger keeps it. */
export type Cdr = CdrRecord;

export interface LedgerOptions {
  store: Store;
  /** This node's name: one chain per node, so nodes never contend for a head. */
  node: string;
  key: LedgerKey;
}

/** What is kept about a call while it is up, to close it as `interrupted` after a crash. */
export type OpenCallInfo = Omit<CdrInput, "endedAt" | "answeredAt" | "disposition" | "sipStatus" | "reason">;

/**
 * The node's call-record ledger. `append` resolves only once the record, its place in the hash
 * chain and its signature are committed with synchronous=FULL in one transaction: the proxy
 * awaits it before the BYE's 200 goes out, so an acknowledged hang-up always has its record.
 */
export class Ledger {
  readonly #store: Store;
  readonly #key: LedgerKey;
  readonly node: string;

  constructor(opts: LedgerOptions) {
    if (opts.key.privateKey === undefined)
      throw new LedgerKeyError("the ledger needs a signing (private) key", "key");
    this.#store = opts.store;
    this.#key = opts.key;
    this.node = opts.node;
  }

  async append(input: CdrInput): Promise<Cdr> {
    const n = normaliseCdrInput(input);
    const node = this.node;
    const key = this.#key;
    return this.#store.cdrs.append(node, (head: CdrChainMark | undefined) => {
      const body = {
        node,
        seq: (head?.seq ?? 0) + 1,
        prevHash: head?.hash ?? GENESIS_HASH,
        customerId: n.customerId,
        extension: n.extension,
        callId: n.callId,
        direction: n.direction,
        caller: n.caller,
        dialled: n.dialled,
        called: n.called,
        destinationClass: n.destinationClass,
        carrier: n.carrier,
        startedAt: n.startedAt,
        answeredAt: n.answeredAt,
        endedAt: n.endedAt,
        billableMs: n.billableMs,
        disposition: n.disposition,
        sipStatus: n.sipStatus,
        reason: n.reason,
        transferredFrom: n.transferredFrom,
      };
      const hash = hashCdr(body);
      return { ...body, hash, sig: signText(key, recordSigText(hash)) };
    });
  }

  /** Persists a call that reached routing, so a crash while it is up cannot lose it. */
  async markCallStarted(info: OpenCallInfo): Promise<void> {
    await this.#store.cdrs.markCallStarted(this.node, info.callId, info.startedAt, info);
  }

  async markCallAnswered(callId: string, answeredAt: number): Promise<void> {
    await this.#store.cdrs.markCallAnswered(this.node, callId, answeredAt);
  }

  /**
   * On start-up: every call this node had open when it stopped gets a record with disposition
   * `interrupted`, ended at `now` (the best bound known; answered calls are billed to it).
   */
  async closeInterruptedCalls(now: number): Promise<Cdr[]> {
    const out: Cdr[] = [];
    for (const call of await this.#store.cdrs.openCalls(this.node)) {
      const info = call.data as OpenCallInfo;
      out.push(
        await this.append({
          ...info,
          callId: call.callId,
          startedAt: call.startedAt,
          answeredAt: call.answeredAt,
          endedAt: Math.max(now, call.answeredAt ?? call.startedAt),
          disposition: "interrupted",
          reason: "node stopped while the call was up",
        }),
      );
    }
    return out;
  }

  verify(): Promise<VerifyReport> {
    return verifyLedger(this.#store, this.#key, { nodes: [this.node] });
  }

  purgeExpired(now: number, opts?: RetentionOptions): Promise<PurgeReport> {
    return purgeExpired(this.#store, this.#key, this.node, now, opts);
  }
}
