import { readFileSync } from "node:fs";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type CdrClass,
  cdrsToCsv,
  exportCustomerCdrs,
  generateLedgerKey,
  type Invoice,
  Ledger,
  loadLedgerKey,
  parseTariffBook,
  runInvoices,
} from "../src/index.js";
import { call, tempDir } from "./helpers.js";

const book = parseTariffBook(
  JSON.parse(readFileSync(new URL("../data/tariffs.sample.json", import.meta.url), "utf8")),
);
const key = loadLedgerKey(generateLedgerKey().privateKeyPem);
const at = (iso: string) => Date.parse(iso);

test("monthly run over the store: low consumption carried over once, fair-use withdrawal, export", async () => {
  const tmp = tempDir();
  const store = openSqliteStore(tmp.file("inv.db"));
  const big = await store.customers.create({ name: "Big", domain: "big.pbx.test" });
  const small = await store.customers.create({ name: "Small", domain: "small.pbx.test" });
  for (const [c, n] of [
    [big, 3],
    [small, 1],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const e = await store.extensions.create({
        customerId: c.id,
        number: `20${i}`,
        password: "password-123",
      });
      // The subscription counts the phone inventory, not extensions: one phone per extension.
      const mac = `805ec0${String(c.id).padStart(3, "0")}${String(i).padStart(3, "0")}`;
      await store.phones.create({
        customerId: c.id,
        mac,
        model: "T46S",
        lines: [e.id],
        credentialHash: "0".repeat(64),
      });
    }
    // An extension with no phone (a softphone account) adds nothing to the subscription.
    await store.extensions.create({ customerId: c.id, number: "299", password: "password-123" });
    await store.policies.update(c.id, { deliveryDate: "2026-01-01" });
  }
  const ledger = new Ledger({ store, node: "n1", key });
  let n = 0;
  const add = (
    customerId: number,
    iso: string,
    seconds: number,
    destinationClass: CdrClass,
    called: string,
  ) =>
    ledger.append(
      call(++n, {
        customerId,
        startedAt: at(iso),
        answeredAt: at(iso),
        endedAt: at(iso) + seconds * 1000,
        destinationClass,
        called,
      }),
    );
  // Big calls Berlin for 10 min in February (600 s × 5000/60 = 50000 mc = 50 c) and a mobile, unlimited.
  await add(big.id, "2026-02-10T10:00:00Z", 600, "intl-eu", "+4930123456");
  await add(big.id, "2026-02-11T10:00:00Z", 1200, "fr-mobile", "+33612345678");
  // Small: one short mobile call (unlimited) in February → low consumption.
  await add(small.id, "2026-02-12T10:00:00Z", 30, "fr-mobile", "+33612345678");
  await add(small.id, "2026-03-02T10:00:00Z", 60, "intl-eu", "+4930123456");

  const feb = await runInvoices(store, book, "2026-02", { issuedOn: "2026-03-01" });
  const byDomain = (rs: typeof feb, d: string) => rs.find((r) => r.customer.domain === d)!;
  // January was never invoiced but the runs start in February: the month before is carried over.
  assert.is(byDomain(feb, "big.pbx.test").outcome, "invoiced");
  const bigFeb = byDomain(feb, "big.pbx.test").invoice!;
  assert.equal([bigFeb.periodStart, bigFeb.periodEnd], ["2026-01-01", "2026-03-01"]);
  assert.is(bigFeb.lines.filter((l) => l.kind === "subscription").length, 2);

  assert.is(byDomain(feb, "small.pbx.test").outcome, "invoiced");
  // March: Small's calls (5 c) and Big's (none) are below 500 c: both carried over.
  const mar = await runInvoices(store, book, "2026-03", { issuedOn: "2026-04-01" });
  assert.is(byDomain(mar, "small.pbx.test").outcome, "deferred");
  assert.is(byDomain(mar, "big.pbx.test").outcome, "deferred");
  const apr = await runInvoices(store, book, "2026-04", { issuedOn: "2026-05-01", customerIds: [small.id] });
  assert.equal(apr.length, 1);
  const smallAprMar = apr[0]!.invoice!;
  assert.equal([smallAprMar.periodStart, smallAprMar.periodEnd], ["2026-03-01", "2026-05-01"]);
  assert.equal(
    smallAprMar.lines.map((l) => [l.month, l.kind, l.amountCents]),
    [
      ["2026-03", "subscription", 2500],
      ["2026-03", "calls", 5],
      ["2026-04", "subscription", 2500],
    ],
  );
  assert.equal(smallAprMar.debitOn, "2026-05-09");
  // Never re-issued; stored document equals the computed one.
  assert.is((await runInvoices(store, book, "2026-04", { customerIds: [small.id] }))[0]!.outcome, "exists");
  const stored = (await store.invoices.listByCustomer(small.id)).at(-1)!;
  assert.equal(stored.document as Invoice, JSON.parse(JSON.stringify(smallAprMar)));

  // Fair use: the operator withdraws Big's unlimited from May; May's mobile calls are charged, €3/phone off.
  await store.invoices.withdrawUnlimited(big.id, "2026-05", "operator:alice");
  await add(big.id, "2026-05-05T10:00:00Z", 4000, "fr-mobile", "+33612345678"); // 4000 s × 9000/60 = 600 c
  await runInvoices(store, book, "2026-04", { customerIds: [big.id] });
  const may = (await runInvoices(store, book, "2026-05", { customerIds: [big.id] }))[0]!.invoice!;
  assert.equal(
    may.lines.map((l) => [l.kind, l.amountCents]),
    [
      ["subscription", 7500],
      ["calls", 600],
      ["discount", -900],
    ],
  );

  // Export: the customer's own records of a period, CSV and JSON.
  const csv = await exportCustomerCdrs(
    store,
    big.id,
    at("2026-02-01T00:00:00Z"),
    at("2026-03-01T00:00:00Z"),
    "csv",
  );
  const lines = csv.trimEnd().split("\r\n");
  assert.is(lines.length, 3);
  assert.ok(lines[0]!.startsWith("node,seq,call_id,"));
  assert.ok(lines[1]!.includes(",+4930123456,intl-eu,carrier-a,2026-02-10T10:00:00.000Z,"));
  const json = JSON.parse(
    await exportCustomerCdrs(store, small.id, 0, at("2027-01-01T00:00:00Z"), "json"),
  ) as unknown[];
  assert.is(json.length, 2);
  assert.ok(cdrsToCsv([]).startsWith("node,seq"));
  await store.close();
  tmp.remove();
});

test.run();
