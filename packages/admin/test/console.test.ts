import { test } from "uvu";
import * as assert from "uvu/assert";
import type { LiveCallSource, LiveSources } from "../src/index.js";
import { harness, TOKEN } from "./helpers.js";

// The console's API side: a customer administrator's token is held to its own customer and to
// what the service terms let it change; the live state is pushed as server-sent events when it
// changes, scoped the same way. (The page itself is driven in a real browser by
// test/console.e2e.test.ts.)
const ACME = "acme.example";
const OTHER = "other.example";
const ACME_TOKEN = "acme-admin-token-5b7e21c0";

const calls: LiveCallSource[] = [];
const live: LiveSources = {
  calls: () => calls,
  carriers: async () => [{ name: "carrier-a", enabled: true, up: false }],
  node: () => ({ role: "primary", serving: true, epoch: 3 }),
};

async function setup() {
  const h = await harness({
    tokens: [{ name: "acme-admin", token: ACME_TOKEN, customer: ACME }],
    live,
    liveIntervalMs: 50,
  });
  try {
    for (const [name, domain] of [
      ["Acme", ACME],
      ["Other", OTHER],
    ] as const) {
      assert.is((await h.call("POST", "/customers", { body: { name, domain } })).status, 201);
      const ext = await h.call("POST", `/customers/${domain}/extensions`, {
        body: { number: "201", password: "zz9-Red-heron-lake" },
      });
      assert.is(ext.status, 201, ext.text);
    }
  } catch (err) {
    await h.done();
    throw err;
  }
  return h;
}

async function bind(h: Awaited<ReturnType<typeof setup>>, domain: string, host: string): Promise<void> {
  const c = await h.store.customers.findByDomain(domain);
  const ext = await h.store.extensions.find(c!.id, "201");
  await h.store.locations.upsert({
    aor: ext!.id,
    contact: `sip:201@${host}:5062`,
    expiresAt: Date.now() + 60_000,
    callId: `reg-${host}`,
    cseq: 1,
    transport: "udp",
    sourceAddress: host,
    sourcePort: 5062,
    userAgent: "test-phone/1.0",
  });
}

test("a customer administrator sees and changes its own customer only", async () => {
  const h = await setup();
  try {
    const as = { token: ACME_TOKEN };
    const list = await h.call("GET", "/customers", as);
    assert.equal(
      list.json.map((c: { domain: string }) => c.domain),
      [ACME],
    );
    // Another customer's data: refused before anything is read, whatever the route.
    for (const path of [
      `/customers/${OTHER}/extensions`,
      `/customers/${OTHER}`,
      `/customers/${OTHER}/cdrs?from=2026-01-01&to=2026-01-02`,
    ]) {
      const r = await h.call("GET", path, as);
      assert.is(r.status, 403, path);
      assert.is(r.json.error.code, "forbidden");
      assert.match(r.json.error.message, /acme\.example only/);
    }
    const other = await h.call("POST", `/customers/${OTHER}/pins`, {
      ...as,
      body: { label: "x", code: "1234" },
    });
    assert.is(other.status, 403);
    // Rule 19: opening a barred class is the operator's, on written request; so are suspensions and carriers.
    for (const [method, path, body] of [
      ["PUT", `/customers/${ACME}/barring/international`, { access: "pin" }],
      ["POST", `/customers/${ACME}/suspend`, { pstn: "total" }],
      ["POST", `/customers/${ACME}/resume`, {}],
      ["GET", "/carriers", undefined],
      ["GET", "/audit", undefined],
      ["POST", "/customers", { name: "X", domain: "x.example" }],
    ] as const) {
      const r = await h.call(method, path, { ...as, ...(body !== undefined && { body }) });
      assert.is(r.status, 403, `${method} ${path}`);
    }
    // Rule 18: its PIN codes; its users; its fallback number — audited under the token's name.
    const pin = await h.call("POST", `/customers/${ACME}/pins`, {
      ...as,
      body: { label: "boss", code: "4821" },
    });
    assert.is(pin.status, 201);
    const ext = await h.call("POST", `/customers/${ACME}/extensions`, {
      ...as,
      body: { number: "202", password: "qq7-Blue-otter-hill" },
    });
    assert.is(ext.status, 201);
    const [last] = await h.store.audit.list({ limit: 1 });
    assert.is(last!.actor, "api:acme-admin");
    assert.is(last!.action, "extension.add");
    // The operator's token is not limited.
    assert.is((await h.call("GET", `/customers/${OTHER}/extensions`)).status, 200);
    const session = await h.call("GET", "/console/session", as);
    assert.equal(session.json, { actor: "api:acme-admin", customer: ACME });
  } finally {
    await h.done();
  }
});

test("/console/state: the operator sees everything, a customer administrator its own phones and calls", async () => {
  const h = await setup();
  try {
    await bind(h, ACME, "127.0.0.11");
    await bind(h, OTHER, "127.0.0.12");
    const acme = await h.store.customers.findByDomain(ACME);
    calls.push({
      callId: "call-1",
      customerId: acme!.id,
      caller: "201",
      dialled: "202",
      direction: "internal",
      destinationClass: "internal",
      startedAt: Date.now(),
    });
    const all = (await h.call("GET", "/console/state")).json;
    assert.is(all.registrations.length, 2);
    assert.equal(all.carriers, [{ name: "carrier-a", enabled: true, up: false }]);
    assert.equal(all.node, { role: "primary", serving: true, epoch: 3 });
    assert.is(all.calls[0].domain, ACME);
    const mine = (await h.call("GET", "/console/state", { token: ACME_TOKEN })).json;
    assert.equal(
      mine.registrations.map((r: { domain: string; source: string }) => [r.domain, r.source]),
      [[ACME, "udp:127.0.0.11:5062"]],
    );
    assert.is(mine.calls.length, 1);
    assert.is(mine.carriers, undefined);
    assert.is(mine.node, undefined);
  } finally {
    calls.length = 0;
    await h.done();
  }
});

/** Reads server-sent events from a fetch body until `until` says stop (or 5 s pass). */
async function readEvents(
  res: Response,
  until: (states: Array<Record<string, unknown>>) => boolean,
): Promise<Array<Record<string, unknown>>> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const states: Array<Record<string, unknown>> = [];
  let buf = "";
  const deadline = Date.now() + 5000;
  while (!until(states)) {
    if (Date.now() > deadline) throw new Error(`no matching event in 5 s: ${JSON.stringify(states)}`);
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i = buf.indexOf("\n\n");
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (/^event: state$/m.test(block) && data !== undefined) states.push(JSON.parse(data));
      i = buf.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return states;
}

test("/console/events pushes the state when it changes, and only then", async () => {
  const h = await setup();
  try {
    const none = await fetch(`${h.api.url}/console/events`);
    assert.is(none.status, 401);
    await none.body?.cancel();
    const res = await fetch(`${h.api.url}/console/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.is(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const t0 = Date.now();
    setTimeout(() => void bind(h, ACME, "127.0.0.13"), 300);
    const states = await readEvents(res, (s) => s.some((x) => (x.registrations as unknown[]).length === 1));
    // The first event is the state at once; the next is the registration (several ticks later,
    // with no event for the unchanged ticks between).
    assert.is(states.length, 2, JSON.stringify(states));
    assert.is((states[0]!.registrations as unknown[]).length, 0);
    assert.ok(Date.now() - t0 < 2000);
    const rev = states[1]!.revision as number;
    assert.is(rev, states[0]!.revision, "a registration is not an audited change");
  } finally {
    await h.done();
  }
});

test("the API closes with a console stream open", async () => {
  const h = await setup();
  const res = await fetch(`${h.api.url}/console/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(res.status, 200);
  const started = Date.now();
  await h.done();
  assert.ok(Date.now() - started < 2000, "close waited for the stream");
});

test.run();
