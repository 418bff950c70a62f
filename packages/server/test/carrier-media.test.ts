import type { CallStats, MediaController } from "@centrex/media";
import type { CallStarted } from "@centrex/proxy";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CarrierMediaTally } from "../src/switch/carrier-media.js";

// Loss per carrier (the console's chart): the relay's last reading of a call through a carrier
// — the one the media anchor takes just before deleting the call — is added to the carrier's
// totals, counting only the carrier's leg (what the relay received from the carrier).
/** A stream's counters; `expected` (what the relay measured loss over) defaults to all of it. */
function stream(packets: number, lost: number, expected = packets + lost) {
  return { packets, lost, expected } as CallStats["legs"][number]["streams"][number];
}

function relay(stats: Map<string, CallStats>): MediaController & { deleted: string[] } {
  const deleted: string[] = [];
  return {
    deleted,
    delegate: undefined,
    offer: async () => "",
    answer: async () => "",
    query: async (id) => {
      const s = stats.get(id);
      if (s === undefined) throw new Error(`no call ${id}`);
      return s;
    },
    delete: async (id) => {
      deleted.push(id);
      return stats.delete(id);
    },
    list: async () => [...stats.keys()],
    ping: async () => {},
    close: async () => {},
  };
}

const started = (callId: string, direction: "outbound" | "inbound" | "internal", carrier?: string) =>
  ({
    callId,
    fromTag: "caller-tag",
    caller: { customerId: 1, uri: "sip:201@a" },
    dialled: "0612345678",
    routing: { direction, destinationClass: "fr-mobile", ...(carrier !== undefined && { carrier }) },
    startedAt: 0,
  }) as CallStarted;

const legs = (callerPackets: number, callerLost: number, otherPackets: number, otherLost: number) => [
  { tag: "caller-tag", onHold: false, streams: [stream(callerPackets, callerLost)] },
  { tag: "callee-tag", onHold: false, streams: [stream(otherPackets, otherLost)] },
];

test("the carrier's leg of each call through it is tallied when its media is released", async () => {
  const stats = new Map<string, CallStats>([
    ["out-1", { callId: "out-1", createdAt: 0, idleMs: 0, legs: legs(1000, 1, 990, 10) }],
    ["in-1", { callId: "in-1", createdAt: 0, idleMs: 0, legs: legs(500, 5, 480, 0) }],
    ["local", { callId: "local", createdAt: 0, idleMs: 0, legs: legs(100, 50, 100, 50) }],
  ]);
  const inner = relay(stats);
  const tally = new CarrierMediaTally();
  const anchor = tally.watch(inner);
  tally.onCallStarted(started("out-1", "outbound", "op-a"));
  tally.onCallStarted(started("in-1", "inbound", "op-a"));
  tally.onCallStarted(started("local", "internal"));
  // What MediaAnchor.release does: read the last counters, then delete.
  for (const id of ["out-1", "in-1", "local"]) {
    await anchor.query(id);
    await anchor.delete(id);
  }
  assert.equal(inner.deleted, ["out-1", "in-1", "local"], "every delete reached the relay");
  // Outbound: the callee's leg is the carrier (990 + 10 lost); inbound: the caller's (500 + 5).
  assert.equal(tally.totals().get("op-a"), { calls: 2, packets: 1490, lost: 15, measured: 1505 });
  assert.is(tally.totals().size, 1, "an internal call counts for no carrier");
});

test("a call without a last reading (media timed out) is not counted; a released call is forgotten", async () => {
  const stats = new Map<string, CallStats>([
    ["out-2", { callId: "out-2", createdAt: 0, idleMs: 0, legs: legs(10, 0, 10, 0) }],
  ]);
  const tally = new CarrierMediaTally();
  const anchor = tally.watch(relay(stats));
  tally.onCallStarted(started("gone", "outbound", "op-b"));
  await anchor.delete("gone");
  assert.is(tally.totals().get("op-b"), undefined);
  tally.onCallStarted(started("out-2", "outbound", "op-b"));
  tally.onCallEnded({ callId: "out-2" }); // recorded first (an operator's hang-up), released after
  await anchor.query("out-2");
  await anchor.delete("out-2");
  await anchor.delete("out-2");
  assert.equal(tally.totals().get("op-b"), { calls: 1, packets: 10, lost: 0, measured: 10 });
});

test("a PSTN call names its carrier only when one answers: tallied from the answered event", async () => {
  const stats = new Map<string, CallStats>([
    // The carrier's stream went to the kernel after 4 packets: 139 counted, 4 measured.
    ["out-3", { callId: "out-3", createdAt: 0, idleMs: 0, legs: legs(200, 0, 139, 0) }],
  ]);
  stats.get("out-3")!.legs[1]!.streams[0] = stream(139, 0, 4);
  const tally = new CarrierMediaTally();
  const anchor = tally.watch(relay(stats));
  tally.onCallStarted(started("out-3", "outbound")); // no carrier yet: the trunk is trying them
  tally.onCallAnswered(started("out-3", "outbound", "op-c"));
  await anchor.query("out-3");
  await anchor.delete("out-3");
  assert.equal(tally.totals().get("op-c"), { calls: 1, packets: 139, lost: 0, measured: 4 });
});

test.run();
