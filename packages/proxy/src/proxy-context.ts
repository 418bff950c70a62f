import type { ServerTransactionLike, SipRequest, TransactionTarget } from "@centrex/sip";
import type { Caller } from "./caller.js";
import type { DialogTracker } from "./dialogs.js";
import type { LocalAddresses } from "./local-addresses.js";
import type { ProxyOptions } from "./proxy-options.js";

/** Something ringing that a CANCEL can stop: a fork to phones or a call to a carrier. */
export interface Cancellable {
  cancel(): void;
}

/**
 * What the proxy's parts share: its options, the calls in progress, and the
 * few helpers every part needs to answer or forward a request.
 */
export interface ProxyContext {
  readonly o: ProxyOptions;
  readonly local: LocalAddresses;
  readonly dialogs: DialogTracker;
  /** Calls still ringing, by the caller's INVITE transaction: what a CANCEL stops. */
  readonly forks: Map<ServerTransactionLike, Cancellable>;
  refuse(
    req: SipRequest,
    tx: ServerTransactionLike,
    status: number,
    reason: string,
    recorded?: boolean,
    headers?: readonly (readonly [string, string])[],
  ): void;
  recordRoute(req: SipRequest): string;
  via(target: TransactionTarget, hash: string): string;
  now(): number;
  /** Puts an INVITE's offer through the relay, once (a forwarded call reuses the anchored offer). */
  anchor(req: SipRequest): Promise<void>;
  /** Routes a call the switch places itself for a transferor (an outside party's transfer). */
  placeTransferCall(
    req: SipRequest,
    tx: ServerTransactionLike,
    transferor: Caller,
    original: string,
  ): Promise<void>;
  /** Sends a request the switch wrote itself along its route set, as if it had come in. */
  inject(req: SipRequest, tx: ServerTransactionLike | undefined): void;
}
