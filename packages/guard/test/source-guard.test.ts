import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Ban, type ExtensionAlert, FakeClock, SourceGuard } from "../src/index.js";

function setup(opts: Partial<ConstructorParameters<typeof SourceGuard>[0]> = {}) {
  const clock = new FakeClock();
  const bans: Ban[] = [];
  const alerts: ExtensionAlert[] = [];
  const guard = new SourceGuard(
    { rate: { windowMs: 1000, maxPerWindow: 10 }, auth: { maxFailures: 3 }, now: clock.now, ...opts },
    { onBan: (b) => bans.push(b), onExtensionAlert: (a) => alerts.push(a) },
  );
  return { clock, guard, bans, alerts };
}

test("a flooding source is banned once, dropped silently meanwhile, and let back in after the ban", () => {
  const { clock, guard, bans } = setup();
  let admitted = 0;
  for (let i = 0; i < 1000; i++) if (guard.admit("192.0.2.66")) admitted++;
  assert.is(admitted, 10);
  assert.is(bans.length, 1, "one ban event (one log line), not one per packet");
  assert.is(bans[0]!.reason, "flood");
  assert.ok(guard.admit("192.0.2.10"), "another source is untouched");
  clock.advance(60_000);
  assert.ok(guard.admit("192.0.2.66"));
});

test("auth failures ban the source; the extension is never blocked for another source", () => {
  const { guard, bans, alerts } = setup({ auth: { maxFailures: 3, extensionAlertFailures: 3 } });
  for (let i = 0; i < 3; i++) guard.authFailed("203.0.113.5", "201@pbx.test");
  assert.is(bans.length, 1);
  assert.is(bans[0]!.reason, "auth-failures");
  assert.not.ok(guard.admit("203.0.113.5"));
  assert.ok(guard.admit("127.0.0.2"), "the phone's own address still gets through");
  assert.is(alerts.length, 1);
  assert.is(alerts[0]!.extension, "201@pbx.test");
});

test("scanner User-Agents are refused and their source banned; ordinary phones pass", () => {
  const { guard, bans } = setup();
  assert.ok(guard.admitUserAgent("192.0.2.1", "Yealink SIP-T46U 108.86.0.20"));
  assert.ok(guard.admitUserAgent("192.0.2.1", undefined));
  assert.not.ok(guard.admitUserAgent("192.0.2.2", "friendly-scanner"));
  assert.not.ok(guard.admitUserAgent("192.0.2.3", "SIPVicious 0.3.4"));
  assert.equal(
    bans.map((b) => b.reason),
    ["scanner", "scanner"],
  );
  assert.not.ok(guard.admit("192.0.2.2"));
  assert.not.ok(guard.admitConnection("192.0.2.2"));
});

test("the scanner list is configurable; empty turns the filter off", () => {
  const { guard } = setup({ scannerUserAgents: [] });
  assert.ok(guard.admitUserAgent("192.0.2.2", "friendly-scanner"));
  const custom = setup({ scannerUserAgents: ["EvilBot"] }).guard;
  assert.not.ok(custom.admitUserAgent("192.0.2.2", "evilbot/1.0"));
});

test("allowed addresses and blocks are never banned automatically", () => {
  const { guard, bans } = setup({ allow: ["192.0.2.0/24", "2001:db8::1"] });
  for (let i = 0; i < 100; i++) assert.ok(guard.admit("192.0.2.77"));
  for (let i = 0; i < 10; i++) guard.authFailed("2001:db8::1", "201@x");
  assert.ok(guard.admitUserAgent("192.0.2.77", "friendly-scanner"));
  assert.is(bans.length, 0);
  assert.throws(() => setup({ allow: ["not-an-address"] }), /not an address/);
});

test("clear lifts a ban and the counts behind it", () => {
  const { guard } = setup();
  for (let i = 0; i < 3; i++) guard.authFailed("203.0.113.5", "201@x");
  assert.is(guard.list().length, 1);
  assert.is(guard.clear("203.0.113.5"), 1);
  assert.ok(guard.admit("203.0.113.5"));
  guard.authFailed("203.0.113.5", "201@x");
  assert.is(guard.list().length, 0, "counting started again from zero");
});

test("manual bans last the minutes asked for", () => {
  const { clock, guard } = setup();
  const b = guard.banManually("192.0.2.4", 5);
  assert.is(b.until - b.since, 300_000);
  clock.advance(299_000);
  assert.not.ok(guard.admit("192.0.2.4"));
  clock.advance(1_000);
  assert.ok(guard.admit("192.0.2.4"));
});

test("memory is bounded under a spoofed-address flood", () => {
  const { guard } = setup({ capacity: 1000, rate: { windowMs: 1000, maxPerWindow: 1 } });
  for (let i = 0; i < 50_000; i++) {
    const a = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    guard.admit(a);
    guard.admit(a);
    guard.authFailed(a, `${i}@x`);
  }
  assert.ok(guard.bans.size <= 1000);
  assert.ok(guard.limiter.size <= 1000);
  assert.ok(guard.auth.size.sources <= 1000 && guard.auth.size.extensions <= 1000);
});

test.run();
