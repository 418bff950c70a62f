import type { RingGroup } from "@centrex/store";

/**
 * Call pickup as the phone dials it: `*8` answers a call ringing another member of the
 * picker's pickup group, `**EXT` the call ringing extension EXT (of the picker's customer).
 */
export type PickupCode =
  | { readonly kind: "group" }
  | { readonly kind: "directed"; readonly extension: string };

const DIRECTED = /^\*\*(\d{1,10})$/;

/** The pickup a dialled string asks for, or undefined for anything else. */
export function parsePickupCode(dialled: string): PickupCode | undefined {
  if (dialled === "*8") return { kind: "group" };
  const m = DIRECTED.exec(dialled);
  return m === null ? undefined : { kind: "directed", extension: m[1]! };
}

/**
 * A picker's pickup group: every other member of every ring group of its customer that it
 * belongs to. There is no separate "pickup group" to administer: the people who answer the
 * same group number are the people who answer each other's calls (an extension in no group
 * has no pickup group; `**EXT` still works for it).
 */
export function pickupGroupOf(pickerId: number, groups: readonly RingGroup[]): Set<number> {
  const out = new Set<number>();
  for (const g of groups) {
    if (!g.members.includes(pickerId)) continue;
    for (const m of g.members) if (m !== pickerId) out.add(m);
  }
  return out;
}

/** How a caller or picker is named in `RingingCall.caller`. */
export function partyKey(customerId: number, extension: string): string {
  return `${customerId}:${extension}`;
}

/** A call still ringing phones: what a pickup can take. */
export interface RingingCall {
  /** The extensions whose phones the call rings now (their ids). */
  readonly rings: ReadonlySet<number>;
  /** The caller, when it is an extension (`customerId:number`): a picker never takes its own call. */
  readonly caller: string | undefined;
  /** When this ringing started (ms): the longest-waiting call is picked first. */
  readonly since: number;
  /** Answered, failed or already being picked up by someone: not pickable. */
  readonly taken: boolean;
}

/**
 * The call a pickup takes: among the calls ringing one of `wanted`, the one ringing the longest
 * — as a receptionist answers the caller who has waited most. Never the picker's own call, nor
 * one already answered or being picked up, nor one that rings the picker's phones already (it
 * answers that one: a second INVITE of the same call to the same phone would be a merged
 * request, RFC 3261 §8.2.2.2, refused 482).
 */
export function choosePickable<T extends RingingCall>(
  calls: Iterable<T>,
  wanted: ReadonlySet<number>,
  picker: { readonly id: number; readonly key: string },
): T | undefined {
  let best: T | undefined;
  for (const c of calls) {
    if (c.taken || c.caller === picker.key || c.rings.has(picker.id)) continue;
    let rings = false;
    for (const id of c.rings) {
      if (wanted.has(id)) {
        rings = true;
        break;
      }
    }
    if (rings && (best === undefined || c.since < best.since)) best = c;
  }
  return best;
}
