import type { NumberingPlan } from "@centrex/dialplan";
import type { SipStack } from "@centrex/sip";
import type { Carrier, Store } from "@centrex/store";
import type { Logger } from "pino";
import { CarrierDirectory, type CarrierDirectoryOptions } from "./carrier-directory.js";
import { CarrierRegistration, type RegistrationState } from "./carrier-registration.js";
import { HealthProbe, type HealthProbeOptions } from "./health-probe.js";
import { OutboundCall, type OutboundCallOptions } from "./outbound-call.js";
import { SipResolver, type SipResolverOptions } from "./resolver.js";

export interface TrunkOptions {
  readonly stack: SipStack;
  readonly store: Pick<Store, "carriers">;
  readonly plan: NumberingPlan;
  readonly dns?: SipResolverOptions;
  /** OPTIONS probing; `false` turns it off. */
  readonly probe?: Omit<HealthProbeOptions, "stack" | "directory" | "logger" | "advertisedAddress"> | false;
  /**
   * Which carriers get an outbound REGISTER: by default those added with `register` (and
   * credentials). Many carriers authenticate by address or challenge each INVITE and have no
   * use for a REGISTER from us.
   */
  readonly shouldRegister?: (c: Carrier) => boolean;
  /** Passive health (demotion by failed calls). */
  readonly health?: CarrierDirectoryOptions["health"];
  /** A carrier's outbound registration changed state. */
  readonly onRegistrationState?: (carrier: Carrier, state: RegistrationState) => void;
  readonly registerExpires?: number;
  readonly noResponseTimeoutMs?: number;
  readonly advertisedAddress?: string;
  readonly logger?: Logger;
}

/**
 * The PSTN side, composed: carrier directory (addresses, health, choice), the OPTIONS probe,
 * one registration per carrier that needs one, and a factory for outbound calls. `reload()`
 * applies carrier changes made in the store live, without dropping calls in progress.
 */
export class Trunk {
  readonly directory: CarrierDirectory;
  readonly probe: HealthProbe | undefined;
  readonly #o: TrunkOptions;
  readonly #registrations = new Map<number, { carrier: Carrier; reg: CarrierRegistration }>();

  constructor(opts: TrunkOptions) {
    this.#o = opts;
    this.directory = new CarrierDirectory({
      store: opts.store,
      resolver: new SipResolver(opts.dns),
      ...(opts.health !== undefined && { health: opts.health }),
      ...(opts.logger !== undefined && { logger: opts.logger }),
    });
    this.probe =
      opts.probe === false
        ? undefined
        : new HealthProbe({
            ...opts.probe,
            stack: opts.stack,
            directory: this.directory,
            ...(opts.advertisedAddress !== undefined && { advertisedAddress: opts.advertisedAddress }),
            ...(opts.logger !== undefined && { logger: opts.logger }),
          });
  }

  async start(): Promise<void> {
    await this.reload();
    this.probe?.start();
  }

  /** Re-reads carriers: new addresses, registrations started, stopped or restarted as configured. */
  async reload(): Promise<void> {
    await this.directory.refresh();
    const wanted = new Map<number, Carrier>();
    const should = this.#o.shouldRegister ?? registersByDefault;
    for (const c of this.directory.list()) if (c.enabled && should(c)) wanted.set(c.id, c);
    for (const [id, r] of this.#registrations) {
      const now = wanted.get(id);
      if (now === undefined || changed(r.carrier, now)) {
        this.#registrations.delete(id);
        void r.reg.stop(now === undefined);
      }
    }
    for (const [id, c] of wanted) {
      if (this.#registrations.has(id)) continue;
      const reg = new CarrierRegistration({
        stack: this.#o.stack,
        directory: this.directory,
        carrier: c,
        ...(this.#o.registerExpires !== undefined && { expires: this.#o.registerExpires }),
        ...(this.#o.advertisedAddress !== undefined && { advertisedAddress: this.#o.advertisedAddress }),
        ...(this.#o.logger !== undefined && { logger: this.#o.logger }),
        ...(this.#o.onRegistrationState !== undefined && {
          onStateChange: (state: RegistrationState) => this.#o.onRegistrationState?.(c, state),
        }),
      });
      this.#registrations.set(id, { carrier: c, reg });
      reg.start();
    }
  }

  /** The registration state of a carrier, undefined when it is not registered to. */
  registrationState(carrierId: number): RegistrationState | undefined {
    return this.#registrations.get(carrierId)?.reg.state;
  }

  /** Registration state per carrier name. */
  registrationStates(): Record<string, RegistrationState> {
    const out: Record<string, RegistrationState> = {};
    for (const { carrier, reg } of this.#registrations.values()) out[carrier.name] = reg.state;
    return out;
  }

  isCarrierSource(address: string, port?: number): boolean {
    return this.directory.isCarrierSource(address, port);
  }

  /** A new outbound call through this trunk's carriers (call `start()` on it). */
  outboundCall(
    opts: Omit<OutboundCallOptions, "stack" | "carriers" | "plan" | "advertisedAddress" | "logger">,
  ): OutboundCall {
    return new OutboundCall({
      noResponseTimeoutMs: this.#o.noResponseTimeoutMs,
      ...opts,
      stack: this.#o.stack,
      carriers: this.directory,
      plan: this.#o.plan,
      ...(this.#o.advertisedAddress !== undefined && { advertisedAddress: this.#o.advertisedAddress }),
      ...(this.#o.logger !== undefined && { logger: this.#o.logger }),
    });
  }

  /** Stops probing and refreshing; unregisters from carriers when asked. */
  async stop(unregister = true): Promise<void> {
    await this.probe?.stop();
    const regs = [...this.#registrations.values()];
    this.#registrations.clear();
    await Promise.all(regs.map((r) => r.reg.stop(unregister)));
    this.directory.health.close();
  }
}

/** Carriers added with `register` get a REGISTER; the store refuses the flag without credentials. */
export function registersByDefault(c: Carrier): boolean {
  return c.register && c.username !== null && c.password !== null;
}

/** The rule before per-carrier registration (`trunk.registration: auto`): every carrier with credentials. */
export function registersWithCredentials(c: Carrier): boolean {
  return c.username !== null && c.password !== null;
}

function changed(a: Carrier, b: Carrier): boolean {
  return (
    a.host !== b.host ||
    a.port !== b.port ||
    a.transport !== b.transport ||
    a.username !== b.username ||
    a.password !== b.password ||
    a.register !== b.register
  );
}
