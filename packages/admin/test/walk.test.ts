import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Harness, harness } from "./helpers.js";

// Every route family of the operator API, with good input (the change made, one audit row
// under the token's name) and bad input (a 4xx JSON error naming the field, with the value in
// the message, and the store exactly as it was). Changes go through the same operations layer
// as the CLI, so the rules hold here too.
const D = "acme.pbx.test";
const PW = "kq7-Blue-otter-pond";

async function snapshot(h: Harness): Promise<string> {
  const s = h.store;
  const out: unknown[] = [];
  for (const c of await s.customers.list()) {
    out.push(c, await s.policies.get(c.id), await s.extensions.listByCustomer(c.id));
    out.push(await s.numbers.listByCustomer(c.id), await s.pins.list(c.id));
    out.push(await s.ringGroups.listByCustomer(c.id));
  }
  for (const c of await s.carriers.list()) out.push(c, await s.carriers.listRoutes(c.id));
  out.push(await s.audit.list({ limit: 10_000 }));
  return JSON.stringify(out);
}

test("good input on every route family: changed, audited under the token's name", async () => {
  const h = await harness();
  try {
    const steps: [string, string, unknown, number, string][] = [
      ["POST", "/customers", { name: "Acme", domain: D }, 201, "customer.add"],
      ["PATCH", `/customers/${D}`, { name: "Acme SA", deliveryDate: "2026-12-01" }, 200, "customer.update"],
      ["POST", `/customers/${D}/extensions`, { number: "201", password: PW }, 201, "extension.add"],
      ["PATCH", `/customers/${D}/extensions/201`, { enabled: false }, 200, "extension.disable"],
      [
        "PUT",
        `/customers/${D}/extensions/201/password`,
        { password: "zz9-Red-heron-lake" },
        204,
        "extension.passwd",
      ],
      [
        "POST",
        `/customers/${D}/numbers`,
        { e164: "+33123456789", target: { kind: "extension", number: "201" }, main: true },
        201,
        "did.add",
      ],
      ["PUT", `/customers/${D}/fallback`, { e164: "+33612345678" }, 200, "policy.fallback"],
      ["PUT", `/customers/${D}/emergency`, { department: "75", commune: "75056" }, 200, "policy.emergency"],
      ["POST", `/customers/${D}/pins`, { label: "boss", code: "4821" }, 201, "pin.add"],
      ["PUT", `/customers/${D}/pins/boss`, { code: "9090" }, 200, "pin.change"],
      ["PUT", `/customers/${D}/barring/fr-directory`, { access: "pin" }, 200, "policy.barring"],
      ["POST", `/customers/${D}/suspend`, { pstn: "total", reason: "abuse" }, 200, "customer.suspend"],
      ["POST", `/customers/${D}/resume`, {}, 200, "customer.resume"],
      [
        "POST",
        "/carriers",
        { name: "op1", host: "127.0.0.1", password: "trunk-secret-xyz" },
        201,
        "carrier.add",
      ],
      ["PATCH", "/carriers/op1", { priority: 5 }, 200, "carrier.update"],
      ["POST", "/carriers/op1/routes", { prefix: "33" }, 201, "carrier.route.add"],
      ["DELETE", "/carriers/op1/routes/33", undefined, 200, "carrier.route.remove"],
      ["DELETE", "/carriers/op1", undefined, 204, "carrier.remove"],
      ["DELETE", `/customers/${D}/numbers/+33123456789`, undefined, 204, "did.remove"],
      ["DELETE", `/customers/${D}/pins/boss`, undefined, 204, "pin.remove"],
      [
        "POST",
        `/customers/${D}/groups`,
        {
          number: "600",
          name: "Accueil",
          members: ["201"],
          strategy: "sequential",
          overflow: "voicemail:201",
        },
        201,
        "ring-group.add",
      ],
      [
        "PATCH",
        `/customers/${D}/groups/600`,
        { timeoutSeconds: 30, overflow: null },
        200,
        "ring-group.update",
      ],
      ["DELETE", `/customers/${D}/groups/600/members/201`, undefined, 200, "ring-group.member-remove"],
      ["POST", `/customers/${D}/groups/600/members`, { extension: "201" }, 200, "ring-group.member-add"],
      ["DELETE", `/customers/${D}/groups/600`, undefined, 204, "ring-group.remove"],
      ["DELETE", `/customers/${D}/extensions/201`, undefined, 204, "extension.remove"],
      ["PATCH", `/customers/${D}`, { status: "terminated" }, 200, "customer.terminate"],
      ["DELETE", `/customers/${D}`, undefined, 204, "customer.remove"],
    ];
    for (const [method, path, body, status, action] of steps) {
      const r = await h.call(method, path, body === undefined ? {} : { body });
      assert.is(r.status, status, `${method} ${path}: ${r.text}`);
      const [last] = await h.store.audit.list({ limit: 1 });
      assert.is(last?.action, action, `${method} ${path}`);
      assert.is(last?.actor, "api:alice");
    }
    const trail = JSON.stringify(await h.store.audit.list({ limit: 1000 }));
    for (const secret of [PW, "zz9-Red-heron-lake", "4821", "9090", "trunk-secret-xyz"])
      assert.not.ok(trail.includes(secret), `${secret} in the audit log`);
  } finally {
    await h.done();
  }
});

test("bad input on every route family: 4xx naming the field and value, the store untouched", async () => {
  const h = await harness();
  try {
    await h.call("POST", "/customers", { body: { name: "Acme", domain: D } });
    await h.call("POST", `/customers/${D}/extensions`, { body: { number: "201", password: PW } });
    await h.call("POST", "/carriers", { body: { name: "op1", host: "127.0.0.1" } });
    const before = await snapshot(h);
    const cases: [string, string, unknown, number, string, RegExp][] = [
      // Rule 19 through the API: the bypass of issue 11 is gone.
      [
        "PUT",
        `/customers/${D}/barring/fr-directory`,
        { access: "allow" },
        422,
        "access",
        /fr-directory .*only be opened with PIN/,
      ],
      ["PUT", `/customers/${D}/barring/intl-world`, { access: "pin" }, 422, "access", /no PIN code/],
      ["PUT", `/customers/${D}/barring/fr-nowhere`, { access: "pin" }, 400, "class", /class/],
      ["POST", "/customers", { name: "X", domain: "not a domain" }, 400, "domain", /"not a domain"/],
      ["POST", "/customers", { name: "Dup", domain: D }, 409, "domain", /domain/],
      ["PATCH", `/customers/${D}`, { deliveryDate: "2026-02-30" }, 400, "deliveryDate", /2026-02-30/],
      ["PATCH", `/customers/${D}`, { status: "suspended", name: "x" }, 400, "status", /on its own/],
      ["DELETE", "/customers/nobody.test", undefined, 404, "domain", /nobody\.test/],
      ["POST", `/customers/${D}/extensions`, { number: "2x1", password: PW }, 400, "number", /"2x1"/],
      [
        "POST",
        `/customers/${D}/extensions`,
        { number: "202", password: "password1" },
        400,
        "password",
        /weak/,
      ],
      ["POST", `/customers/${D}/extensions`, { number: "201", password: PW }, 409, "number", /201/],
      ["PATCH", `/customers/${D}/extensions/999`, { enabled: false }, 404, "number", /"999"/],
      ["PUT", `/customers/${D}/extensions/999/password`, { password: PW }, 404, "number", /"999"/],
      [
        "POST",
        `/customers/${D}/numbers`,
        { e164: "+33612345678" },
        422,
        "e164",
        /\+33612345678 is not a French geographic/,
      ],
      [
        "POST",
        `/customers/${D}/numbers`,
        { e164: "+33123456789", target: { kind: "extension", number: "999" } },
        404,
        "target.number",
        /"999"/,
      ],
      ["DELETE", `/customers/${D}/numbers/+33111111111`, undefined, 404, "e164", /\+33111111111/],
      ["PUT", `/customers/${D}/fallback`, { e164: "+33899123456" }, 422, "e164", /\+33899123456/],
      ["PUT", `/customers/${D}/emergency`, { department: "75", commune: "69123" }, 400, "commune", /69123/],
      ["POST", `/customers/${D}/pins`, { label: "x", code: "12a4" }, 400, "code", /code/],
      ["PUT", `/customers/${D}/pins/nobody`, { code: "1234" }, 404, "label", /"nobody"/],
      ["POST", `/customers/${D}/suspend`, {}, 400, "pstn", /nonPayment|pstn/],
      ["POST", `/customers/${D}/suspend`, { pstn: "some" }, 400, "pstn", /pstn/],
      ["POST", `/customers/${D}/resume`, {}, 409, "domain", /not suspended/],
      ["POST", "/carriers", { name: "op1", host: "127.0.0.1" }, 409, "name", /op1/],
      ["PATCH", "/carriers/op9", { priority: 1 }, 404, "name", /"op9"/],
      ["PATCH", "/carriers/op1", { port: 70000 }, 400, "port", /port/],
      ["POST", "/carriers/op1/routes", { prefix: "33x" }, 400, "prefix", /prefix/],
      ["DELETE", "/carriers/op1/routes/44", undefined, 404, "prefix", /"44"/],
      [
        "POST",
        `/customers/${D}/groups`,
        { number: "600", name: "X", members: ["999"] },
        404,
        "members",
        /"999"/,
      ],
      ["POST", `/customers/${D}/groups`, { number: "201", name: "X" }, 409, "number", /201/],
      [
        "POST",
        `/customers/${D}/groups`,
        { number: "600", name: "X", timeoutSeconds: 2 },
        400,
        "timeoutSeconds",
        /600/,
      ],
      [
        "POST",
        `/customers/${D}/groups`,
        { number: "600", name: "X", overflow: "voicemail:999" },
        404,
        "overflow",
        /"999"/,
      ],
      [
        "POST",
        `/customers/${D}/groups`,
        { number: "600", name: "X", strategy: "round" },
        400,
        "strategy",
        /strategy/,
      ],
      ["PATCH", `/customers/${D}/groups/699`, { name: "X" }, 404, "number", /"699"/],
      ["DELETE", `/customers/${D}/groups/699/members/201`, undefined, 404, "number", /"699"/],
      ["GET", "/audit?customer=nobody.test", undefined, 404, "domain", /nobody\.test/],
      ["GET", `/audit?customer=${D}&customerId=1`, undefined, 400, "customerId", /not both/],
      ["GET", "/audit?includeDeleted=true", undefined, 400, "includeDeleted", /domain/],
    ];
    for (const [method, path, body, status, field, re] of cases) {
      const r = await h.call(method, path, body === undefined ? {} : { body });
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      assert.is(r.status, status, `${what}: ${r.text}`);
      assert.is(r.json.error.field, field, `${what}: ${r.text}`);
      assert.match(r.json.error.message, re, what);
    }
    assert.is(await snapshot(h), before, "a refused request changed the store");
  } finally {
    await h.done();
  }
});

test("the call routes: a hang-up audited under the token's name; an unknown call a 404 naming callId", async () => {
  const calls = [
    {
      callId: "walk-call-1",
      customerId: 0,
      caller: "201",
      dialled: "202",
      direction: "internal" as const,
      destinationClass: "internal",
      startedAt: Date.now(),
      answeredAt: Date.now(),
    },
  ];
  const h = await harness({
    live: {
      calls: () => calls,
      carriers: async () => [],
      node: () => ({ role: "single", serving: true }),
      hangUp: async (id) =>
        calls.splice(0, calls.length).some((c) => c.callId === id) ? "ended" : "not-found",
    },
  });
  try {
    const c = await h.call("POST", "/customers", { body: { name: "Acme", domain: D } });
    calls[0]!.customerId = c.json.id;
    const bad = await h.call("POST", "/calls/walk-call-9/hangup");
    assert.is(bad.status, 404, bad.text);
    assert.is(bad.json.error.field, "callId");
    assert.match(bad.json.error.message, /walk-call-9/);
    const good = await h.call("POST", "/calls/walk-call-1/hangup");
    assert.is(good.status, 200, good.text);
    const [last] = await h.store.audit.list({ limit: 1 });
    assert.is(last?.action, "call.hangup");
    assert.is(last?.actor, "api:alice");
  } finally {
    await h.done();
  }
});

test("the console shows every suspension, as the API gives it", async () => {
  const h = await harness();
  try {
    await h.call("POST", "/customers", { body: { name: "Acme", domain: D } });
    await h.call("POST", `/customers/${D}/suspend`, { body: { pstn: "partial", reason: "burst" } });
    const [c] = (await h.call("GET", "/customers")).json;
    // The page's own function, run on the API's answer (the page renders it with textContent).
    const page = (await h.call("GET", "/console/console.js", { token: null })).text;
    const src = /function statusText\(c\) \{[\s\S]*?\n\}/.exec(page)?.[0];
    assert.ok(src, "statusText in the console page");
    const statusText = new Function(`${src}; return statusText;`)() as (c: unknown) => string;
    assert.match(statusText(c), /^suspended: pstn-partial since \d{4}-\d\d-\d\d \d\d:\d\dZ \(burst\)$/);
  } finally {
    await h.done();
  }
});

test.run();
