import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  addPin,
  changePin,
  isValidPinCode,
  newCustomerPolicy,
  PinAttemptTracker,
  PolicyChangeError,
  parsePinPrefix,
  removePin,
} from "../src/index.js";
import { MIN, T0 } from "./fixtures.js";

const rejects = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof PolicyChangeError && re.test(e.message));

test("PIN prefix syntax: *PPPP, optional #, then the number", () => {
  assert.equal(parsePinPrefix("*12340044"), { kind: "pin", pin: "1234", rest: "0044" });
  assert.equal(parsePinPrefix("*1234#0044"), { kind: "pin", pin: "1234", rest: "0044" });
  assert.equal(parsePinPrefix("*1234#+4930"), { kind: "pin", pin: "1234", rest: "+4930" });
  assert.equal(parsePinPrefix("0044"), { kind: "none", rest: "0044" });
  assert.equal(parsePinPrefix("*123"), { kind: "incomplete" });
  assert.equal(parsePinPrefix("*1234"), { kind: "incomplete" });
  assert.equal(parsePinPrefix("*"), { kind: "incomplete" });
  assert.equal(parsePinPrefix("*12#00"), { kind: "malformed" });
  assert.equal(parsePinPrefix("*ab"), { kind: "malformed" });
});

test("PIN codes are exactly 4 digits", () => {
  for (const ok of ["0000", "1234", "9876"]) assert.ok(isValidPinCode(ok), ok);
  for (const bad of ["123", "12345", "12a4", "", " 123", "١٢٣٤"]) assert.not.ok(isValidPinCode(bad), bad);
});

test("administrator manages several labelled PINs, audited without the code", () => {
  let p = newCustomerPolicy("acme");
  const a = addPin(p, { label: "boss", code: "1234" }, "alice", T0);
  p = a.policy;
  assert.equal(a.audit, { who: "alice", when: T0, action: "pin-added", label: "boss" });
  p = addPin(p, { label: "sales", code: "5678" }, "alice", T0).policy;
  assert.equal(p.pins, [
    { label: "boss", code: "1234" },
    { label: "sales", code: "5678" },
  ]);
  const c = changePin(p, "sales", "7319", "alice", T0 + 1);
  assert.equal(c.policy.pins[1], { label: "sales", code: "7319" });
  assert.not.ok(JSON.stringify(c.audit).includes("7319"));
  const r = removePin(c.policy, "boss", "alice", T0 + 2);
  assert.equal(r.policy.pins, [{ label: "sales", code: "7319" }]);
  assert.is(r.audit.action, "pin-removed");
  rejects(() => addPin(p, { label: "x", code: "123" }, "alice", T0), /exactly 4 digits/);
  rejects(() => addPin(p, { label: "x", code: "12345" }, "alice", T0), /exactly 4 digits/);
  rejects(() => addPin(p, { label: "boss", code: "4321" }, "alice", T0), /already exists/);
  rejects(() => addPin(p, { label: "x", code: "1234" }, "alice", T0), /already used by "boss"/);
  rejects(() => addPin(p, { label: "", code: "4321" }, "alice", T0), /label/);
  rejects(() => changePin(p, "nobody", "4321", "alice", T0), /no PIN labelled/);
  rejects(() => changePin(p, "boss", "99x9", "alice", T0), /exactly 4 digits/);
  rejects(() => removePin(p, "nobody", "alice", T0), /no PIN labelled/);
});

test("tracker: configurable thresholds, unlock and prune", () => {
  const t = new PinAttemptTracker({ maxFailures: 2, windowMs: MIN, lockoutMs: 5 * MIN });
  assert.equal(t.recordFailure("k", T0), { failures: 1, lockedUntil: undefined });
  assert.equal(t.recordFailure("k", T0 + 1000), { failures: 2, lockedUntil: T0 + 1000 + 5 * MIN });
  assert.is(t.lockedUntil("k", T0 + 2000), T0 + 1000 + 5 * MIN);
  t.unlock("k");
  assert.is(t.lockedUntil("k", T0 + 2000), undefined);
  t.recordFailure("a", T0);
  t.recordFailure("b", T0);
  t.recordFailure("b", T0 + 10);
  t.prune(T0 + 30_000);
  assert.is(t.size, 2, "a's failure is still in the window, b is locked");
  t.prune(T0 + 2 * MIN);
  assert.is(t.size, 1, "b still locked");
  t.prune(T0 + 10 * MIN);
  assert.is(t.size, 0);
});

test.run();
