import { test } from "uvu";
import * as assert from "uvu/assert";
import { EarlyTraffic } from "../src/switch/early-traffic.js";
import { createSwitchMetrics } from "../src/switch/metrics.js";

// `start` binds its SIP sockets before prom-client is loaded: what the stack and the registrar
// count in between must still reach /metrics once the metrics exist.

function series(text: string, name: string): number | undefined {
  for (const line of text.split("\n"))
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  return undefined;
}

test("traffic counted before the metrics exist is in the first scrape, and later traffic too", async () => {
  const early = new EarlyTraffic();
  early.sip.requestReceived("OPTIONS");
  early.sip.requestReceived("OPTIONS");
  early.sip.requestReceived("REGISTER");
  early.sip.responseSent("OPTIONS", 200);
  early.sip.responseSent("OPTIONS", 200);
  early.sip.responseSent("REGISTER", 401);
  early.registerOutcome("challenged");
  const metrics = createSwitchMetrics();
  early.handOver(metrics);
  early.sip.requestReceived("OPTIONS");
  early.sip.responseSent("INVITE", 503);
  early.registerOutcome("registered");
  const text = await metrics.text();
  assert.is(series(text, 'centrex_sip_requests_received_total{method="OPTIONS"}'), 3, text);
  assert.is(series(text, 'centrex_sip_requests_received_total{method="REGISTER"}'), 1);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="OPTIONS",status="200"}'), 2);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="REGISTER",status="401"}'), 1);
  assert.is(series(text, 'centrex_sip_responses_sent_total{method="INVITE",status="503"}'), 1);
  assert.is(series(text, 'centrex_register_requests_total{outcome="challenged"}'), 1);
  assert.is(series(text, 'centrex_register_requests_total{outcome="registered"}'), 1);
});

test.run();
