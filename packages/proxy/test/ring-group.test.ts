import type { Extension } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type GroupMember, huntSteps, skipReason } from "../src/ring-group.js";

const ext = (number: string, enabled = true): Extension =>
  ({ id: Number(number), customerId: 1, number, enabled }) as Extension;
const phone = { contact: "sip:x@127.0.0.1" } as GroupMember["bindings"][number];
const member = (over: Partial<GroupMember> = {}): GroupMember => ({
  extension: ext("201"),
  bindings: [phone],
  dnd: false,
  onCall: false,
  ...over,
});

test("a member rings unless disabled, on do-not-disturb or with no phone registered", () => {
  assert.is(skipReason(member(), "simultaneous"), undefined);
  assert.is(skipReason(member({ extension: ext("201", false) }), "simultaneous"), "disabled");
  assert.is(skipReason(member({ dnd: true }), "sequential"), "dnd");
  assert.is(skipReason(member({ bindings: [] }), "simultaneous"), "unregistered");
});

test("a member on a call is skipped by a hunt, still rung (second call) by a simultaneous group", () => {
  assert.is(skipReason(member({ onCall: true }), "sequential"), "on-call");
  assert.is(skipReason(member({ onCall: true }), "simultaneous"), undefined);
});

test("hunt: each member its ring time in order, the last cut at the group's timeout", () => {
  assert.equal(huntSteps([0, 1, 2], 10_000, 0, 25_000), [
    { member: 0, ringMs: 10_000 },
    { member: 1, ringMs: 10_000 },
    { member: 2, ringMs: 5_000 },
  ]);
  // A timeout shorter than one member's time: the first rings until the timeout, nobody else.
  assert.equal(huntSteps([0, 1], 15_000, 1_000, 6_000), [{ member: 0, ringMs: 5_000 }]);
  assert.equal(huntSteps([], 15_000, 0, 60_000), []);
});

test.run();
