import { test } from "uvu";
import * as assert from "uvu/assert";
import { harness, OTHER_TOKEN } from "./helpers.js";

test("health is public; every other route wants a valid bearer token", async () => {
  // Many wrong tokens in a row on purpose: lift the per-address limit (tested in security.test.ts).
  const h = await harness({ tokenMaxFailures: 100 });
  try {
    const health = await h.call("GET", "/health", { token: null });
    assert.is(health.status, 200);
    // The API alone (no running node behind it) checks only that it answers.
    assert.equal(health.json, { ok: true, checks: { api: { ok: true, detail: "answering" } } });

    for (const token of [null, "wrong-token-0123456789abcdef", ""]) {
      const r = await h.call("GET", "/customers", { token });
      assert.is(r.status, 401, String(token));
      assert.is(r.json.error.code, "unauthorized");
    }
    // Garbage Authorization headers.
    for (const header of ["Basic Zm9vOmJhcg==", "Bearer", "Bearer a b", "test-token-0123456789abcdef"]) {
      const res = await fetch(`${h.api.url}/customers`, { headers: { authorization: header } });
      assert.is(res.status, 401, header);
      assert.is(((await res.json()) as { error: { code: string } }).error.code, "unauthorized");
    }
    // Unknown routes do not reveal themselves without a token.
    assert.is((await h.call("GET", "/nope", { token: null })).status, 401);
    const ok = await h.call("GET", "/customers");
    assert.is(ok.status, 200);
    assert.equal(ok.json, []);
    const unknown = await h.call("GET", "/nope");
    assert.is(unknown.status, 404);
    assert.is(unknown.json.error.code, "not_found");
  } finally {
    await h.done();
  }
});

test("changes are audited under the token's name", async () => {
  const h = await harness();
  try {
    await h.call("POST", "/customers", {
      body: { name: "Acme", domain: "acme.pbx.test" },
      token: OTHER_TOKEN,
    });
    const entries = await h.store.audit.list();
    assert.is(entries[0]!.actor, "api:bob");
    assert.is(entries[0]!.action, "customer.add");
  } finally {
    await h.done();
  }
});

test("the console page is served without a token and has no external assets", async () => {
  const h = await harness();
  try {
    const r = await h.call("GET", "/", { token: null });
    assert.is(r.status, 200);
    assert.ok(r.type.startsWith("text/html"));
    assert.not.match(r.text, /(src|href)="https?:/);
    const js = await h.call("GET", "/console/console.js", { token: null });
    assert.is(js.status, 200);
    assert.ok(js.type.startsWith("text/javascript"));
    assert.ok(js.text.includes('"/customers"'));
    assert.not.match(js.text, /fetch\(\s*["'`]https?:/);
  } finally {
    await h.done();
  }
});

test.run();
