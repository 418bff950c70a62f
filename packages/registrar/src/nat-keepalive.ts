import {
  type ClientTransactionDelegate,
  createRequest,
  newBranch,
  randomHex,
  type SipRequest,
  type SipStack,
  type TransactionTarget,
} from "@centrex/sip";
import type { Binding, LocationRepository } from "@centrex/store";
import type { Logger } from "pino";

export interface NatKeepaliveOptions {
  readonly stack: SipStack;
  readonly locations: Pick<LocationRepository, "page" | "remove">;
  /** How often every binding is pinged (ms). */
  readonly intervalMs: number;
  /** Address for our Via when the listener is a wildcard (else the phone answers nowhere). */
  readonly advertisedAddress?: string;
  readonly clock?: () => number;
  readonly logger?: Logger;
}

const PAGE = 500;

/**
 * Keeps the NAT mapping in front of each phone open with an OPTIONS ping on
 * its flow (any response, even an error, proves the phone is there), and
 * removes a binding whose phone stopped answering (Timer F expired or the
 * connection is gone), so calls stop forking to phones that left.
 */
export class NatKeepalive {
  readonly #o: NatKeepaliveOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  readonly counters = { pings: 0, answered: 0, removed: 0 };

  constructor(opts: NatKeepaliveOptions) {
    this.#o = opts;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.round(), this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round: pings every current binding, page by page. */
  async round(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const now = (this.#o.clock ?? Date.now)();
      let after = 0;
      for (;;) {
        const page = await this.#o.locations.page(now, after, PAGE);
        for (const b of page) this.#ping(b);
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.id;
      }
    } catch (err) {
      this.#o.logger?.error({ err }, "keepalive round failed");
    } finally {
      this.#running = false;
    }
  }

  #ping(b: Binding): void {
    const transport = b.transport.toUpperCase() as "UDP" | "TCP" | "TLS";
    const target: TransactionTarget = {
      transport,
      address: b.sourceAddress,
      port: b.sourcePort,
      ...(b.connectionId !== null && { connectionId: Number(b.connectionId) }),
    };
    let req: SipRequest;
    try {
      req = this.#options(b, transport);
    } catch (err) {
      this.#o.logger?.debug({ err, contact: b.contact }, "cannot build keepalive OPTIONS");
      return;
    }
    const gone = () => void this.#remove(b);
    const delegate: ClientTransactionDelegate = {
      onResponse: (res) => {
        if (res.status >= 200) this.counters.answered++;
      },
      onTimeout: gone,
      onTransportError: gone,
    };
    try {
      this.#o.stack.transactions.sendRequest(req, target, delegate);
      this.counters.pings++;
    } catch {
      gone();
    }
  }

  #options(b: Binding, transport: "UDP" | "TCP" | "TLS"): SipRequest {
    const sentBy = this.#o.stack.sentBy(transport) ?? { host: "127.0.0.1", port: 5060 };
    const wildcard = sentBy.host === "0.0.0.0" || sentBy.host === "[::]";
    const host = this.#o.advertisedAddress ?? (wildcard ? "127.0.0.1" : sentBy.host);
    return createRequest({
      method: "OPTIONS",
      uri: b.contact,
      headers: [
        ["Via", `SIP/2.0/${transport} ${host}:${sentBy.port};branch=${newBranch()};rport`],
        ["From", `<sip:keepalive@${host}>;tag=${randomHex(6)}`],
        ["To", `<${b.contact}>`],
        ["Call-ID", `ka-${randomHex(8)}@${host}`],
        ["CSeq", "1 OPTIONS"],
        ["Max-Forwards", "70"],
      ],
    });
  }

  async #remove(b: Binding): Promise<void> {
    try {
      if (await this.#o.locations.remove(b.aor, b.contact)) {
        this.counters.removed++;
        this.#o.logger?.info(
          {
            event: "binding-unreachable",
            aor: b.aor,
            contact: b.contact,
            remote: `${b.sourceAddress}:${b.sourcePort}`,
          },
          "phone stopped answering keepalives; binding removed",
        );
      }
    } catch (err) {
      this.#o.logger?.error({ err }, "removing an unreachable binding failed");
    }
  }
}
