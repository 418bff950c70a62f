import { randomBytes } from "node:crypto";
import {
  newBranch,
  parseMessage,
  type SipRequest,
  type SipStack,
  type TransactionTarget,
} from "@centrex/sip";
import type { Binding, Phone, Store } from "@centrex/store";
import type { Logger } from "pino";
import type { PhoneCatalog } from "./families.js";

/** What one check-sync NOTIFY came to. */
export interface ResyncAttempt {
  readonly extension: string;
  readonly contact: string;
  readonly remote: string;
  /** The phone's final answer (200, 489 Bad Event…), or why there was none. */
  readonly outcome: number | "timeout" | "transport-error" | "not-sent";
}

export interface ResyncResult {
  readonly mac: string;
  readonly event: string;
  readonly attempts: readonly ResyncAttempt[];
}

export interface PhoneResyncOptions {
  readonly stack: SipStack;
  readonly store: Store;
  readonly catalog: PhoneCatalog;
  /** Address for our Via when the listener is a wildcard (else the phone answers nowhere). */
  readonly advertisedAddress?: string;
  readonly logger?: Logger;
}

/**
 * Remote repair (service terms CS art. 4): tells a phone to fetch its configuration now with
 * an out-of-dialog NOTIFY `Event: check-sync` (the family's variant, e.g. `;reboot=false`)
 * sent on the flow of its current registration(s), so it crosses the customer's NAT like the
 * keepalives do. A phone's bindings are those of its line extensions whose Contact,
 * instance id or User-Agent carries its MAC; when none does (most phones do not say), every
 * current binding of its first line.
 */
export class PhoneResync {
  readonly #o: PhoneResyncOptions;

  constructor(opts: PhoneResyncOptions) {
    this.#o = opts;
  }

  async resync(phone: Phone): Promise<ResyncResult> {
    const family = this.#o.catalog.model(phone.model)?.family;
    const event = family?.checkSyncEvent ?? "check-sync";
    const customer = await this.#o.store.customers.get(phone.customerId);
    const targets = await this.#bindings(phone);
    const attempts = await Promise.all(
      targets.map(({ binding, number }) => this.#notify(binding, number, customer.domain, event)),
    );
    this.#o.logger?.info(
      { event: "phone-resync", mac: phone.mac, check: event, attempts },
      attempts.length === 0 ? "phone not registered: no check-sync sent" : "check-sync sent",
    );
    return { mac: phone.mac, event, attempts };
  }

  async #bindings(phone: Phone): Promise<{ binding: Binding; number: string }[]> {
    const now = Date.now();
    const all: { binding: Binding; number: string }[] = [];
    for (const line of phone.lines) {
      for (const binding of await this.#o.store.locations.current(line.extensionId, now))
        all.push({ binding, number: line.number });
    }
    const mentions = (b: Binding) =>
      [b.contact, b.instanceId ?? "", b.userAgent ?? ""].some((s) =>
        s.toLowerCase().replace(/[:-]/g, "").includes(phone.mac),
      );
    const own = all.filter((t) => mentions(t.binding));
    if (own.length > 0) return own;
    const first = phone.lines[0]?.extensionId;
    return all.filter((t) => t.binding.aor === first);
  }

  #notify(b: Binding, number: string, domain: string, event: string): Promise<ResyncAttempt> {
    const transport = b.transport.toUpperCase() as "UDP" | "TCP" | "TLS";
    const base = { extension: number, contact: b.contact, remote: `${b.sourceAddress}:${b.sourcePort}` };
    let req: SipRequest;
    try {
      req = this.#request(b, transport, number, domain, event);
    } catch (err) {
      this.#o.logger?.warn({ err, contact: b.contact }, "cannot build check-sync NOTIFY");
      return Promise.resolve({ ...base, outcome: "not-sent" });
    }
    const target: TransactionTarget = {
      transport,
      address: b.sourceAddress,
      port: b.sourcePort,
      ...(b.connectionId !== null && { connectionId: Number(b.connectionId) }),
    };
    return new Promise((resolve) => {
      try {
        this.#o.stack.transactions.sendRequest(req, target, {
          onResponse: (res) => {
            if (res.status >= 200) resolve({ ...base, outcome: res.status });
          },
          onTimeout: () => resolve({ ...base, outcome: "timeout" }),
          onTransportError: () => resolve({ ...base, outcome: "transport-error" }),
        });
      } catch {
        resolve({ ...base, outcome: "transport-error" });
      }
    });
  }

  #request(
    b: Binding,
    transport: "UDP" | "TCP" | "TLS",
    number: string,
    domain: string,
    event: string,
  ): SipRequest {
    const sentBy = this.#o.stack.sentBy(transport) ?? { host: "127.0.0.1", port: 5060 };
    const wildcard = sentBy.host === "0.0.0.0" || sentBy.host === "[::]";
    const host = this.#o.advertisedAddress ?? (wildcard ? "127.0.0.1" : sentBy.host);
    let text =
      `NOTIFY ${b.contact} SIP/2.0\r\n` +
      `Via: SIP/2.0/${transport} ${host}:${sentBy.port};branch=${newBranch()};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: <sip:provisioning@${domain}>;tag=${randomBytes(6).toString("hex")}\r\n` +
      `To: <sip:${number}@${domain}>\r\n` +
      `Call-ID: cs-${randomBytes(9).toString("hex")}@${host}\r\n` +
      "CSeq: 1 NOTIFY\r\n" +
      `Event: ${event}\r\n` +
      "Subscription-State: terminated\r\n";
    for (const route of b.path) text += `Route: ${route}\r\n`;
    text += "User-Agent: centrex\r\nContent-Length: 0\r\n\r\n";
    return parseMessage(Buffer.from(text, "utf8")) as SipRequest;
  }
}
