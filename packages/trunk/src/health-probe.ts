import type { ClientTransactionDelegate, SipResponse, SipStack } from "@centrex/sip";
import type { Carrier } from "@centrex/store";
import type { Logger } from "pino";
import { type CarrierDirectory, carrierTransport } from "./carrier-directory.js";
import { hostPort, localHostPort, localVia } from "./local-address.js";
import { buildRequest, newCallId, newTag } from "./request-builder.js";
import { defaultPort } from "./resolver.js";

export interface HealthProbeOptions {
  readonly stack: SipStack;
  readonly directory: CarrierDirectory;
  /** Time between probes of each carrier (ms); default 30 s. */
  readonly intervalMs?: number;
  /** A probe with no response in this time failed (ms); default 2 s (Timer F's 32 s is far too long). */
  readonly timeoutMs?: number;
  /** Consecutive failed probes before a carrier leaves rotation; default 2. */
  readonly downAfter?: number;
  /** Consecutive answered probes before it comes back; default 1. */
  readonly upAfter?: number;
  readonly advertisedAddress?: string;
  readonly logger?: Logger;
}

interface ProbeState {
  failures: number;
  successes: number;
}

/** Probe outcome: any response but 503/408 proves the carrier's SIP server is up (404/405 included). */
export function probeAnswered(status: number): boolean {
  return status !== 503 && status !== 408;
}

/**
 * Sends OPTIONS to every enabled carrier every `intervalMs` and takes carriers that stop
 * answering out of rotation (`CarrierDirectory.markDown`), putting them back when they answer.
 */
export class HealthProbe {
  readonly #o: HealthProbeOptions;
  readonly #state = new Map<number, ProbeState>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #cseq = 1;
  #stopped = false;

  constructor(opts: HealthProbeOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#stopped = false;
    if (this.#timer !== undefined) return;
    const tick = (): void => {
      this.#running = this.probeAll().finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs ?? 30_000);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round: every enabled carrier probed in parallel; resolves when all have an outcome. */
  async probeAll(): Promise<void> {
    const carriers = this.#o.directory.list().filter((c) => c.enabled);
    await Promise.all(carriers.map((c) => this.probe(c)));
  }

  /** Probes one carrier and updates its rotation state; resolves to whether it answered. */
  async probe(c: Carrier): Promise<boolean> {
    let ok: boolean;
    try {
      ok = await this.#options(c);
    } catch (err) {
      this.#o.logger?.debug({ err, carrier: c.name }, "probe could not be sent");
      ok = false;
    }
    const s = this.#state.get(c.id) ?? { failures: 0, successes: 0 };
    this.#state.set(c.id, s);
    if (ok) {
      s.failures = 0;
      s.successes++;
      if (!this.#o.directory.isUp(c.id) && s.successes >= (this.#o.upAfter ?? 1)) this.#o.directory.markUp(c);
    } else {
      s.successes = 0;
      s.failures++;
      if (this.#o.directory.isUp(c.id) && s.failures >= (this.#o.downAfter ?? 2)) {
        this.#o.directory.markDown(c, `no answer to ${s.failures} OPTIONS probe(s)`);
      }
    }
    return ok;
  }

  async #options(c: Carrier): Promise<boolean> {
    const targets = await this.#o.directory.targets(c);
    const target = targets[0];
    if (target === undefined) return false;
    const transport = carrierTransport(c);
    const port = c.port === defaultPort(transport) ? undefined : c.port;
    const uri = `sip:${hostPort(c.host, port)}${transport === "UDP" ? "" : `;transport=${transport.toLowerCase()}`}`;
    const local = localHostPort(this.#o, target.transport, target.address);
    const req = buildRequest({
      method: "OPTIONS",
      uri,
      via: localVia(this.#o, target.transport, target.address),
      from: `<sip:centrex@${local.replace(/:\d+$/, "")}>;tag=${newTag()}`,
      to: `<${uri}>`,
      callId: newCallId(local),
      cseq: this.#cseq++,
      headers: [["Accept", "application/sdp"]],
    });
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), this.#o.timeoutMs ?? 2_000);
      const delegate: ClientTransactionDelegate = {
        onResponse: (res: SipResponse) => {
          if (res.status >= 200) done(probeAnswered(res.status));
        },
        onTimeout: () => done(false),
        onTransportError: () => done(false),
      };
      try {
        this.#o.stack.transactions.sendRequest(
          req,
          { transport: target.transport, address: target.address, port: target.port },
          delegate,
        );
      } catch {
        done(false);
      }
    });
  }
}
