import { openSqliteStore } from "@centrex/store";
import Database from "better-sqlite3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateLedgerKey, Ledger, LedgerTamperedError, loadLedgerKey } from "../src/index.js";
import { call, tempDir } from "./helpers.js";

const key = loadLedgerKey(generateLedgerKey().privateKeyPem);
const at = (day: string, h = 10) => Date.parse(`${day}T${String(h).padStart(2, "0")}:00:00Z`);

test("records go 6 months after payment, in whole periods; the rest still verifies", async () => {
  const tmp = tempDir();
  const path = tmp.file("ret.db");
  const store = openSqliteStore(path);
  const acme = await store.customers.create({ name: "Acme", domain: "acme.pbx.test" });
  const beta = await store.customers.create({ name: "Beta", domain: "beta.pbx.test" });
  const ledger = new Ledger({ store, node: "n1", key });
  let n = 0;
  const add = (customerId: number, day: string, h = 10) =>
    ledger.append(
      call(++n, {
        customerId,
        startedAt: at(day, h),
        answeredAt: at(day, h) + 1000,
        endedAt: at(day, h) + 61_000,
      }),
    );
  await add(acme.id, "2026-01-05");
  await add(beta.id, "2026-01-06");
  await add(acme.id, "2026-01-31", 23);
  await add(acme.id, "2026-02-02");
  await add(beta.id, "2026-02-03");
  await add(acme.id, "2026-03-01");
  const inv = async (customerId: number, start: string, end: string, paid: string | null) => {
    const i = await store.invoices.create({
      customerId,
      periodStart: start,
      periodEnd: end,
      issuedOn: end,
      totalCents: 100,
      document: {},
    });
    if (paid) await store.invoices.markPaid(i.id, at(paid));
  };
  await inv(acme.id, "2026-01-01", "2026-02-01", "2026-02-09");
  await inv(beta.id, "2026-01-01", "2026-02-01", "2026-02-20");
  await inv(acme.id, "2026-02-01", "2026-03-01", "2026-03-09");
  await inv(beta.id, "2026-02-01", "2026-03-01", null); // unpaid: February must stay

  // Acme's January was paid 9 Feb, Beta's 20 Feb: on 15 Aug only Acme's 6 months have run.
  let r = await ledger.purgeExpired(at("2026-08-15"));
  assert.is(r.purged, 0, "January is not whole yet: Beta's record must stay, so Acme's stay too");
  r = await ledger.purgeExpired(at("2026-08-21"));
  assert.equal([r.purged, r.anchorSeq], [3, 3], "all of January goes, February stays (Beta unpaid)");
  const left = await store.cdrs.page("n1", 0, 100);
  assert.equal(
    left.map((x) => x.seq),
    [4, 5, 6],
  );
  const v = await ledger.verify();
  assert.ok(v.ok, JSON.stringify(v.fault));
  assert.is(v.nodes[0]!.firstSeq, 4);
  // The rest of the chain still grows and verifies.
  await add(acme.id, "2026-08-21");
  assert.ok((await ledger.verify()).ok);

  // Deleting the anchor exposes the purge as removed records; a forged anchor is refused.
  const db = new Database(path);
  db.prepare("UPDATE cdr_checkpoints SET seq = 4").run();
  assert.is((await ledger.verify()).fault?.kind, "signature");
  db.prepare("DELETE FROM cdr_checkpoints").run();
  const f = (await ledger.verify()).fault;
  assert.equal([f?.kind, f?.seq, f?.count], ["removed", 1, 3]);
  db.close();
  try {
    await ledger.purgeExpired(at("2027-12-01"));
    assert.unreachable("purged a tampered chain");
  } catch (err) {
    assert.instance(err, LedgerTamperedError);
  }
  await store.close();
  tmp.remove();
});

test.run();
