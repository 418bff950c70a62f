import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ActiveAddresses, FailoverRole, HealthProbe, ProbeResult, TakeoverEvent } from "../src/index.js";
import { FailoverController, memoryEpochStore } from "../src/index.js";

/** A probe whose answer the test sets. */
function fakeProbe(name: string, initial: ProbeResult): HealthProbe & { answer: ProbeResult; calls: number } {
  const p = {
    name,
    answer: initial,
    calls: 0,
    probe: async (): Promise<ProbeResult> => {
      p.calls++;
      return p.answer;
    },
  };
  return p;
}

const SELF: ActiveAddresses = { ipv4: "127.0.0.12" };

function standby(probes: HealthProbe[], extra: { now?: () => number } = {}) {
  const published: ActiveAddresses[] = [];
  const takeovers: TakeoverEvent[] = [];
  const roles: FailoverRole[] = [];
  const epoch = memoryEpochStore(1);
  const c = new FailoverController({
    name: "b",
    self: SELF,
    role: "standby",
    epoch,
    probes,
    missesBeforeTakeover: 3,
    dns: { publishActive: async (n) => void published.push(n) },
    onTakeover: (e) => void takeovers.push(e),
    onRoleChange: (r) => void roles.push(r),
    ...extra,
  });
  return { c, published, takeovers, roles, epoch };
}

const C = suite("failover controller");

C(
  "a standby takes over after N consecutive missed rounds, not before; a success resets the count",
  async () => {
    let t = 1000;
    const p = fakeProbe("http", { reachable: true, role: "primary", epoch: 1 });
    const { c, published, takeovers, roles } = standby([p], { now: () => t });
    await c.tick();
    assert.is(c.misses, 0);
    p.answer = { reachable: false, error: "timeout" };
    await c.tick();
    t += 1000;
    await c.tick();
    assert.is(c.misses, 2);
    assert.is(c.role, "standby");
    p.answer = { reachable: true, role: "primary", epoch: 1 };
    await c.tick();
    assert.is(c.misses, 0);
    p.answer = { reachable: false };
    t = 5000;
    await c.tick();
    t = 6000;
    await c.tick();
    t = 7000;
    await c.tick();
    assert.is(c.role, "primary");
    assert.equal(roles, ["primary"]);
    assert.equal(published, [SELF]);
    assert.is(takeovers.length, 1);
    assert.is(takeovers[0]?.reason, "missed-probes");
    assert.is(takeovers[0]?.detectedAt, 5000);
    assert.is(takeovers[0]?.previousEpoch, 1);
    assert.is(takeovers[0]?.epoch, 2);
    assert.is(c.epoch, 2);
    assert.is(c.status().role, "primary");
  },
);

C(
  "any vantage that still sees the primary prevents a takeover; a non-primary peer counts as a miss",
  async () => {
    const near = fakeProbe("near", { reachable: false });
    const far = fakeProbe("far", { reachable: true, role: "primary", epoch: 1 });
    const { c } = standby([near, far]);
    for (let i = 0; i < 5; i++) await c.tick();
    assert.is(c.role, "standby");
    assert.is(near.calls, 5);
    far.answer = { reachable: true, role: "fenced", epoch: 1 };
    for (let i = 0; i < 3; i++) await c.tick();
    assert.is(c.role, "primary");
  },
);

C("the new epoch goes above any epoch seen from the peer", async () => {
  const p = fakeProbe("http", { reachable: true, role: "primary", epoch: 7 });
  const { c, epoch } = standby([p]);
  await c.tick();
  assert.is(epoch.get(), 7);
  p.answer = { reachable: false };
  for (let i = 0; i < 3; i++) await c.tick();
  assert.is(c.epoch, 8);
});

C("a primary that sees a primary with a higher epoch fences itself; a lower one does not", async () => {
  const p = fakeProbe("http", { reachable: true, role: "primary", epoch: 1 });
  const fenced: number[] = [];
  const c = new FailoverController({
    name: "a",
    self: { ipv4: "127.0.0.11" },
    role: "primary",
    epoch: memoryEpochStore(2),
    probes: [p],
    onFenced: (e) => void fenced.push(e.peerEpoch),
  });
  await c.tick();
  assert.is(c.role, "primary");
  p.answer = { reachable: false };
  for (let i = 0; i < 5; i++) await c.tick();
  assert.is(c.role, "primary", "a primary never takes over or steps down on misses");
  p.answer = { reachable: true, role: "primary", epoch: 3 };
  await c.tick();
  assert.is(c.role, "fenced");
  assert.is(c.serving, false);
  assert.equal(fenced, [3]);
  assert.is(c.status().role, "fenced");
  c.rejoinAsStandby();
  assert.is(c.role, "standby");
});

C("start/stop run rounds on the injected timers", async () => {
  const pending: (() => void)[] = [];
  const p = fakeProbe("http", { reachable: false });
  const c = new FailoverController({
    name: "b",
    self: SELF,
    role: "standby",
    epoch: memoryEpochStore(0),
    probes: [p],
    missesBeforeTakeover: 2,
    timers: {
      setTimeout: (fn) => pending.push(fn),
      clearTimeout: () => {},
    },
  });
  await c.start();
  assert.is(p.calls, 1);
  assert.is(pending.length, 1);
  await (pending.shift() as () => Promise<void>)();
  await new Promise((r) => setImmediate(r));
  assert.is(c.role, "primary");
  await c.stop();
});

C("a DNS failure at takeover is reported and retried on the next round", async () => {
  let fail = true;
  const published: ActiveAddresses[] = [];
  const p = fakeProbe("http", { reachable: false });
  let event: TakeoverEvent | undefined;
  let t = 1_000_000;
  const c = new FailoverController({
    name: "b",
    self: SELF,
    role: "standby",
    epoch: memoryEpochStore(0),
    probes: [p],
    missesBeforeTakeover: 1,
    dns: {
      publishActive: async (n) => {
        if (fail) throw new Error("dns down");
        published.push(n);
      },
    },
    onTakeover: (e) => {
      event = e;
    },
    now: () => t,
  });
  await c.tick();
  assert.is(c.role, "primary");
  assert.is(event?.dnsError?.message, "dns down");
  assert.is(event?.dnsSwitchedAt, undefined);
  fail = false;
  await c.tick();
  assert.equal(published, [], "backing off: not retried at once");
  t += 1000;
  await c.tick();
  assert.equal(published, [SELF]);
});

C("stop() called from onTakeover returns (no deadlock on the round in progress)", async () => {
  const p = fakeProbe("http", { reachable: false });
  let stopped = false;
  const c: FailoverController = new FailoverController({
    name: "b",
    self: SELF,
    role: "standby",
    epoch: memoryEpochStore(0),
    probes: [p],
    missesBeforeTakeover: 1,
    onTakeover: async () => {
      await c.stop();
      stopped = true;
    },
  });
  const done = c.tick();
  const timeout = new Promise((r) => setTimeout(() => r("deadlock"), 500).unref());
  assert.is(await Promise.race([done.then(() => "ok"), timeout]), "ok");
  assert.ok(stopped);
});

/** Two primaries that probe each other's status (what their health endpoints would answer). */
function twoPrimaries(epochA: number, epochB: number) {
  const published: Record<string, ActiveAddresses[]> = { a: [], b: [] };
  const nodes: Record<string, FailoverController> = {};
  const peerProbe = (peer: string): HealthProbe => ({
    name: `http ${peer}`,
    probe: async () => {
      const st = nodes[peer]?.status();
      return st === undefined
        ? { reachable: false }
        : { reachable: true, node: st.node, role: st.role, epoch: st.epoch };
    },
  });
  for (const [name, peer, epoch, ip] of [
    ["a", "b", epochA, "127.0.0.11"],
    ["b", "a", epochB, "127.0.0.12"],
  ] as const) {
    nodes[name] = new FailoverController({
      name,
      self: { ipv4: ip },
      role: "primary",
      epoch: memoryEpochStore(epoch),
      probes: [peerProbe(peer)],
      dns: { publishActive: async (n) => void published[name]?.push(n) },
    });
  }
  return { a: nodes.a as FailoverController, b: nodes.b as FailoverController, published };
}

C(
  "split brain at the same epoch: one steps down (fenced), the other serves and names itself again",
  async () => {
    const { a, b, published } = twoPrimaries(4, 4);
    await b.tick();
    assert.is(b.role, "fenced", "b yields to a (the name that sorts first)");
    await a.tick();
    assert.is(a.role, "primary");
    assert.not.ok(b.serving);
    assert.equal(published.a, [{ ipv4: "127.0.0.11" }], "the survivor re-publishes DNS");
    // Seen from the survivor's side first: it keeps serving, the other steps down on its round.
    const s = twoPrimaries(7, 7);
    await s.a.tick();
    assert.is(s.a.role, "primary");
    await s.b.tick();
    assert.is(s.b.role, "fenced");
    assert.equal(s.published.a, [{ ipv4: "127.0.0.11" }]);
  },
);

C("split brain at different epochs: the lower epoch steps down whoever probes first", async () => {
  const { a, b, published } = twoPrimaries(3, 5);
  await b.tick();
  assert.is(b.role, "primary", "the higher epoch stays");
  assert.equal(published.b, [{ ipv4: "127.0.0.12" }]);
  await a.tick();
  assert.is(a.role, "fenced");
  await b.tick();
  assert.is(b.role, "primary");
});

C("yieldsOnTie overrides the name order", async () => {
  const c = new FailoverController({
    name: "a",
    self: SELF,
    role: "primary",
    epoch: memoryEpochStore(2),
    probes: [fakeProbe("peer", { reachable: true, node: "z", role: "primary", epoch: 2 })],
    yieldsOnTie: () => true,
  });
  await c.tick();
  assert.is(c.role, "fenced");
});

C("a failing DNS update backs off and is logged once per change of state, not every round", async () => {
  let t = 0;
  const errors: string[] = [];
  let attempts = 0;
  let failWith: string | undefined = "connection refused";
  const log = {
    info: () => {},
    warn: () => {},
    error: (_o: unknown, m: string) => void errors.push(m),
    debug: () => {},
  };
  const c = new FailoverController({
    name: "a",
    self: SELF,
    role: "standby",
    epoch: memoryEpochStore(1),
    probes: [fakeProbe("peer", { reachable: false })],
    missesBeforeTakeover: 1,
    intervalMs: 100,
    now: () => t,
    dns: {
      publishActive: async () => {
        attempts++;
        if (failWith !== undefined) throw new Error(failWith);
      },
    },
    logger: log as never,
  });
  await c.tick(); // takes over; the first publish fails
  assert.is(c.role, "primary");
  for (let i = 0; i < 50; i++) {
    t += 100;
    await c.tick();
  }
  // 5 s of rounds: back-off 100, 200, 400, 800, 1600 ms → a handful of attempts, one log line.
  assert.ok(attempts <= 6, `${attempts} attempts in 5 s`);
  assert.equal(errors.filter((m) => m.startsWith("DNS publish failed")).length, 1);
  failWith = "timeout";
  t += 5000;
  await c.tick();
  assert.equal(
    errors.filter((m) => m.startsWith("DNS publish failed")).length,
    2,
    "a new error is a new state",
  );
  failWith = undefined;
  t += 10_000;
  await c.tick();
  const after = attempts;
  t += 100;
  await c.tick();
  assert.is(attempts, after, "published: no more attempts");
});

C.run();
