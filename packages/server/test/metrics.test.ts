import type { SourceGuard } from "@centrex/guard";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { FailoverService } from "../src/switch/failover/service.js";
import { createSwitchMetrics } from "../src/switch/metrics.js";

// The gauges read at scrape time from the failover service and the source guard: the role,
// the replication lag (changes and seconds behind) and the bans in force. The e2e tests scrape
// a single switch (no failover section: no role series); a pair's node is stood in for here by
// what its FailoverService reports.

function series(text: string, name: string): number | undefined {
  for (const line of text.split("\n"))
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  return undefined;
}

test("a standby's role and replication lag, and the bans in force, are in the scrape", async () => {
  const m = createSwitchMetrics();
  let lag = { seconds: 2.5, changes: 7 };
  let bans = ["203.0.113.7", "198.51.100.9"];
  m.attach({
    failover: { role: "standby", lag: () => lag } as unknown as FailoverService,
    guard: { list: () => bans.map((address) => ({ address })) } as unknown as SourceGuard,
  });
  let text = await m.text();
  assert.is(series(text, 'centrex_failover_role{role="standby"}'), 1, text);
  assert.is(series(text, "centrex_replication_lag_seconds"), 2.5);
  assert.is(series(text, "centrex_replication_lag_changes"), 7);
  assert.is(series(text, "centrex_bans"), 2);
  // Read again at the next scrape, not kept from the first.
  lag = { seconds: 0, changes: 0 };
  bans = [];
  text = await m.text();
  assert.is(series(text, "centrex_replication_lag_changes"), 0);
  assert.is(series(text, "centrex_bans"), 0);
});

test("a single node (no failover section) has no role series; its lag reads 0", async () => {
  const m = createSwitchMetrics();
  const text = await m.text();
  assert.not.match(text, /^centrex_failover_role\{/m);
  assert.is(series(text, "centrex_replication_lag_seconds"), 0);
});

test("request, response and REGISTER counts reach each scrape, counted since start", async () => {
  // Counted as plain numbers and handed to prom-client at collect time (counter-tallies.ts):
  // a second scrape must show the total, not the count since the first one, nor twice it.
  const m = createSwitchMetrics();
  for (let i = 0; i < 3; i++) m.sip.requestReceived("REGISTER");
  m.sip.responseSent("REGISTER", 401);
  m.sip.responseSent("REGISTER", 200);
  m.sip.responseSent("REGISTER", 200);
  m.registerOutcome("challenged");
  let text = await m.text();
  assert.is(series(text, 'centrex_sip_requests_received_total{method="REGISTER"}'), 3, text);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="REGISTER",status="401"}'), 1);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="REGISTER",status="200"}'), 2);
  assert.is(series(text, 'centrex_register_requests_total{outcome="challenged"}'), 1);
  m.sip.requestReceived("REGISTER");
  m.registerOutcome("registered");
  text = await m.text();
  assert.is(series(text, 'centrex_sip_requests_received_total{method="REGISTER"}'), 4, text);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="REGISTER",status="200"}'), 2);
  assert.is(series(text, 'centrex_register_requests_total{outcome="challenged"}'), 1);
  assert.is(series(text, 'centrex_register_requests_total{outcome="registered"}'), 1);
});

test("methods past the kept label sets are still counted", async () => {
  const m = createSwitchMetrics();
  for (let i = 0; i < 100; i++) {
    m.sip.requestReceived(`X${i}`);
    m.sip.responseSent(`X${i}`, 501);
  }
  m.sip.requestReceived("X99");
  const text = await m.text();
  assert.is(series(text, 'centrex_sip_requests_received_total{method="X0"}'), 1, text);
  assert.is(series(text, 'centrex_sip_requests_received_total{method="X99"}'), 2);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="X99",status="501"}'), 1);
});

test.run();
