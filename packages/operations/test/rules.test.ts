import { test } from "uvu";
import * as assert from "uvu/assert";
import { acme, fixture, rejects } from "./helpers.js";

// Each service-terms rule the operations layer carries, refused before anything is written.
const D = "acme.pbx.test";

test("rule 19: a barred class opens to pin only, with a PIN, and never on to allow", async () => {
  const f = await fixture();
  try {
    await acme(f);
    const before = await f.snapshot();
    await rejects(
      () => f.ops.setBarring("cli:op", D, "intl-world", "allow"),
      "refused",
      "access",
      /only be opened with PIN/,
    );
    await rejects(() => f.ops.setBarring("cli:op", D, "fr-directory", "allow"), "refused", "access");
    await rejects(
      () => f.ops.setBarring("cli:op", D, "intl-world", "pin"),
      "refused",
      "access",
      /no PIN code/,
    );
    assert.is(await f.snapshot(), before, "nothing written by refused changes");

    await f.ops.addPin("cli:op", D, "boss", "4821");
    const p = await f.ops.setBarring("cli:op", D, "intl-world", "pin");
    assert.is(p.barringOverrides["intl-world"], "pin");
    await rejects(() => f.ops.setBarring("cli:op", D, "intl-world", "allow"), "refused", "access");
    assert.is((await f.ops.policy(D)).barringOverrides["intl-world"], "pin");

    // Closing an allowed class is fine; reopening it goes through pin; "default" drops the override.
    assert.is(
      (await f.ops.setBarring("cli:op", D, "fr-mobile", "deny")).barringOverrides["fr-mobile"],
      "deny",
    );
    await rejects(() => f.ops.setBarring("cli:op", D, "fr-mobile", "allow"), "refused", "access");
    assert.is((await f.ops.setBarring("cli:op", D, "fr-mobile", "pin")).barringOverrides["fr-mobile"], "pin");
    assert.is(
      (await f.ops.setBarring("cli:op", D, "fr-mobile", "default")).barringOverrides["fr-mobile"],
      undefined,
    );
    assert.is(
      (await f.ops.setBarring("cli:op", D, "intl-world", "default")).barringOverrides["intl-world"],
      undefined,
    );
    await rejects(() => f.ops.setBarring("cli:op", D, "fr-nowhere", "pin"), "invalid", "class", /fr-nowhere/);
    await rejects(
      () => f.ops.setBarring("cli:op", D, "fr-mobile", "maybe" as "pin"),
      "invalid",
      "access",
      /maybe/,
    );
  } finally {
    await f.done();
  }
});

test("rule 18: PINs are 4 digits, per customer, codes distinct; the code is never in an answer or the audit", async () => {
  const f = await fixture();
  try {
    await acme(f);
    const before = await f.snapshot();
    await rejects(() => f.ops.addPin("cli:op", D, "boss", "12a4"), "invalid", "code");
    await rejects(() => f.ops.addPin("cli:op", D, "boss", "12345"), "invalid", "code");
    await rejects(() => f.ops.addPin("cli:op", D, "", "1234"), "invalid", "label");
    assert.is(await f.snapshot(), before);
    await f.ops.addPin("cli:op", D, "boss", "4821");
    await rejects(() => f.ops.addPin("cli:op", D, "boss", "1111"), "conflict", "label");
    await rejects(
      () => f.ops.addPin("cli:op", D, "other", "4821"),
      "conflict",
      "code",
      /already the PIN "boss"/,
    );
    await f.ops.changePin("cli:op", D, "boss", "9090");
    assert.ok(await f.store.pins.verify((await f.ops.customer(D)).id, "9090"));
    await rejects(() => f.ops.changePin("cli:op", D, "nobody", "1234"), "not_found", "label");
    await f.ops.removePin("cli:op", D, "boss");
    assert.equal(await f.ops.listPins(D), []);
    const trail = JSON.stringify(await f.store.audit.list());
    for (const code of ["4821", "9090"]) assert.not.ok(trail.includes(code), `code ${code} in the audit log`);
  } finally {
    await f.done();
  }
});

test("rule 15: an emergency location is a real department and a commune inside it", async () => {
  const f = await fixture();
  try {
    await acme(f);
    const before = await f.snapshot();
    await rejects(() => f.ops.declareEmergency("cli:op", D, "20", "20004"), "invalid", "department", /"20"/);
    await rejects(() => f.ops.declareEmergency("cli:op", D, "75", "7505"), "invalid", "commune", /7505/);
    await rejects(
      () => f.ops.declareEmergency("cli:op", D, "75", "69123"),
      "invalid",
      "commune",
      /not in department 75/,
    );
    assert.is(await f.snapshot(), before);
    const p = await f.ops.declareEmergency("cli:op", D, "2a", "2a004");
    assert.is(p.emergencyDepartment, "2A");
    assert.is(p.emergencyCommune, "2A004");
  } finally {
    await f.done();
  }
});

test("rule 3: customers get French geographic numbers; rule 22: the fallback is a line, not a service", async () => {
  const f = await fixture();
  try {
    await acme(f);
    const before = await f.snapshot();
    await rejects(
      () => f.ops.addNumber("cli:op", D, { e164: "+33612345678" }),
      "refused",
      "e164",
      /geographic/,
    );
    await rejects(() => f.ops.addNumber("cli:op", D, { e164: "+33899123456" }), "refused", "e164");
    await rejects(
      () => f.ops.addNumber("cli:op", D, { e164: "0123456789" }),
      "invalid",
      "e164",
      /0123456789/,
    );
    await rejects(
      () =>
        f.ops.addNumber("cli:op", D, { e164: "+33123456789", target: { kind: "extension", number: "999" } }),
      "not_found",
      "target.number",
    );
    await rejects(() => f.ops.setFallback("cli:op", D, "+33899123456"), "refused", "e164", /fixed or mobile/);
    assert.is(await f.snapshot(), before);
    const n = await f.ops.addNumber("cli:op", D, {
      e164: "+33123456789",
      target: { kind: "extension", number: "201" },
      main: true,
    });
    assert.equal(n.target, { kind: "extension", id: n.target!.id, number: "201" });
    assert.is((await f.ops.setFallback("cli:op", D, "+33612345678")).fallbackNumber, "+33612345678");
    await rejects(() => f.ops.removeNumber("cli:op", D, "+33123456780"), "not_found", "e164");
    await f.ops.removeNumber("cli:op", D, "+33123456789");
    assert.equal(await f.ops.listNumbers(D), []);
  } finally {
    await f.done();
  }
});

test("rules 16, 17: suspensions show with kind, reason and since; resume lifts them; PSTN-only is not 'active'", async () => {
  let now = 1_800_000_000_000;
  const f = await fixture();
  try {
    await acme(f);
    const ops = new (f.ops.constructor as typeof import("../src/index.js").Operations)(f.store, {
      plan: f.ops.plan,
      clock: () => now,
    });
    await rejects(() => ops.suspend("cli:op", D, {}), "invalid", "pstn");
    await rejects(() => ops.suspend("cli:op", D, { pstn: "some" as "total" }), "invalid", "pstn", /some/);
    await rejects(() => ops.resume("cli:op", D), "conflict", "domain", /not suspended/);
    const s = await ops.suspend("system:fraud", D, { pstn: "partial", reason: "burst to +252" });
    assert.is(s.status, "suspended");
    assert.equal(s.suspensions, [{ kind: "pstn-partial", reason: "burst to +252", since: now }]);
    const since = now;
    now += 60_000;
    const both = await ops.suspend("cli:op", D, { nonPayment: true, reason: "invoice 12 unpaid" });
    assert.equal(both.suspensions, [
      { kind: "non-payment", reason: "invoice 12 unpaid", since: now },
      { kind: "pstn-partial", reason: "burst to +252", since },
    ]);
    assert.equal(
      (await ops.listCustomers())[0]!.suspensions.map((x) => x.kind),
      ["non-payment", "pstn-partial"],
    );
    const r = await ops.resume("cli:op", D, { pstn: true });
    assert.equal(
      r.suspensions.map((x) => x.kind),
      ["non-payment"],
    );
    const all = await ops.resume("cli:op", D);
    assert.is(all.status, "active");
    assert.equal(all.suspensions, []);
  } finally {
    await f.done();
  }
});

test.run();
