import { test } from "uvu";
import * as assert from "uvu/assert";
import { BanList, FakeClock } from "../src/index.js";

const D = { baseMs: 60_000, maxMs: 300_000 };

test("a ban expires at its end, not before", () => {
  const clock = new FakeClock();
  const bans = new BanList({ now: clock.now });
  const b = bans.ban("192.0.2.1", "flood", D, "x");
  assert.is(b.until - b.since, 60_000);
  clock.advance(59_999);
  assert.ok(bans.isBanned("192.0.2.1"));
  assert.not.ok(bans.isBanned("192.0.2.2"));
  clock.advance(1);
  assert.not.ok(bans.isBanned("192.0.2.1"));
  assert.equal(bans.list(), []);
});

test("repeat offenders get doubled bans up to the maximum; forgotten after the memory", () => {
  const clock = new FakeClock();
  const bans = new BanList({ now: clock.now, memoryMs: 3600_000 });
  const lengths: number[] = [];
  for (let i = 0; i < 5; i++) {
    const b = bans.ban("192.0.2.1", "auth-failures", D, "x");
    lengths.push(b.until - b.since);
    clock.ms = b.until + 1;
  }
  assert.equal(lengths, [60_000, 120_000, 240_000, 300_000, 300_000]);
  clock.advance(3600_000);
  const fresh = bans.ban("192.0.2.1", "auth-failures", D, "x");
  assert.is(fresh.until - fresh.since, 60_000);
  assert.is(fresh.offences, 1);
});

test("list shows bans in force; clear lifts one or all and forgets offences", () => {
  const clock = new FakeClock();
  const bans = new BanList({ now: clock.now });
  bans.ban("192.0.2.1", "flood", D, "a");
  bans.ban("2001:db8::1", "scanner", { baseMs: 120_000, maxMs: 120_000 }, "b");
  assert.equal(
    bans.list().map((b) => [b.address, b.reason]),
    [
      ["192.0.2.1", "flood"],
      ["2001:db8::1", "scanner"],
    ],
  );
  assert.is(bans.clear("192.0.2.1"), 1);
  assert.not.ok(bans.isBanned("192.0.2.1"));
  assert.is(bans.ban("192.0.2.1", "flood", D, "a").offences, 1);
  assert.is(bans.clear(), 2);
  assert.is(bans.size, 0);
});

test("memory stays bounded: the oldest addresses are forgotten past the capacity", () => {
  const clock = new FakeClock();
  const bans = new BanList({ now: clock.now, capacity: 100 });
  for (let i = 0; i < 10_000; i++) bans.ban(`10.0.${i >> 8}.${i & 255}`, "flood", D, "x");
  assert.is(bans.size, 100);
  assert.ok(bans.isBanned("10.0.39.15")); // the last one (9999)
  assert.not.ok(bans.isBanned("10.0.0.0"));
});

test.run();
