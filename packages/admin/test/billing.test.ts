import { readFileSync } from "node:fs";
import { type CdrInput, generateLedgerKey, Ledger, loadLedgerKey, parseTariffBook } from "@centrex/billing";
import { sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { harness } from "./helpers.js";

const key = loadLedgerKey(generateLedgerKey().privateKeyPem);
const book = parseTariffBook(
  JSON.parse(
    readFileSync(new URL("../../billing/data/tariffs.sample.json", import.meta.url), "utf8"),
  ) as unknown,
);
const T0 = Date.UTC(2026, 2, 10, 9, 0, 0);

function call(n: number, customerId: number): CdrInput {
  const startedAt = T0 + n * 60_000;
  return {
    callId: `call-${n}@pbx.test`,
    customerId,
    extension: "201",
    direction: "outbound",
    caller: "+33123456789",
    dialled: "0612345678",
    called: "+33612345678",
    destinationClass: "fr-mobile",
    carrier: "carrier-a",
    startedAt,
    answeredAt: startedAt + 5_000,
    endedAt: startedAt + 5_000 + 42_300,
    disposition: "answered",
  };
}

test("CDR export as CSV and JSON for a period; bad dates named", async () => {
  const h = await harness({ ledgerKey: key });
  try {
    const c = await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
    const ledger = new Ledger({ store: h.store, node: "node-a", key });
    for (let i = 1; i <= 3; i++) await ledger.append(call(i, c.json.id));
    await ledger.append({
      ...call(4, c.json.id),
      startedAt: T0 + 86_400_000 * 5,
      answeredAt: null,
      endedAt: T0 + 86_400_000 * 5 + 1000,
      disposition: "cancelled",
    });

    const csv = await h.call("GET", "/customers/acme.pbx.test/cdrs?from=2026-03-10&to=2026-03-10&format=csv");
    assert.is(csv.status, 200);
    assert.ok(csv.type.startsWith("text/csv"), csv.type);
    const lines = csv.text.trimEnd().split("\r\n");
    assert.is(lines.length, 4); // header + the 3 calls of the 10th
    assert.ok(lines[0]!.startsWith("node,seq,call_id"));
    assert.ok(lines[1]!.includes("call-1@pbx.test"));
    assert.ok(lines[1]!.includes(",43,")); // 42.3 s billed as 43

    const json = await h.call(
      "GET",
      "/customers/acme.pbx.test/cdrs?from=2026-03-01&to=2026-03-31&format=json",
    );
    assert.is(json.status, 200);
    assert.ok(json.type.startsWith("application/json"));
    assert.is(json.json.length, 4);
    assert.is(json.json[3].disposition, "cancelled");
    const dflt = await h.call("GET", "/customers/acme.pbx.test/cdrs?from=2026-03-10&to=2026-03-10");
    assert.ok(dflt.type.startsWith("text/csv"));

    for (const [q, field] of [
      ["from=2026-13-01&to=2026-03-10", "from"],
      ["from=2026-02-30&to=2026-03-10", "from"],
      ["from=2026-03-10", "to"],
      ["from=2026-03-10&to=2026-03-01", "to"],
      ["from=2026-03-01&to=2026-03-10&format=xml", "format"],
      ["from=yesterday&to=2026-03-10", "from"],
    ] as const) {
      const r = await h.call("GET", `/customers/acme.pbx.test/cdrs?${q}`);
      assert.is(r.status, 400, q);
      assert.is(r.json.error.field, field, q);
    }
    const nobody = await h.call("GET", "/customers/nobody.test/cdrs?from=2026-03-01&to=2026-03-10");
    assert.is(nobody.status, 404);
  } finally {
    await h.done();
  }
});

test("ledger verification: ok, then the tampered record is reported", async () => {
  const h = await harness({ ledgerKey: key });
  try {
    const c = await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
    const ledger = new Ledger({ store: h.store, node: "node-a", key });
    for (let i = 1; i <= 4; i++) await ledger.append(call(i, c.json.id));
    const ok = await h.call("GET", "/cdrs/verify");
    assert.is(ok.status, 200);
    assert.is(ok.json.ok, true);
    assert.is(ok.json.nodes[0].records, 4);
    sqliteHandle(h.store).prepare("UPDATE cdrs SET billable_ms = 1000 WHERE seq = 3").run();
    const bad = await h.call("GET", "/cdrs/verify");
    assert.is(bad.status, 200);
    assert.is(bad.json.ok, false);
    assert.is(bad.json.fault.kind, "changed");
    assert.is(bad.json.fault.seq, 3);
    assert.is(bad.json.fault.node, "node-a");
  } finally {
    await h.done();
  }
});

test("without a ledger key or tariffs: 501 JSON errors", async () => {
  const h = await harness();
  try {
    const v = await h.call("GET", "/cdrs/verify");
    assert.is(v.status, 501);
    assert.is(v.json.error.code, "not_configured");
    const inv = await h.call("POST", "/invoices/run", { body: { month: "2026-03" } });
    assert.is(inv.status, 501);
  } finally {
    await h.done();
  }
});

test("invoice run returns the invoices, never re-issues, and serves the HTML", async () => {
  const h = await harness({ ledgerKey: key, tariffs: book });
  try {
    const c = await h.call("POST", "/customers", { body: { name: "Acme", domain: "acme.pbx.test" } });
    const e = await h.call("POST", "/customers/acme.pbx.test/extensions", {
      body: { number: "201", password: "kq7-Blue-otter-pond" },
    });
    // The subscription counts inventory phones with a line (rule 8), not extensions.
    await h.store.phones.create({
      customerId: c.json.id,
      mac: "805ec0123456",
      model: "T46S",
      lines: [e.json.id],
      credentialHash: "0".repeat(64),
    });
    await h.store.policies.update(c.json.id, { deliveryDate: "2026-01-15" });
    const ledger = new Ledger({ store: h.store, node: "node-a", key });
    for (let i = 1; i <= 3; i++) await ledger.append(call(i, c.json.id));

    const bad = await h.call("POST", "/invoices/run", { body: { month: "2026-3" } });
    assert.is(bad.status, 400);
    assert.is(bad.json.error.field, "month");

    const run = await h.call("POST", "/invoices/run", {
      body: { month: "2026-03", customer: "acme.pbx.test" },
    });
    assert.is(run.status, 200);
    assert.is(run.json.length, 1);
    assert.is(run.json[0].outcome, "invoiced");
    assert.is(run.json[0].customer.domain, "acme.pbx.test");
    const stored = await h.store.invoices.get(run.json[0].id);
    assert.is(run.json[0].invoice.totalCents, stored.totalCents);
    assert.ok(stored.totalCents > 0);

    const again = await h.call("POST", "/invoices/run", { body: { month: "2026-03" } });
    assert.is(again.json[0].outcome, "exists");

    const html = await h.call("GET", `/invoices/${run.json[0].id}.html`);
    assert.is(html.status, 200);
    assert.ok(html.type.startsWith("text/html"));
    assert.ok(html.text.includes("Acme") || html.text.includes("acme.pbx.test"));
    assert.is((await h.call("GET", "/invoices/999.html")).status, 404);
    assert.is((await h.call("GET", "/invoices/abc.html")).status, 400);
    assert.ok(
      (await h.store.audit.list()).some((e) => e.action === "invoice.run" && e.actor === "api:alice"),
    );
  } finally {
    await h.done();
  }
});

test.run();
