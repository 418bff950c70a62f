import { test } from "uvu";
import * as assert from "uvu/assert";
import { harness } from "./helpers.js";

test("customers: create, list, get, patch status, delete", async () => {
  const h = await harness();
  try {
    const created = await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
    assert.is(created.status, 201);
    assert.is(created.json.domain, "acme.pbx.test");
    assert.is(created.json.status, "active");
    assert.is((await h.store.customers.findByDomain("acme.pbx.test"))?.name, "Acme");

    const list = await h.call("GET", "/customers");
    assert.equal(
      list.json.map((c: { domain: string }) => c.domain),
      ["acme.pbx.test"],
    );
    const got = await h.call("GET", "/customers/ACME.pbx.test");
    assert.is(got.status, 200);
    assert.is(got.json.id, created.json.id);

    const patched = await h.call("PATCH", "/customers/acme.pbx.test", { body: { status: "suspended" } });
    assert.is(patched.status, 200);
    assert.is(patched.json.status, "suspended");
    assert.is((await h.store.customers.get(created.json.id)).status, "suspended");

    const dup = await h.call("POST", "/customers", { body: { name: "Other", domain: "acme.pbx.test" } });
    assert.is(dup.status, 409);
    assert.is(dup.json.error.code, "conflict");
    assert.is(dup.json.error.field, "domain");

    const del = await h.call("DELETE", "/customers/acme.pbx.test");
    assert.is(del.status, 204);
    assert.is(await h.store.customers.findByDomain("acme.pbx.test"), undefined);
    const gone = await h.call("GET", "/customers/acme.pbx.test");
    assert.is(gone.status, 404);
    assert.is(gone.json.error.code, "not_found");

    const actions = (await h.store.audit.list()).map((e) => e.action);
    assert.equal(actions, ["customer.remove", "customer.suspend", "customer.add"]);
  } finally {
    await h.done();
  }
});

test("extensions: create, list with registered count, set password, delete; no secret in answers", async () => {
  const h = await harness();
  try {
    await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
    const e = await h.call("POST", "/customers/acme.pbx.test/extensions", {
      body: { number: "201", password: "kq7-Blue-otter-pond", displayName: "Reception" },
    });
    assert.is(e.status, 201);
    assert.is(e.json.number, "201");
    assert.is(e.json.hasPassword, true);
    assert.not.ok(e.text.includes("s3cret"));
    const before = await h.store.extensions.findCredentials("acme.pbx.test", "201");

    await h.store.locations.upsert({
      aor: e.json.id,
      contact: "sip:201@127.0.0.1:5070",
      expiresAt: Date.now() + 60_000,
      callId: "reg-1",
      cseq: 1,
      transport: "udp",
      sourceAddress: "127.0.0.1",
      sourcePort: 5070,
    });
    const list = await h.call("GET", "/customers/acme.pbx.test/extensions");
    assert.is(list.status, 200);
    assert.is(list.json.length, 1);
    assert.is(list.json[0].registered, 1);
    assert.is(list.json[0].displayName, "Reception");
    assert.not.ok("ha1Md5" in list.json[0]);

    const pw = await h.call("PUT", "/customers/acme.pbx.test/extensions/201/password", {
      body: { password: "zz9-Red-heron-lake" },
    });
    assert.is(pw.status, 204);
    const after = await h.store.extensions.findCredentials("acme.pbx.test", "201");
    assert.ok(after?.ha1Md5 && after.ha1Md5 !== before?.ha1Md5);

    const short = await h.call("PUT", "/customers/acme.pbx.test/extensions/201/password", {
      body: { password: "x" },
    });
    assert.is(short.status, 400);
    assert.is(short.json.error.field, "password");

    const dup = await h.call("POST", "/customers/acme.pbx.test/extensions", {
      body: { number: "201", password: "kq7-Blue-otter-pond" },
    });
    assert.is(dup.status, 409);
    assert.is(dup.json.error.field, "number");

    assert.is((await h.call("DELETE", "/customers/acme.pbx.test/extensions/201")).status, 204);
    assert.is(await h.store.extensions.find(e.json.customerId, "201"), undefined);
    const missing = await h.call("DELETE", "/customers/acme.pbx.test/extensions/201");
    assert.is(missing.status, 404);
    const noCustomer = await h.call("GET", "/customers/nobody.test/extensions");
    assert.is(noCustomer.status, 404);
  } finally {
    await h.done();
  }
});

test("bad requests: 400 naming the field, 415, 413, garbage JSON; the server keeps serving", async () => {
  const h = await harness();
  try {
    const cases: [unknown, string][] = [
      [{ domain: "a.test" }, "name"],
      [{ name: "A" }, "domain"],
      [{ name: 123, domain: "a.test" }, "name"],
      [{ name: "A", domain: "a.test", extra: 1 }, "extra"],
      [{ name: "A", domain: "not a domain!" }, "domain"],
      [[1, 2], ""],
      ["string", ""],
    ];
    for (const [body, field] of cases) {
      const r = await h.call("POST", "/customers", { body });
      assert.is(r.status, 400, JSON.stringify(body));
      assert.is(r.json.error.code, "invalid", JSON.stringify(body));
      assert.is(r.json.error.field ?? "", field, JSON.stringify(body));
    }
    const garbage = await h.call("POST", "/customers", { raw: '{"name": "A", domain' });
    assert.is(garbage.status, 400);
    assert.is(garbage.json.error.code, "bad_request");
    const empty = await h.call("POST", "/customers", { raw: "" });
    assert.is(empty.status, 400);
    const proto = await h.call("POST", "/customers", { raw: '{"__proto__": {"x": 1}, "name": "A"}' });
    assert.is(proto.status, 400);
    const text = await h.call("POST", "/customers", { raw: "name=A", type: "text/plain" });
    assert.is(text.status, 415);
    assert.is(text.json.error.code, "unsupported_media_type");
    const form = await h.call("POST", "/customers", {
      raw: "name=A",
      type: "application/x-www-form-urlencoded",
    });
    assert.is(form.status, 415);
    const huge = await h.call("POST", "/customers", {
      body: { name: "x".repeat(200_000), domain: "a.test" },
    });
    assert.is(huge.status, 413);
    assert.is(huge.json.error.code, "payload_too_large");
    const status = await h.call("PATCH", "/customers/a.test", { body: { status: "gone" } });
    assert.is(status.status, 400);
    assert.is(status.json.error.field, "status");
    // No stack anywhere, and still alive.
    for (const r of [garbage, empty, proto, text, huge]) assert.not.ok(r.text.includes("    at "));
    assert.is((await h.call("GET", "/health")).status, 200);
    assert.equal((await h.call("GET", "/customers")).json, []);
  } finally {
    await h.done();
  }
});

test("an unexpected failure is a 500 JSON error without a stack, and the server survives it", async () => {
  const h = await harness();
  try {
    await h.store.close(); // every store call now throws a plain (non-store) error
    const r = await h.call("GET", "/customers");
    assert.is(r.status, 500);
    assert.equal(r.json, { error: { code: "internal", message: "internal error" } });
    assert.is((await h.call("GET", "/health")).status, 200);
  } finally {
    await h.done();
  }
});

test("GET /audit?customer=D never shows a deleted customer of the same domain; includeDeleted and customerId do", async () => {
  const h = await harness();
  try {
    const D = "new.example";
    const old = (await h.call("POST", "/customers", { body: { name: "Old", domain: D } })).json;
    await h.call("POST", `/customers/${D}/suspend`, { body: { nonPayment: true, reason: "unpaid" } });
    assert.is((await h.call("DELETE", `/customers/${D}`)).status, 204);
    const fresh = (await h.call("POST", "/customers", { body: { name: "New", domain: D } })).json;
    assert.ok(fresh.id > old.id, "ids are not reused");

    const mine = await h.call("GET", `/audit?customer=${D}`);
    assert.is(mine.status, 200);
    assert.equal(
      mine.json.map((e: { customerId: number; action: string }) => [e.customerId, e.action]),
      [[fresh.id, "customer.add"]],
    );
    const all = await h.call("GET", `/audit?customer=${D}&includeDeleted=true`);
    assert.equal(
      all.json.map((e: { customerId: number; action: string }) => [e.customerId, e.action]),
      [
        [fresh.id, "customer.add"],
        [old.id, "customer.remove"],
        [old.id, "customer.suspend"],
        [old.id, "customer.add"],
      ],
    );
    const byId = await h.call("GET", `/audit?customerId=${old.id}`);
    assert.equal(
      byId.json.map((e: { action: string }) => e.action),
      ["customer.remove", "customer.suspend", "customer.add"],
    );
    assert.is((await h.call("GET", "/audit?customerId=0")).status, 400);
  } finally {
    await h.done();
  }
});

test.run();
