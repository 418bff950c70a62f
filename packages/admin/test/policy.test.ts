import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Harness, harness } from "./helpers.js";

async function acme(h: Harness): Promise<number> {
  const c = await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
  await h.call("POST", "/customers/acme.pbx.test/extensions", {
    body: { number: "201", password: "kq7-Blue-otter-pond" },
  });
  return c.json.id;
}

test("numbers: add routed to an extension as main, list; bad target named", async () => {
  const h = await harness();
  try {
    const id = await acme(h);
    const n = await h.call("POST", "/customers/acme.pbx.test/numbers", {
      body: { e164: "+33123456789", target: { kind: "extension", number: "201" }, main: true },
    });
    assert.is(n.status, 201);
    assert.is(n.json.isMain, true);
    assert.is(n.json.target.kind, "extension");
    assert.is(n.json.target.number, "201");
    assert.is((await h.store.numbers.findByE164("+33123456789"))?.customerId, id);
    const list = await h.call("GET", "/customers/acme.pbx.test/numbers");
    assert.is(list.json.length, 1);
    assert.is(list.json[0].target.number, "201");

    const noExt = await h.call("POST", "/customers/acme.pbx.test/numbers", {
      body: { e164: "+33123456780", target: { kind: "extension", number: "999" } },
    });
    assert.is(noExt.status, 404);
    assert.is(noExt.json.error.field, "target.number");
    const badKind = await h.call("POST", "/customers/acme.pbx.test/numbers", {
      body: { e164: "+33123456780", target: { kind: "fax", number: "201" } },
    });
    assert.is(badKind.status, 400);
    assert.is(badKind.json.error.field, "target.kind");
    const badE164 = await h.call("POST", "/customers/acme.pbx.test/numbers", {
      body: { e164: "0123456789" },
    });
    assert.is(badE164.status, 400);
    assert.is(badE164.json.error.field, "e164");
    const dup = await h.call("POST", "/customers/acme.pbx.test/numbers", { body: { e164: "+33123456789" } });
    assert.is(dup.status, 409);
    assert.is(dup.json.error.field, "e164");
  } finally {
    await h.done();
  }
});

test("fallback, emergency location, barring: applied to the policy and audited with who", async () => {
  const h = await harness();
  try {
    const id = await acme(h);
    const fb = await h.call("PUT", "/customers/acme.pbx.test/fallback", { body: { e164: "+33612345678" } });
    assert.is(fb.status, 200);
    assert.is(fb.json.fallbackNumber, "+33612345678");

    const em = await h.call("PUT", "/customers/acme.pbx.test/emergency", {
      body: { department: "75", commune: "75056" },
    });
    assert.is(em.status, 200);
    assert.is((await h.store.policies.get(id)).emergencyCommune, "75056");
    const wrongDep = await h.call("PUT", "/customers/acme.pbx.test/emergency", {
      body: { department: "75", commune: "69123" },
    });
    assert.is(wrongDep.status, 400);
    assert.is(wrongDep.json.error.field, "commune");
    const badDep = await h.call("PUT", "/customers/acme.pbx.test/emergency", {
      body: { department: "20", commune: "20004" },
    });
    assert.is(badDep.status, 400);
    assert.is(badDep.json.error.field, "department");

    // Rule 19: a class barred by default opens to "pin" only, and only once the customer has a PIN.
    const bypass = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-premium", {
      body: { access: "allow" },
    });
    assert.is(bypass.status, 422);
    assert.is(bypass.json.error.code, "refused");
    assert.is(bypass.json.error.field, "access");
    assert.match(bypass.json.error.message, /only be opened with PIN/);
    assert.is((await h.store.policies.get(id)).barringOverrides["fr-premium"], undefined);
    const noPin = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-premium", {
      body: { access: "pin" },
    });
    assert.is(noPin.status, 422);
    assert.match(noPin.json.error.message, /no PIN code/);
    await h.call("POST", "/customers/acme.pbx.test/pins", { body: { label: "boss", code: "4821" } });
    const bar = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-premium", {
      body: { access: "pin" },
    });
    assert.is(bar.status, 200);
    assert.is(bar.json.barringOverrides["fr-premium"], "pin");
    assert.is((await h.store.policies.get(id)).barringOverrides["fr-premium"], "pin");
    const thenAllow = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-premium", {
      body: { access: "allow" },
    });
    assert.is(thenAllow.status, 422, "pin is no step towards allow");
    assert.is((await h.store.policies.get(id)).barringOverrides["fr-premium"], "pin");
    const badClass = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-nowhere", {
      body: { access: "allow" },
    });
    assert.is(badClass.status, 400);
    assert.is(badClass.json.error.field, "class");
    const badAccess = await h.call("PUT", "/customers/acme.pbx.test/barring/fr-premium", {
      body: { access: "maybe" },
    });
    assert.is(badAccess.status, 400);
    assert.is(badAccess.json.error.field, "access");

    const audit = await h.call("GET", "/audit?customer=acme.pbx.test&limit=10");
    assert.is(audit.status, 200);
    const barring = audit.json.find((e: { action: string }) => e.action === "policy.barring");
    assert.is(barring.actor, "api:alice");
    assert.equal(barring.detail, {
      customer: "acme.pbx.test",
      class: "fr-premium",
      before: "barred",
      after: "pin",
    });
    assert.ok(Math.abs(barring.at - Date.now()) < 60_000);
    assert.ok(audit.json.some((e: { action: string }) => e.action === "policy.emergency"));
    assert.ok(audit.json.some((e: { action: string }) => e.action === "policy.fallback"));
    const badLimit = await h.call("GET", "/audit?limit=lots");
    assert.is(badLimit.status, 400);
    assert.is(badLimit.json.error.field, "limit");
  } finally {
    await h.done();
  }
});

test("PINs: add, list without the code, delete; suspension and resume", async () => {
  const h = await harness();
  try {
    const id = await acme(h);
    const p = await h.call("POST", "/customers/acme.pbx.test/pins", {
      body: { label: "boss", code: "4821" },
    });
    assert.is(p.status, 201);
    assert.not.ok(p.text.includes("4821"));
    assert.ok(await h.store.pins.verify(id, "4821"));
    const list = await h.call("GET", "/customers/acme.pbx.test/pins");
    assert.equal(
      list.json.map((x: { label: string }) => x.label),
      ["boss"],
    );
    assert.not.ok(list.text.includes("4821"));
    assert.equal(Object.keys(list.json[0]).sort(), ["createdAt", "id", "label", "updatedAt"]);
    const badPin = await h.call("POST", "/customers/acme.pbx.test/pins", {
      body: { label: "x", code: "12a4" },
    });
    assert.is(badPin.status, 400);
    assert.is(badPin.json.error.field, "code");
    assert.is((await h.call("DELETE", "/customers/acme.pbx.test/pins/boss")).status, 204);
    assert.equal(await h.store.pins.list(id), []);
    assert.is((await h.call("DELETE", "/customers/acme.pbx.test/pins/boss")).status, 404);

    const none = await h.call("POST", "/customers/acme.pbx.test/suspend", { body: {} });
    assert.is(none.status, 400);
    assert.is(none.json.error.field, "pstn");
    const s = await h.call("POST", "/customers/acme.pbx.test/suspend", {
      body: { pstn: "partial", reason: "fraud alert" },
    });
    assert.is(s.status, 200);
    assert.is(s.json.policy.pstnSuspension, "partial");
    // A PSTN-only suspension shows: the customer is not "active" while its PSTN access is cut.
    assert.is(s.json.customer.status, "suspended");
    assert.is(s.json.customer.suspensions.length, 1);
    assert.is(s.json.customer.suspensions[0].kind, "pstn-partial");
    assert.is(s.json.customer.suspensions[0].reason, "fraud alert");
    assert.ok(Math.abs(s.json.customer.suspensions[0].since - Date.now()) < 60_000);
    const listed = await h.call("GET", "/customers");
    assert.is(listed.json[0].status, "suspended");
    assert.is(listed.json[0].suspensions[0].kind, "pstn-partial");
    const np = await h.call("POST", "/customers/acme.pbx.test/suspend", { body: { nonPayment: true } });
    assert.is(np.json.customer.status, "suspended");
    assert.equal(
      np.json.customer.suspensions.map((x: { kind: string }) => x.kind),
      ["non-payment", "pstn-partial"],
    );
    assert.is((await h.store.customers.get(id)).status, "suspended");
    const r = await h.call("POST", "/customers/acme.pbx.test/resume");
    assert.is(r.status, 200);
    assert.is((await h.store.customers.get(id)).status, "active");
    assert.is((await h.store.policies.get(id)).pstnSuspension, "none");
    const actions = (await h.store.audit.list({ customerId: id })).map((e: { action: string }) => e.action);
    for (const a of ["pin.add", "pin.remove", "customer.suspend", "customer.resume"]) {
      assert.ok(actions.includes(a), a);
    }
  } finally {
    await h.done();
  }
});

test("carriers: add, list (no password), route, remove", async () => {
  const h = await harness();
  try {
    const c = await h.call("POST", "/carriers", {
      body: { name: "carrier-a", host: "127.0.0.1", port: 5080, password: "trunk-secret", priority: 5 },
    });
    assert.is(c.status, 201);
    assert.is(c.json.hasPassword, true);
    assert.not.ok(c.text.includes("trunk-secret"));
    const route = await h.call("POST", "/carriers/carrier-a/routes", { body: { prefix: "+33" } });
    assert.is(route.status, 201);
    assert.equal(
      route.json.routes.map((r: { prefix: string }) => r.prefix),
      ["33"],
    );
    const cands = await h.store.carriers.candidatesFor("+33123456789");
    assert.is(cands[0]?.carrier.name, "carrier-a");
    const list = await h.call("GET", "/carriers");
    assert.is(list.json.length, 1);
    assert.not.ok(list.text.includes("trunk-secret"));
    // The state the running switch recorded, per node, in the list and in GET /carriers/NAME.
    assert.equal(list.json[0].health, []);
    await h.store.carriers.setHealth({
      carrierId: c.json.id,
      node: "centrex-1",
      state: "demoted",
      reason: "503 Service Unavailable to a call",
      since: 1_700_000_000_000,
      registration: null,
    });
    const one = await h.call("GET", "/carriers/carrier-a");
    assert.is(one.status, 200);
    assert.equal(one.json.health, [
      {
        node: "centrex-1",
        state: "demoted",
        reason: "503 Service Unavailable to a call",
        since: 1_700_000_000_000,
        registration: null,
      },
    ]);
    assert.is(one.json.register, false);
    assert.is((await h.call("GET", "/carriers/nope")).status, 404);
    // register without credentials: a 400 naming the field, nothing stored.
    const noCreds = await h.call("POST", "/carriers", {
      body: { name: "r", host: "127.0.0.1", register: true, username: "u" },
    });
    assert.is(noCreds.status, 400);
    assert.is(noCreds.json.error.field, "register");
    assert.is(await h.store.carriers.findByName("r"), undefined);
    const badPort = await h.call("POST", "/carriers", {
      body: { name: "b", host: "127.0.0.1", port: "5060" },
    });
    assert.is(badPort.status, 400);
    assert.is(badPort.json.error.field, "port");
    const badPrefix = await h.call("POST", "/carriers/carrier-a/routes", { body: { prefix: "33x" } });
    assert.is(badPrefix.status, 400);
    assert.is(badPrefix.json.error.field, "prefix");
    assert.is((await h.call("DELETE", "/carriers/carrier-a")).status, 204);
    assert.is(await h.store.carriers.findByName("carrier-a"), undefined);
    assert.is((await h.call("DELETE", "/carriers/carrier-a")).status, 404);
    const actions = (await h.store.audit.list()).map((e: { action: string }) => e.action);
    assert.equal(actions, ["carrier.remove", "carrier.route.add", "carrier.add"]);
  } finally {
    await h.done();
  }
});

test.run();
