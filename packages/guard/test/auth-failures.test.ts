import { test } from "uvu";
import * as assert from "uvu/assert";
import { AuthFailureTracker } from "../src/index.js";

test("a source is banned at its threshold within the window, not before", () => {
  const t = new AuthFailureTracker({ maxPerSource: 3, windowMs: 60_000 });
  assert.is(t.failed("192.0.2.9", "201@a", 0).banSource, undefined);
  assert.is(t.failed("192.0.2.9", "202@a", 1).banSource, undefined);
  assert.is(t.failed("192.0.2.9", "203@a", 2).banSource, 3);
});

test("failures spread beyond the window never add up to a ban (a phone with a stale password)", () => {
  const t = new AuthFailureTracker({ maxPerSource: 3, windowMs: 60_000 });
  for (let i = 0; i < 20; i++) assert.is(t.failed("192.0.2.9", "201@a", i * 31_000).banSource, undefined);
});

test("an extension's failures from many sources alert once per window and never ban anything", () => {
  const t = new AuthFailureTracker({ maxPerSource: 100, alertPerExtension: 5, windowMs: 60_000 });
  const alerts = [];
  for (let i = 0; i < 12; i++) {
    const v = t.failed(`198.51.100.${i}`, "201@pbx.test", i);
    assert.is(v.banSource, undefined);
    if (v.alert !== undefined) alerts.push(v.alert);
  }
  assert.is(alerts.length, 1);
  assert.is(alerts[0]!.failures, 5);
  assert.equal(alerts[0]!.sources.length, 5);
  const later = t.failed("198.51.100.1", "201@pbx.test", 61_000);
  assert.is(later.alert, undefined, "a new window starts at 1");
});

test("bounded memory whatever arrives", () => {
  const t = new AuthFailureTracker({ capacity: 100 });
  for (let i = 0; i < 10_000; i++) t.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `${i}@x`, i);
  assert.equal(t.size, { sources: 100, extensions: 100 });
});

test.run();
