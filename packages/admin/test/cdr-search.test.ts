import { type CdrInput, generateLedgerKey, Ledger, loadLedgerKey } from "@centrex/billing";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { harness } from "./helpers.js";

// GET /cdrs/search (the console's call-record search and its CSV export) and
// GET /console/calls-per-hour (its chart), on records written by the real ledger.
const key = loadLedgerKey(generateLedgerKey().privateKeyPem);
const ACME = "acme.example";
const OTHER = "other.example";
const ACME_TOKEN = "acme-admin-token-2f7c9e14";
const T0 = Date.UTC(2026, 2, 10, 9, 0, 0);

function cdr(customerId: number, n: number, over: Partial<CdrInput> = {}): CdrInput {
  const startedAt = T0 + n * 60_000;
  return {
    callId: `search-${customerId}-${n}@pbx.test`,
    customerId,
    extension: "201",
    direction: "outbound",
    caller: "201",
    dialled: "0612345678",
    called: "+33612345678",
    destinationClass: "fr-mobile",
    carrier: "carrier-a",
    startedAt,
    answeredAt: startedAt + 2000,
    endedAt: startedAt + 32_000,
    disposition: "answered",
    ...over,
  };
}

async function setup() {
  const h = await harness({ tokens: [{ name: "acme-admin", token: ACME_TOKEN, customer: ACME }] });
  const ids: number[] = [];
  for (const [name, domain] of [
    ["Acme", ACME],
    ["Other", OTHER],
  ] as const) {
    ids.push((await h.call("POST", "/customers", { body: { name, domain } })).json.id);
  }
  const [acme, other] = ids as [number, number];
  const ledger = new Ledger({ store: h.store, node: "node-a", key });
  await ledger.append(cdr(acme, 1));
  await ledger.append(cdr(acme, 2, { caller: "202", dialled: "203", called: "203", direction: "internal" }));
  await ledger.append(
    cdr(acme, 3, { answeredAt: null, endedAt: T0 + 3 * 60_000 + 5000, disposition: "busy", sipStatus: 486 }),
  );
  await ledger.append(cdr(other, 4, { caller: "301" }));
  // Another day.
  await ledger.append(cdr(acme, 24 * 60 + 5));
  return { h, acme, other };
}

test("search by date range, caller, callee, status and customer; the operator sees every customer", async () => {
  const { h } = await setup();
  try {
    const q = async (query: string) => {
      const r = await h.call("GET", `/cdrs/search?from=2026-03-10&to=2026-03-10${query}`);
      assert.is(r.status, 200, `${query}: ${r.text}`);
      return r.json as { records: Array<Record<string, unknown>>; truncated: boolean };
    };
    assert.is((await q("")).records.length, 4);
    const two = await h.call("GET", "/cdrs/search?from=2026-03-10&to=2026-03-11");
    assert.is(two.json.records.length, 5, "to is included");
    const byCaller = await q("&caller=202");
    assert.equal(
      byCaller.records.map((r) => r.dialled),
      ["203"],
    );
    // Part of the number, dialled or normalised.
    assert.is((await q("&callee=%2B336")).records.length, 3);
    assert.is((await q("&callee=0612")).records.length, 3);
    const busy = await q("&status=busy");
    assert.equal(
      busy.records.map((r) => [r.disposition, r.sip_status]),
      [["busy", 486]],
    );
    const other = await q(`&customer=${OTHER}`);
    assert.equal(
      other.records.map((r) => r.caller),
      ["301"],
    );
    assert.equal(
      (await q("")).records.map((r) => [r.customer, r.caller]),
      [
        [ACME, "201"],
        [ACME, "202"],
        [ACME, "201"],
        [OTHER, "301"],
      ],
    );
    // A LIKE wildcard is a character like any other.
    assert.is((await q("&caller=%25")).records.length, 0);
    const cut = await q("&limit=2");
    assert.is(cut.records.length, 2);
    assert.is(cut.truncated, true);
    assert.is((await q("&limit=4")).truncated, false);
    assert.is((await q("&limit=100000")).records.length, 4, "the largest limit");
  } finally {
    await h.done();
  }
});

test("the search as CSV: the same records, the export's columns", async () => {
  const { h } = await setup();
  try {
    const r = await h.call("GET", "/cdrs/search?from=2026-03-10&to=2026-03-10&status=answered&format=csv");
    assert.is(r.status, 200);
    assert.ok(r.type.startsWith("text/csv"), r.type);
    const lines = r.text.trimEnd().split("\r\n");
    assert.ok(lines[0]!.startsWith("node,seq,call_id,"));
    assert.is(lines.length, 4, r.text); // header + 3 answered calls of the 10th
    for (const l of lines.slice(1)) assert.match(l, /,answered,/);
  } finally {
    await h.done();
  }
});

test("a customer's administrator searches its own records only", async () => {
  const { h } = await setup();
  try {
    const as = { token: ACME_TOKEN };
    const mine = await h.call("GET", "/cdrs/search?from=2026-03-10&to=2026-03-10", as);
    assert.is(mine.status, 200, mine.text);
    assert.is(mine.json.records.length, 3);
    assert.ok(mine.json.records.every((r: { caller: string }) => r.caller !== "301"));
    const other = await h.call("GET", `/cdrs/search?from=2026-03-10&to=2026-03-10&customer=${OTHER}`, as);
    assert.is(other.status, 403);
    assert.is(other.json.error.field, "customer");
    const csv = await h.call("GET", "/cdrs/search?from=2026-03-10&to=2026-03-10&format=csv", as);
    assert.is(csv.text.trimEnd().split("\r\n").length, 4);
    assert.match(csv.text, /search-1-1@/);
  } finally {
    await h.done();
  }
});

test("bad search input: a 400 naming the field", async () => {
  const { h } = await setup();
  try {
    for (const [query, field] of [
      ["from=2026-02-30&to=2026-03-01", "from"],
      ["from=2026-03-10", "to"],
      ["from=2026-03-10&to=2026-03-01", "to"],
      ["from=2026-03-10&to=2026-03-10&status=lost", "status"],
      ["from=2026-03-10&to=2026-03-10&limit=0", "limit"],
      ["from=2026-03-10&to=2026-03-10&limit=200000", "limit"],
      ["from=2026-03-10&to=2026-03-10&format=xml", "format"],
      ["from=2026-03-10&to=2026-03-10&colour=red", "colour"],
    ] as const) {
      const r = await h.call("GET", `/cdrs/search?${query}`);
      assert.is(r.status, 400, `${query}: ${r.text}`);
      assert.is(r.json.error.field, field, `${query}: ${r.text}`);
    }
    const none = await h.call("GET", "/cdrs/search?from=2026-03-10&to=2026-03-10&customer=nobody.example");
    assert.is(none.status, 404);
    assert.is(none.json.error.field, "domain");
  } finally {
    await h.done();
  }
});

test("calls per hour: the last 24 UTC hours from the records, a customer's own", async () => {
  const h = await harness({ tokens: [{ name: "acme-admin", token: ACME_TOKEN, customer: ACME }] });
  try {
    const acme = (await h.call("POST", "/customers", { body: { name: "Acme", domain: ACME } })).json.id;
    const other = (await h.call("POST", "/customers", { body: { name: "Other", domain: OTHER } })).json.id;
    const ledger = new Ledger({ store: h.store, node: "node-a", key });
    // Not across an hour's end: the chart's last hour is the one the records are put in.
    const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
    if (toNextHour < 5000) await new Promise((r) => setTimeout(r, toNextHour + 10));
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const at = (startedAt: number, over: Partial<CdrInput> = {}) => ({
      ...cdr(acme, 0),
      callId: `h-${startedAt}-${Math.random()}`,
      startedAt,
      answeredAt: startedAt + 1000,
      endedAt: startedAt + 2000,
      ...over,
    });
    await ledger.append(at(hour + 1000));
    await ledger.append(
      at(hour + 2000, { answeredAt: null, disposition: "no-answer", endedAt: hour + 9000 }),
    );
    await ledger.append(at(hour - 5 * 3_600_000 + 10));
    await ledger.append(at(hour - 24 * 3_600_000)); // 25 hours ago: out of the chart
    await ledger.append({ ...at(hour + 3000), customerId: other });
    const all = await h.call("GET", "/console/calls-per-hour");
    assert.is(all.status, 200, all.text);
    assert.is(all.json.length, 24);
    const last = all.json[23];
    assert.equal(last, { hour: new Date(hour).toISOString(), calls: 3, answered: 2 });
    assert.equal(all.json[18], { hour: new Date(hour - 5 * 3_600_000).toISOString(), calls: 1, answered: 1 });
    assert.is(
      all.json.reduce((n: number, x: { calls: number }) => n + x.calls, 0),
      4,
    );
    const mine = await h.call("GET", "/console/calls-per-hour", { token: ACME_TOKEN });
    assert.is(mine.json[23].calls, 2);
  } finally {
    await h.done();
  }
});

test.run();
