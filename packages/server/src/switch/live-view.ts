import type { LiveCallSource, LiveCarrier, LiveNode, LiveSources } from "@centrex/admin";
import type { CallEventSink, SipProxy } from "@centrex/proxy";
import type { Store } from "@centrex/store";
import type { Trunk } from "@centrex/trunk";
import { withoutPin } from "./call-records.js";
import type { CarrierMediaTally } from "./carrier-media.js";
import type { FailoverService } from "./failover/service.js";

/**
 * The calls in progress as the console shows them, kept from the proxy's call events (started,
 * answered, ended). The dialled string loses its PIN prefix here, as in the call records: a
 * PIN code never reaches the console.
 */
export class LiveCalls implements CallEventSink {
  readonly #calls = new Map<string, LiveCallSource>();

  onCallStarted(e: Parameters<NonNullable<CallEventSink["onCallStarted"]>>[0]): void {
    this.#calls.set(`${e.callId}\0${e.fromTag}`, {
      callId: e.callId,
      customerId: e.caller.customerId,
      caller: e.caller.extension ?? e.caller.uri,
      dialled: withoutPin(e.dialled),
      direction: e.routing.direction,
      destinationClass: e.routing.destinationClass,
      ...(e.routing.carrier !== undefined && { carrier: e.routing.carrier }),
      startedAt: e.startedAt,
    });
  }

  onCallAnswered(e: Parameters<NonNullable<CallEventSink["onCallAnswered"]>>[0]): void {
    const key = `${e.callId}\0${e.fromTag}`;
    const c = this.#calls.get(key);
    // A call to the PSTN names its carrier once one answers.
    const carrier = e.routing.carrier;
    if (c !== undefined)
      this.#calls.set(key, { ...c, answeredAt: e.answeredAt, ...(carrier !== undefined && { carrier }) });
  }

  onCallEnded(e: Parameters<NonNullable<CallEventSink["onCallEnded"]>>[0]): void {
    this.#calls.delete(`${e.callId}\0${e.fromTag}`);
  }

  list(): LiveCallSource[] {
    return [...this.#calls.values()];
  }
}

/** The running switch's side of the console's live view. */
export function liveSources(
  calls: LiveCalls,
  store: Store,
  trunk: Trunk,
  failover: () => FailoverService | undefined,
  proxy: Pick<SipProxy, "hangUp">,
  carrierMedia: CarrierMediaTally,
): LiveSources {
  return {
    calls: () => calls.list(),
    hangUp: (callId) => proxy.hangUp(callId),
    carriers: async (): Promise<LiveCarrier[]> => {
      const registrations = trunk.registrationStates();
      const media = carrierMedia.totals();
      return (await store.carriers.list()).map((c) => ({
        name: c.name,
        enabled: c.enabled,
        up: trunk.directory.health.isUp(c.id),
        ...(registrations[c.name] !== undefined && { registration: registrations[c.name] }),
        media: media.get(c.name) ?? { calls: 0, packets: 0, lost: 0, measured: 0 },
      }));
    },
    node: (): LiveNode => {
      const f = failover();
      if (f === undefined) return { role: "single", serving: true };
      const lag = f.lag();
      return {
        role: f.role,
        serving: f.serving,
        epoch: f.epoch,
        ...(lag !== undefined && {
          replication: {
            connected: "connected" in lag ? lag.connected : lag.sinks > 0,
            changes: lag.changes,
            seconds: lag.seconds,
          },
        }),
      };
    },
  };
}
