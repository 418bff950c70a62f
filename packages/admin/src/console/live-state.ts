import type { BanControl } from "@centrex/operations";
import type { Store } from "@centrex/store";

/*
 * What the console shows live: the switch's state at one instant. Registrations are read from
 * the store (the registrar writes them there); calls, carriers and the failover role come from
 * the running switch through `LiveSources`; bans from the SIP side's guard.
 */

/** A call in progress as the switch knows it (from its call events). */
export interface LiveCallSource {
  readonly callId: string;
  /** The customer the call belongs to (the caller's, or the callee's for a call from the PSTN). */
  readonly customerId: number;
  readonly caller: string;
  readonly dialled: string;
  readonly direction: "internal" | "outbound" | "inbound";
  readonly destinationClass: string;
  readonly carrier?: string;
  readonly startedAt: number;
  readonly answeredAt?: number;
}

export interface LiveCarrier {
  readonly name: string;
  readonly enabled: boolean;
  /** Answers its OPTIONS probe and is not demoted by failed calls. */
  readonly up: boolean;
  /** Outbound registration state, for carriers registered to. */
  readonly registration?: string;
  /**
   * RTP the relay received from the carrier over the calls through it that ended since the
   * switch started, and how many packets of it were lost (RFC 3550 A.3) out of the `measured`
   * ones: the sequence span the relay read itself (a stream forwarded by the kernel is counted
   * in `packets`, but its sequence numbers are not read after the hand-off).
   */
  readonly media?: {
    readonly calls: number;
    readonly packets: number;
    readonly lost: number;
    readonly measured: number;
  };
}

export interface LiveNode {
  /** "single" without a failover section, else the failover role. */
  readonly role: string;
  readonly serving: boolean;
  readonly epoch?: number;
  readonly replication?: { readonly connected: boolean; readonly changes: number; readonly seconds: number };
}

/** The running switch's side of the live view (injected by the switch; absent in API-only tests). */
export interface LiveSources {
  calls(): readonly LiveCallSource[];
  carriers(): Promise<readonly LiveCarrier[]>;
  node(): LiveNode;
  /** Ends a call in progress (the proxy's hang-up): BYE both ways, or CANCEL while ringing. */
  hangUp?(callId: string): Promise<"ended" | "cancelled" | "not-found">;
}

export interface LiveRegistration {
  readonly domain: string;
  readonly extension: string;
  readonly contact: string;
  readonly userAgent: string | null;
  /** transport:address:port the REGISTER came from (after NAT). */
  readonly source: string;
  readonly expiresAt: string;
}

export interface LiveCall {
  readonly callId: string;
  readonly domain: string;
  readonly caller: string;
  readonly dialled: string;
  readonly direction: string;
  readonly destinationClass: string;
  readonly carrier?: string;
  readonly startedAt: string;
  readonly answered: boolean;
}

export interface LiveBan {
  readonly address: string;
  readonly reason: string;
  readonly until: string;
}

/**
 * One instant of the switch. A customer administrator's snapshot holds only that customer's
 * registrations and calls: carriers, bans and the node are the operator's.
 */
export interface LiveSnapshot {
  /** The newest audit entry's id (0: none): every change made through the API or the CLI moves it. */
  readonly revision: number;
  readonly registrations: readonly LiveRegistration[];
  readonly calls: readonly LiveCall[];
  readonly carriers?: readonly LiveCarrier[];
  readonly bans?: readonly LiveBan[];
  readonly node?: LiveNode;
}

const PAGE = 500;

/** Reads snapshots; `customerId` limits one to that customer. */
export class LiveState {
  readonly #store: Store;
  readonly #sources: LiveSources | undefined;
  readonly #bans: BanControl | undefined;

  constructor(store: Store, sources: LiveSources | undefined, bans: BanControl | undefined) {
    this.#store = store;
    this.#sources = sources;
    this.#bans = bans;
  }

  async snapshot(customerId?: number): Promise<LiveSnapshot> {
    const domains = new Map<number, string>();
    const domainOf = async (id: number): Promise<string> => {
      let d = domains.get(id);
      if (d === undefined) {
        d = (await this.#store.customers.get(id).catch(() => undefined))?.domain ?? `#${id}`;
        domains.set(id, d);
      }
      return d;
    };
    const registrations = await this.#registrations(customerId, domainOf);
    const calls: LiveCall[] = [];
    for (const c of this.#sources?.calls() ?? []) {
      if (customerId !== undefined && c.customerId !== customerId) continue;
      calls.push({
        callId: c.callId,
        domain: await domainOf(c.customerId),
        caller: c.caller,
        dialled: c.dialled,
        direction: c.direction,
        destinationClass: c.destinationClass,
        ...(c.carrier !== undefined && { carrier: c.carrier }),
        startedAt: new Date(c.startedAt).toISOString(),
        answered: c.answeredAt !== undefined,
      });
    }
    const newest = await this.#store.audit.list({
      limit: 1,
      ...(customerId !== undefined && { customerId }),
    });
    const revision = newest[0]?.id ?? 0;
    if (customerId !== undefined) return { revision, registrations, calls };
    return {
      revision,
      registrations,
      calls,
      ...(this.#sources !== undefined && {
        carriers: await this.#sources.carriers(),
        node: this.#sources.node(),
      }),
      ...(this.#bans !== undefined && {
        bans: this.#bans.list().map((b) => ({
          address: b.address,
          reason: b.reason,
          until: new Date(b.until).toISOString(),
        })),
      }),
    };
  }

  async #registrations(
    customerId: number | undefined,
    domainOf: (id: number) => Promise<string>,
  ): Promise<LiveRegistration[]> {
    const now = Date.now();
    const out: LiveRegistration[] = [];
    const extensions = new Map<number, { customerId: number; number: string } | null>();
    let after = 0;
    for (;;) {
      const page = await this.#store.locations.page(now, after, PAGE);
      for (const b of page) {
        let ext = extensions.get(b.aor);
        if (ext === undefined) {
          ext = (await this.#store.extensions.get(b.aor).catch(() => null)) ?? null;
          extensions.set(b.aor, ext);
        }
        if (ext === null || (customerId !== undefined && ext.customerId !== customerId)) continue;
        out.push({
          domain: await domainOf(ext.customerId),
          extension: ext.number,
          contact: b.contact,
          userAgent: b.userAgent,
          source: `${b.transport.toLowerCase()}:${b.sourceAddress}:${b.sourcePort}`,
          expiresAt: new Date(b.expiresAt).toISOString(),
        });
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return out;
  }
}
