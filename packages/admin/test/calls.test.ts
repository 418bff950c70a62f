import { test } from "uvu";
import * as assert from "uvu/assert";
import type { LiveCallSource, LiveSources } from "../src/index.js";
import { harness } from "./helpers.js";

// POST /calls/:callId/hangup: the operator ends any call in progress, a customer's
// administrator its own customer's only (another's is a 404, as an unknown call); each request
// that reaches a call is audited "call.hangup" under the token's name before the switch acts.
// The switch side (BYE both ways through the proxy, the record's end cause) is driven with
// real phones in test/console.test.ts.
const ACME = "acme.example";
const OTHER = "other.example";
const ACME_TOKEN = "acme-admin-token-91c3e7a2";

function liveWith(calls: LiveCallSource[], ended: string[], outcome?: "not-found"): LiveSources {
  return {
    calls: () => calls,
    carriers: async () => [],
    node: () => ({ role: "single", serving: true }),
    hangUp: async (callId) => {
      ended.push(callId);
      const i = calls.findIndex((c) => c.callId === callId);
      if (i < 0 || outcome !== undefined) return "not-found";
      const [c] = calls.splice(i, 1);
      return c!.answeredAt === undefined ? "cancelled" : "ended";
    },
  };
}

async function setup(outcome?: "not-found") {
  const calls: LiveCallSource[] = [];
  const ended: string[] = [];
  const h = await harness({
    tokens: [{ name: "acme-admin", token: ACME_TOKEN, customer: ACME }],
    live: liveWith(calls, ended, outcome),
  });
  for (const [name, domain] of [
    ["Acme", ACME],
    ["Other", OTHER],
  ] as const) {
    assert.is((await h.call("POST", "/customers", { body: { name, domain } })).status, 201);
  }
  const idOf = async (d: string) => (await h.store.customers.findByDomain(d))!.id;
  const call = (callId: string, customerId: number, answered: boolean): LiveCallSource => ({
    callId,
    customerId,
    caller: "201",
    dialled: "202",
    direction: "internal",
    destinationClass: "internal",
    startedAt: Date.now() - 5000,
    ...(answered && { answeredAt: Date.now() - 4000 }),
  });
  calls.push(
    call("a1b2@127.0.0.1", await idOf(ACME), true),
    call("ringing-acme", await idOf(ACME), false),
    call("other-call", await idOf(OTHER), true),
  );
  return { h, calls, ended };
}

test("the operator hangs up an answered and a ringing call: ended, audited with the customer", async () => {
  const { h, ended } = await setup();
  try {
    const r = await h.call("POST", `/calls/${encodeURIComponent("a1b2@127.0.0.1")}/hangup`);
    assert.is(r.status, 200, r.text);
    assert.equal(r.json, { callId: "a1b2@127.0.0.1", outcome: "ended" });
    const ringing = await h.call("POST", "/calls/ringing-acme/hangup");
    assert.equal(ringing.json, { callId: "ringing-acme", outcome: "cancelled" });
    assert.equal(ended, ["a1b2@127.0.0.1", "ringing-acme"]);
    const [last, first] = await h.store.audit.list({ limit: 2 });
    for (const [e, id] of [
      [first, "a1b2@127.0.0.1"],
      [last, "ringing-acme"],
    ] as const) {
      assert.is(e!.actor, "api:alice");
      assert.is(e!.action, "call.hangup");
      assert.equal(e!.detail, { customer: ACME, callId: id });
    }
    // The customer's own audit trail has it too.
    const acme = await h.call("GET", `/audit?customer=${ACME}`);
    assert.ok(acme.json.some((e: { action: string }) => e.action === "call.hangup"));
  } finally {
    await h.done();
  }
});

test("an unknown call is a 404 JSON error naming callId; nothing is audited or ended", async () => {
  const { h, ended } = await setup();
  try {
    const before = await h.store.audit.list({ limit: 1000 });
    const r = await h.call("POST", "/calls/no-such-call/hangup");
    assert.is(r.status, 404);
    assert.is(r.json.error.code, "not_found");
    assert.is(r.json.error.field, "callId");
    assert.match(r.json.error.message, /no-such-call/);
    const blank = await h.call("POST", `/calls/${encodeURIComponent("has space")}/hangup`);
    assert.is(blank.status, 400, blank.text);
    assert.is(blank.json.error.field, "callId");
    assert.equal(ended, []);
    assert.equal(await h.store.audit.list({ limit: 1000 }), before);
  } finally {
    await h.done();
  }
});

test("a customer's administrator hangs up its own calls only", async () => {
  const { h, ended } = await setup();
  try {
    const as = { token: ACME_TOKEN };
    const other = await h.call("POST", "/calls/other-call/hangup", as);
    assert.is(other.status, 404, other.text);
    assert.is(other.json.error.field, "callId");
    assert.equal(ended, [], "another customer's call was not touched");
    const own = await h.call("POST", `/calls/${encodeURIComponent("a1b2@127.0.0.1")}/hangup`, as);
    assert.is(own.status, 200, own.text);
    const [last] = await h.store.audit.list({ limit: 1 });
    assert.is(last!.actor, "api:acme-admin");
    assert.is(last!.customerId, (await h.store.customers.findByDomain(ACME))!.id);
    // The operator still reaches the other customer's call.
    assert.is((await h.call("POST", "/calls/other-call/hangup")).status, 200);
  } finally {
    await h.done();
  }
});

test("a call that ends by itself before the switch acts is a 404; an API without a switch says 501", async () => {
  const { h } = await setup("not-found");
  try {
    const r = await h.call("POST", "/calls/other-call/hangup");
    assert.is(r.status, 404);
    assert.match(r.json.error.message, /ended before/);
  } finally {
    await h.done();
  }
  const bare = await harness();
  try {
    const r = await bare.call("POST", "/calls/x/hangup");
    assert.is(r.status, 501);
    assert.is(r.json.error.code, "not_configured");
  } finally {
    await bare.done();
  }
});

test("the hang-up route is in /openapi.json", async () => {
  const { h } = await setup();
  try {
    const doc = (await h.call("GET", "/openapi.json", { token: null })).json;
    assert.ok(doc.paths["/calls/{callId}/hangup"]?.post, Object.keys(doc.paths).join(" "));
  } finally {
    await h.done();
  }
});

test.run();
