import type { Store } from "@centrex/store";
import type { Trunk } from "@centrex/trunk";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CarrierMediaTally } from "../src/switch/carrier-media.js";
import type { FailoverService } from "../src/switch/failover/service.js";
import { LiveCalls, liveSources } from "../src/switch/live-view.js";

// What the console's node line shows for each node of a pair (the browser test runs a single
// node): the role, whether it serves, the epoch, and the replication link — a standby's link
// to its primary, a primary's to its standbys — with how far behind it is.

const node = (f: FailoverService | undefined) =>
  liveSources(
    new LiveCalls(),
    {} as Store,
    {} as Trunk,
    () => f,
    { hangUp: async () => "not-found" },
    new CarrierMediaTally(),
  ).node();

const service = (role: string, serving: boolean, lag: unknown) =>
  ({ role, serving, epoch: 4, lag: () => lag }) as unknown as FailoverService;

test("a single node: role single, serving, no replication", () => {
  assert.equal(node(undefined), { role: "single", serving: true });
});

test("a standby: not serving, its link to the primary and the changes it has not applied", () => {
  assert.equal(
    node(
      service("standby", false, { connected: true, appliedSeq: 90, headSeq: 97, changes: 7, seconds: 1.5 }),
    ),
    {
      role: "standby",
      serving: false,
      epoch: 4,
      replication: { connected: true, changes: 7, seconds: 1.5 },
    },
  );
  assert.equal(
    node(service("standby", false, { connected: false, appliedSeq: 0, headSeq: 0, changes: 0, seconds: 0 }))
      .replication?.connected,
    false,
  );
});

test("a primary: serving, linked while a standby is connected", () => {
  assert.equal(node(service("primary", true, { sinks: 1, changes: 0, seconds: 0 })).replication, {
    connected: true,
    changes: 0,
    seconds: 0,
  });
  assert.is(
    node(service("primary", true, { sinks: 0, changes: 12, seconds: 30 })).replication?.connected,
    false,
  );
});

test("a call to the PSTN is listed with the carrier that answered it", () => {
  const calls = new LiveCalls();
  const start = {
    callId: "c1",
    fromTag: "t1",
    caller: { customerId: 1, extension: "201", uri: "sip:201@a.test" },
    dialled: "0612345678",
    routing: { direction: "outbound" as const, destinationClass: "fr-mobile" },
    startedAt: 1000,
  };
  calls.onCallStarted(start);
  assert.is(calls.list()[0]?.carrier, undefined, "ringing: the trunk may still fail over");
  calls.onCallAnswered({
    ...start,
    routing: { ...start.routing, carrier: "alpha" },
    toTag: "t2",
    answeredAt: 2000,
  });
  assert.equal([calls.list()[0]?.carrier, calls.list()[0]?.answeredAt], ["alpha", 2000]);
});

test.run();
