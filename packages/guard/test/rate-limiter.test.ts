import { test } from "uvu";
import * as assert from "uvu/assert";
import { RateLimiter } from "../src/index.js";

test("a source over the threshold within one window is reported once", () => {
  const r = new RateLimiter({ windowMs: 2000, maxPerWindow: 5 });
  const verdicts = Array.from({ length: 8 }, (_, i) => r.hit("a", 1000 + i));
  assert.equal(verdicts, [0, 0, 0, 0, 0, 6, 0, 0]);
  assert.is(r.hit("b", 1010), 0, "other sources are counted apart");
});

test("counts restart with each window: a steady sender under the rate is never reported", () => {
  const r = new RateLimiter({ windowMs: 2000, maxPerWindow: 5 });
  for (let t = 0; t < 60_000; t += 500) assert.is(r.hit("a", t), 0);
});

test("bounded memory: sources past the capacity are admitted uncounted, the table emptied per window", () => {
  const r = new RateLimiter({ windowMs: 1000, maxPerWindow: 1, capacity: 50 });
  for (let i = 0; i < 1000; i++) r.hit(`10.0.0.${i}`, 0);
  assert.is(r.size, 50);
  assert.is(r.untracked, 950);
  r.hit("x", 1000);
  assert.is(r.size, 1);
});

test.run();
