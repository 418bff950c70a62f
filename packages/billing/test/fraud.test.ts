import { test } from "uvu";
import * as assert from "uvu/assert";
import { type FraudEvent, FraudMonitor, type PstnCallStart } from "../src/index.js";

// Tuesday 10 March 2026, 14:00 in Paris (13:00 UTC): business hours.
const DAY = Date.UTC(2026, 2, 10, 13, 0, 0);
// Saturday 14 March 2026, 03:00 in Paris.
const NIGHT = Date.UTC(2026, 2, 14, 2, 0, 0);

function harness(
  opts: ConstructorParameters<typeof FraudMonitor>[0] extends infer O ? Partial<O> : never = {},
) {
  const suspended: [number, string][] = [];
  const alerts: FraudEvent[] = [];
  const monitor = new FraudMonitor({
    delegate: {
      suspendPstn: (id, reason) => {
        suspended.push([id, reason]);
      },
      alert: (e) => alerts.push(e),
    },
    ...opts,
  });
  return { monitor, suspended, alerts };
}

const start = (i: number, at: number, over: Partial<PstnCallStart> = {}): PstnCallStart => ({
  callId: `c${i}`,
  customerId: 7,
  extension: "201",
  destinationClass: "fr-geographic",
  called: "+33123456789",
  at,
  ...over,
});

test("ordinary office use raises nothing", () => {
  const { monitor, suspended, alerts } = harness({
    baseline: () => ({ hourlySpendMillicents: 20_000, knownDestinations: new Set(["+3312"]) }),
  });
  for (let i = 0; i < 30; i++) {
    const at = DAY + i * 120_000;
    assert.ok(monitor.callStarted(start(i, at)).allowed);
    monitor.callEnded({ callId: `c${i}`, at: at + 90_000, costMillicents: 3000 });
  }
  assert.equal([suspended.length, alerts.length], [0, 0]);
});

test("toll-fraud burst: a hijacked phone looping on premium/international is stopped within 3 calls", () => {
  const { monitor, suspended, alerts } = harness({
    baseline: () => ({ hourlySpendMillicents: 20_000, knownDestinations: new Set(["+3312", "+3361"]) }),
  });
  const targets = [
    ["intl-world", "+8823456789"],
    ["fr-premium", "+33899123456"],
    ["intl-world", "+2693456789"],
    ["intl-world", "+2393456789"],
    ["intl-world", "+8823456789"],
  ] as const;
  let routed = 0;
  let attempt = 0;
  for (; attempt < 50; attempt++) {
    const [cls, called] = targets[attempt % targets.length]!;
    const at = NIGHT + attempt * 20_000;
    const v = monitor.callStarted(start(attempt, at, { destinationClass: cls, called }));
    if (!v.allowed) break;
    routed++;
    monitor.callEnded({ callId: `c${attempt}`, at: at + 15_000, costMillicents: 60_000 });
  }
  console.log(`  fraud burst stopped after ${routed} routed call(s), at attempt ${attempt + 1}`);
  assert.ok(routed <= 2, `routed ${routed}`);
  assert.is(suspended.length, 1, "suspended once");
  assert.is(suspended[0]![0], 7);
  assert.match(suspended[0]![1], /new-expensive-destinations/);
  assert.ok(alerts.some((a) => a.level === "critical"));
  assert.ok(
    alerts.some((a) => a.monitor === "unusual-hours"),
    "03:00 on a Saturday is unusual",
  );
  // Everything else of that customer is refused until the operator resumes it.
  assert.not.ok(monitor.callStarted(start(99, NIGHT + 3_600_000)).allowed);
  monitor.resume(7);
  assert.ok(monitor.callStarted(start(100, DAY + 86_400_000 * 7)).allowed);
});

test("calls per minute and concurrency: warning first, critical suspends", () => {
  const { monitor, suspended, alerts } = harness();
  const results: boolean[] = [];
  // Concurrent calls to known-cheap destinations during the day, never ended.
  for (let i = 0; i < 6; i++) results.push(monitor.callStarted(start(i, DAY + i * 1000)).allowed);
  assert.equal(results, [true, true, true, false, false, false]);
  assert.equal(
    alerts.map((a) => [a.monitor, a.level]),
    [
      ["concurrent-extension", "warning"],
      ["concurrent-extension", "warning"],
      ["concurrent-extension", "critical"],
      ["calls-per-minute", "warning"],
    ],
  );
  assert.is(suspended.length, 1);
});

test("spend per hour vs the customer's own history", () => {
  const { monitor, suspended, alerts } = harness({
    baseline: () => ({ hourlySpendMillicents: 500_000, knownDestinations: new Set(["+4930"]) }),
  });
  // 5 €/h usual: warning at 15 €, critical at 50 € within an hour.
  let i = 0;
  for (; i < 20 && suspended.length === 0; i++) {
    const at = DAY + i * 300_000;
    monitor.callStarted(start(i, at, { destinationClass: "intl-eu", called: "+4930123456" }));
    monitor.callEnded({ callId: `c${i}`, at: at + 200_000, costMillicents: 600_000 });
  }
  assert.ok(alerts.some((a) => a.monitor === "spend-per-hour" && a.level === "warning"));
  assert.is(alerts.find((a) => a.level === "critical")?.monitor, "spend-per-hour");
  assert.is(i, 9, "critical at 54 € (9 calls of 6 €)");
});

test("unusual hours: night/weekend PSTN calls add up to a critical", () => {
  const { monitor, suspended } = harness({ thresholds: { callsPerMinute: { warning: 100, critical: 200 } } });
  let i = 0;
  for (; i < 20 && suspended.length === 0; i++) {
    monitor.callStarted(start(i, NIGHT + i * 120_000));
    monitor.callEnded({ callId: `c${i}`, at: NIGHT + i * 120_000 + 60_000, costMillicents: 100 });
  }
  assert.is(i, 10);
  assert.match(suspended[0]![1], /unusual-hours/);
});

test.run();
