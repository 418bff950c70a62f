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
  /** Consecutive failed probes (of a carrier that answered before) before it is demoted; default 2. */
  readonly downAfter?: number;
  /** Consecutive answered probes before it comes back; default 1. */
  readonly upAfter?: number;
  readonly advertisedAddress?: string;
  readonly logger?: Logger;
}

interface ProbeState {
  failures: number;
  successes: number;
  /** The carrier has answered an OPTIONS at least once: it does probing. */
  heard: boolean;
}

/** Probe outcome: any response but 503/408 proves the carrier's SIP server is up (404/405 included). */
export function probeAnswered(status: number): boolean {
  return status !== 503 && status !== 408;
}

/**
 * Sends OPTIONS to every enabled carrier every `intervalMs`. A carrier that has answered a probe
 * and then stops answering (or answers 503/408) `downAfter` times is demoted until it answers
 * again. A carrier that never answered one is left alone: many carrier SBCs ignore OPTIONS from
 * peers they do not know, and silence from them says nothing about their calls (passive health,
 * from the calls themselves, covers them).
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

  /** Whether a carrier has ever answered a probe (false: it ignores OPTIONS, or was never reached). */
  answersProbes(carrierId: number): boolean {
    return this.#state.get(carrierId)?.heard ?? false;
  }

  /** Probes one carrier and updates its state; resolves to whether it answered (with a status proving it up). */
  async probe(c: Carrier): Promise<boolean> {
    let status: number | undefined;
    try {
      status = await this.#options(c);
    } catch (err) {
      this.#o.logger?.debug({ err, carrier: c.name }, "probe could not be sent");
    }
    const s = this.#state.get(c.id) ?? { failures: 0, successes: 0, heard: false };
    this.#state.set(c.id, s);
    if (status !== undefined && !s.heard) {
      s.heard = true;
      this.#o.logger?.info({ carrier: c.name, status }, "carrier answers OPTIONS: probed for health");
    }
    const health = this.#o.directory.health;
    if (status !== undefined && probeAnswered(status)) {
      s.failures = 0;
      s.successes++;
      if (s.successes >= (this.#o.upAfter ?? 1)) health.restore(c, "probe");
      return true;
    }
    s.successes = 0;
    if (!s.heard) return false; // silent since the start: it does not do OPTIONS
    s.failures++;
    if (health.isUp(c.id) && s.failures >= (this.#o.downAfter ?? 2)) {
      const why = status === undefined ? "stopped answering OPTIONS" : `answers OPTIONS with ${status}`;
      health.demote(c, `${why} (${s.failures} probes)`, "probe");
    }
    return false;
  }

  /** The final status the carrier answered an OPTIONS with; undefined when it said nothing. */
  async #options(c: Carrier): Promise<number | undefined> {
    const targets = await this.#o.directory.targets(c);
    const target = targets[0];
    if (target === undefined) return undefined;
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
    return new Promise<number | undefined>((resolve) => {
      let settled = false;
      const done = (status: number | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(status);
      };
      const timer = setTimeout(() => done(undefined), this.#o.timeoutMs ?? 2_000);
      const delegate: ClientTransactionDelegate = {
        onResponse: (res: SipResponse) => {
          if (res.status >= 200) done(res.status);
        },
        onTimeout: () => done(undefined),
        onTransportError: () => done(undefined),
      };
      try {
        this.#o.stack.transactions.sendRequest(
          req,
          { transport: target.transport, address: target.address, port: target.port },
          delegate,
        );
      } catch {
        done(undefined);
      }
    });
  }
}
