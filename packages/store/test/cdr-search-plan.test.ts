import Database from "better-sqlite3";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MIGRATIONS, openSqliteStore } from "../src/index.js";
import { cdrHoursQuery, cdrSearchQuery } from "../src/sqlite/cdr-search.js";
import { migrate } from "../src/sqlite/migrate.js";
import { tempDir } from "./helpers.js";

// The plans SQLite picks for the call-record search the console and GET /cdrs/search run.
// The operator's search spans all customers, so only started_at narrows it: without an index
// on it, every search reads the whole ledger (years of records) and sorts what it found.

const t = suite("call-record search query plan");
const tmp = tempDir();
t.after(() => tmp.remove());

const day = 86_400_000;
const from = Date.UTC(2026, 11, 1);

/** EXPLAIN QUERY PLAN's detail lines, joined, for one query on `path`. */
function plan(path: string, q: { text: string; params: (string | number)[] }): string {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.params) as { detail: string }[];
    return rows.map((r) => r.detail).join(" | ");
  } finally {
    db.close();
  }
}

let latest = "";
t.before(async () => {
  latest = tmp.file("latest.db");
  await openSqliteStore(latest).close();
});

t("the operator-wide search reads the started_at index, in index order (no sort)", () => {
  const p = plan(latest, cdrSearchQuery({ from, to: from + day, limit: 500 }));
  assert.match(p, /SEARCH cdrs USING INDEX cdrs_started \(started_at>\? AND started_at<\?\)/, p);
  assert.not.match(p, /TEMP B-TREE/, p);
});

t("a search by caller, callee and status still starts from the started_at range", () => {
  const p = plan(
    latest,
    cdrSearchQuery({
      from,
      to: from + day,
      caller: "201",
      callee: "+33",
      disposition: "answered",
      limit: 500,
    }),
  );
  assert.match(p, /USING INDEX cdrs_started/, p);
  assert.not.match(p, /SCAN cdrs/, p);
});

t("a customer's search keeps its (customer_id, started_at) index", () => {
  const p = plan(latest, cdrSearchQuery({ from, to: from + day, customerId: 7, limit: 500 }));
  assert.match(
    p,
    /USING INDEX cdrs_customer_started \(customer_id=\? AND started_at>\? AND started_at<\?\)/,
    p,
  );
});

t("the calls-per-hour chart's query reads the started_at index", () => {
  const p = plan(latest, cdrHoursQuery({ from, to: from + day }));
  assert.match(p, /USING INDEX cdrs_started/, p);
  assert.not.match(p, /SCAN cdrs/, p);
});

t("before migration 11 the same search scanned the whole ledger (what the index fixes)", () => {
  const path = tmp.file("v10.db");
  const db = new Database(path);
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version <= 10),
  );
  db.close();
  const p = plan(path, cdrSearchQuery({ from, to: from + day, limit: 500 }));
  assert.match(p, /SCAN cdrs/, p);
});

t.run();
