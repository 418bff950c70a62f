import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FakeClock, type TimerHandle, type TimerTarget, TimerWheel } from "../src/timer/index.js";

/** Records (kind, time) of each firing. */
class Recorder implements TimerTarget {
  readonly fired: [number, number][] = [];
  constructor(private readonly clock: FakeClock) {}
  onTimer(kind: number): void {
    this.fired.push([kind, this.clock.now()]);
  }
}

const test = suite("timer wheel");

test("fires in deadline order, each at its own deadline", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  // Same slot (10 ms tick) and out-of-order insertion.
  wheel.schedule(17, r, 3);
  wheel.schedule(11, r, 1);
  wheel.schedule(15, r, 2);
  wheel.schedule(2500, r, 5);
  wheel.schedule(900, r, 4);
  assert.is(wheel.size, 5);
  clock.advance(10);
  assert.equal(r.fired, []);
  clock.advance(3000);
  assert.equal(r.fired, [
    [1, 11],
    [2, 15],
    [3, 17],
    [4, 900],
    [5, 2500],
  ]);
  assert.is(wheel.size, 0);
  assert.is(clock.now(), 3010);
});

test("equal deadlines fire in scheduling order; nothing fires early", () => {
  const clock = new FakeClock(3); // origin off the tick grid
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  for (let k = 0; k < 5; k++) wheel.schedule(500, r, k);
  clock.advance(499);
  assert.is(r.fired.length, 0);
  clock.advance(1);
  assert.equal(
    r.fired.map((f) => f[0]),
    [0, 1, 2, 3, 4],
  );
  assert.ok(r.fired.every((f) => f[1] === 503));
});

test("cancel is effective, idempotent and reports whether it stopped something", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  const a = wheel.schedule(100, r, 1);
  const b = wheel.schedule(100, r, 2);
  const c = wheel.schedule(200, r, 3);
  assert.ok(a.active);
  assert.ok(wheel.cancel(b));
  assert.not.ok(wheel.cancel(b));
  assert.not.ok(b.active);
  assert.is(wheel.size, 2);
  clock.advance(150);
  assert.equal(r.fired, [[1, 100]]);
  assert.not.ok(a.active);
  assert.not.ok(wheel.cancel(a)); // already fired
  assert.ok(wheel.cancel(c));
  clock.advance(1000);
  assert.equal(r.fired, [[1, 100]]);
  assert.is(wheel.size, 0);
  // A handle from another wheel is not ours to cancel.
  const other = new TimerWheel({ clock });
  const d = other.schedule(10, r, 9);
  assert.not.ok(wheel.cancel(d));
  assert.ok(d.active);
  other.close();
});

test("a callback may cancel a timer due in the same pass", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  let victim: TimerHandle | undefined;
  const killer: TimerTarget = {
    onTimer: () => {
      wheel.cancel(victim);
    },
  };
  wheel.schedule(50, killer, 0);
  victim = wheel.schedule(50, r, 1);
  clock.advance(50);
  assert.equal(r.fired, []);
});

test("re-scheduling from within a callback: doubling retransmission, capped", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const times: number[] = [];
  let interval = 500;
  const retransmitter: TimerTarget = {
    onTimer: () => {
      times.push(clock.now());
      interval = Math.min(interval * 2, 4000);
      if (times.length < 8) wheel.schedule(interval, retransmitter, 0);
    },
  };
  wheel.schedule(interval, retransmitter, 0);
  clock.advance(60_000); // one advance covers the whole chain
  assert.equal(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500]);
  assert.is(wheel.size, 0);
});

test("delay 0 scheduled from a callback fires in the same advance", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  const chain: TimerTarget = { onTimer: () => wheel.schedule(0, r, 7) };
  wheel.schedule(20, chain, 0);
  clock.advance(20);
  assert.equal(r.fired, [[7, 20]]);
});

test("long delays: 64*T1 and several rotations away", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock, tickMs: 10, slots: 512 }); // 5.12 s per rotation
  const r = new Recorder(clock);
  wheel.schedule(32_000, r, 1); // 6+ rotations
  wheel.schedule(3_600_000, r, 2); // an hour: 700 rotations
  wheel.schedule(5_120, r, 3); // exactly one rotation: same slot as "now"
  wheel.schedule(10, r, 4);
  clock.advance(31_999);
  assert.equal(r.fired, [
    [4, 10],
    [3, 5120],
  ]);
  clock.advance(1);
  assert.equal(r.fired[2], [1, 32_000]);
  // Walk there in uneven steps, crossing the slot of the long timer many times.
  for (let i = 0; i < 1000 && r.fired.length < 4; i++) clock.advance(3_599);
  assert.equal(r.fired[3], [2, 3_600_000]);
  assert.is(wheel.size, 0);
});

test("100,000 timers scheduled, half cancelled, the rest fire once, in order", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  let last = -1;
  let firedCount = 0;
  let outOfOrder = 0;
  const target: TimerTarget = {
    onTimer: () => {
      const t = clock.now();
      if (t < last) outOfOrder++;
      last = t;
      firedCount++;
    },
  };
  const handles: TimerHandle[] = [];
  // Deterministic spread over 0..64 s.
  let x = 12345;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    handles.push(wheel.schedule(x % 64_000, target, i));
  }
  assert.is(wheel.size, 100_000);
  let cancelled = 0;
  for (let i = 0; i < handles.length; i += 2) if (wheel.cancel(handles[i])) cancelled++;
  assert.is(cancelled, 50_000);
  assert.is(wheel.size, 50_000);
  clock.advance(64_000);
  assert.is(firedCount, 50_000);
  assert.is(outOfOrder, 0);
  assert.is(wheel.size, 0);
  assert.ok(handles.every((h) => !h.active));
});

test("an exception in one callback does not lose the others", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  wheel.schedule(
    5,
    {
      onTimer: () => {
        throw new Error("boom");
      },
    },
    0,
  );
  wheel.schedule(5, r, 1);
  assert.throws(() => clock.advance(5), /boom/);
  assert.equal(r.fired, [[1, 5]]);
  assert.is(wheel.size, 0);
});

test("close cancels everything and detaches from the clock", () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel({ clock });
  const r = new Recorder(clock);
  const h = wheel.schedule(5, r, 1);
  wheel.close();
  assert.is(wheel.size, 0);
  assert.not.ok(h.active);
  clock.advance(100);
  assert.equal(r.fired, []);
});

test("real clock: one unref'ed node timer fires in order and stops when empty", async () => {
  const wheel = new TimerWheel();
  const order: number[] = [];
  const start = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const target: TimerTarget = {
    onTimer: (kind) => {
      order.push(kind);
      if (kind === 3) done();
    },
  };
  wheel.schedule(60, target, 3);
  wheel.schedule(20, target, 1);
  const cancelled = wheel.schedule(30, target, 9);
  wheel.schedule(40, target, 2);
  wheel.cancel(cancelled);
  assert.ok(wheel.armed);
  // Keep the event loop alive: the wheel's own timer is unref'ed.
  const keepAlive = setTimeout(() => {}, 5_000);
  await finished;
  clearTimeout(keepAlive);
  assert.equal(order, [1, 2, 3]);
  assert.ok(performance.now() - start >= 59);
  assert.is(wheel.size, 0);
  assert.not.ok(wheel.armed); // nothing scheduled: no Node timer left
  const h = wheel.schedule(10_000, target, 4);
  assert.ok(wheel.armed);
  wheel.cancel(h);
  assert.not.ok(wheel.armed);
  wheel.close();
});

test.run();
