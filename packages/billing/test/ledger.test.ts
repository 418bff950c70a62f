import { openSqliteStore, type Store } from "@centrex/store";
import Database from "better-sqlite3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CdrInputError,
  generateLedgerKey,
  hashCdr,
  Ledger,
  type LedgerKey,
  loadLedgerKey,
  verifyLedger,
} from "../src/index.js";
import { call, T0, tempDir } from "./helpers.js";

const key = loadLedgerKey(generateLedgerKey().privateKeyPem);

async function ledgerWith(
  n: number,
): Promise<{ path: string; store: Store; ledger: Ledger; done: () => Promise<void> }> {
  const tmp = tempDir();
  const path = tmp.file("cdr.db");
  const store = openSqliteStore(path);
  const ledger = new Ledger({ store, node: "node-a", key });
  for (let i = 1; i <= n; i++) await ledger.append(call(i));
  return {
    path,
    store,
    ledger,
    done: async () => {
      await store.close();
      tmp.remove();
    },
  };
}

/** Changes the file behind the store's back, as an attacker with the file would. */
function tamper(path: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

test("records chain, carry dispositions, and verify", async () => {
  const { store, ledger, done } = await ledgerWith(3);
  const busy = await ledger.append(
    call(4, { answeredAt: null, endedAt: T0 + 4 * 60_000 + 3000, disposition: "busy", sipStatus: 486 }),
  );
  const refused = await ledger.append(
    call(5, {
      answeredAt: null,
      endedAt: T0 + 5 * 60_000,
      disposition: "refused",
      reason: "destination-barred",
    }),
  );
  assert.is(busy.seq, 4);
  assert.is(busy.billableMs, 0);
  assert.is(refused.reason, "destination-barred");
  const first = (await store.cdrs.page("node-a", 0, 1))[0]!;
  assert.is(first.billableMs, 42_300);
  assert.is(first.prevHash, "0".repeat(64));
  const second = (await store.cdrs.page("node-a", 1, 1))[0]!;
  assert.is(second.prevHash, first.hash);
  assert.is(hashCdr(second), second.hash);
  const report = await ledger.verify();
  assert.ok(report.ok, JSON.stringify(report.fault));
  assert.is(report.nodes[0]!.records, 5);
  await done();
});

test("bad input is refused with the field named", async () => {
  const { ledger, done } = await ledgerWith(0);
  for (const [bad, field] of [
    [call(1, { endedAt: T0 - 1 }), "endedAt"],
    [call(1, { disposition: "failed", sipStatus: null }), "sipStatus"],
    [call(1, { disposition: "refused", reason: null }), "reason"],
    [call(1, { answeredAt: null }), "answeredAt"],
  ] as const) {
    try {
      await ledger.append(bad);
      assert.unreachable(`accepted a bad ${field}`);
    } catch (err) {
      assert.instance(err, CdrInputError);
      assert.is((err as CdrInputError).field, field);
    }
  }
  assert.ok((await ledger.verify()).ok);
  await done();
});

test("UPDATE of a duration is reported as changed at that seq", async () => {
  const { path, store, done } = await ledgerWith(6);
  tamper(path, (db) => db.prepare("UPDATE cdrs SET billable_ms = 1000 WHERE seq = 4").run());
  const r = await verifyLedger(store, key);
  assert.not.ok(r.ok);
  assert.equal([r.fault?.kind, r.fault?.seq], ["changed", 4]);
  await done();
});

test("a transferred call's link is hashed (cdr/2): it verifies beside cdr/1 records, and a changed or removed link is caught", async () => {
  const { path, store, ledger, done } = await ledgerWith(2);
  const linked = await ledger.append(call(3, { transferredFrom: "original-call@pbx.test" }));
  await ledger.append(call(4));
  assert.is(linked.transferredFrom, "original-call@pbx.test");
  const page = await store.cdrs.page("node-a", 0, 10);
  assert.equal(
    page.map((r) => r.transferredFrom ?? null),
    [null, null, "original-call@pbx.test", null],
  );
  assert.ok((await verifyLedger(store, key)).ok);
  tamper(path, (db) => db.prepare("UPDATE cdrs SET transferred_from = 'other@pbx.test' WHERE seq = 3").run());
  let r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["changed", 3]);
  tamper(path, (db) => db.prepare("UPDATE cdrs SET transferred_from = NULL WHERE seq = 3").run());
  r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["changed", 3]);
  tamper(path, (db) =>
    db.prepare("UPDATE cdrs SET transferred_from = 'forged@pbx.test' WHERE seq = 4").run(),
  );
  tamper(path, (db) =>
    db.prepare("UPDATE cdrs SET transferred_from = 'original-call@pbx.test' WHERE seq = 3").run(),
  );
  r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["changed", 4]);
  await done();
});

test("DELETE of a row is reported as removed at that seq", async () => {
  const { path, store, done } = await ledgerWith(6);
  tamper(path, (db) => db.prepare("DELETE FROM cdrs WHERE seq = 3").run());
  const r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq, r.fault?.count], ["removed", 3, 1]);
  await done();
});

test("DELETE of the last rows (tail truncation) is caught by the signed head", async () => {
  const { path, store, done } = await ledgerWith(6);
  tamper(path, (db) => db.prepare("DELETE FROM cdrs WHERE seq >= 5").run());
  const r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq, r.fault?.count], ["removed", 5, 2]);
  await done();
});

function forge(db: Database.Database, seq: number, prevHash: string, over: Record<string, unknown> = {}) {
  const row: Record<string, unknown> = {
    ...(db.prepare("SELECT * FROM cdrs WHERE seq = 1").get() as Record<string, unknown>),
    seq,
    prev_hash: prevHash,
    call_id: "forged@evil",
    billable_ms: 3_600_000,
    ...over,
  };
  // The attacker knows the algorithm, so the forged row's own hash is right; not the key.
  row.hash = hashCdr({
    node: row.node as string,
    seq,
    prevHash,
    customerId: row.customer_id as number,
    extension: row.extension as string,
    callId: row.call_id as string,
    direction: row.direction as "outbound",
    caller: row.caller as string,
    dialled: row.dialled as string,
    called: row.called as string,
    destinationClass: row.destination_class as string,
    carrier: row.carrier as string,
    startedAt: row.started_at as number,
    answeredAt: row.answered_at as number,
    endedAt: row.ended_at as number,
    billableMs: row.billable_ms as number,
    disposition: row.disposition as string,
    sipStatus: row.sip_status as number | null,
    reason: row.reason as string | null,
  });
  return row;
}

const insertRow = (db: Database.Database, row: Record<string, unknown>) => {
  const cols = Object.keys(row);
  db.prepare(`INSERT INTO cdrs (${cols.join(",")}) VALUES (${cols.map((c) => `@${c}`).join(",")})`).run(row);
};

test("INSERT of a forged row at the end, with a correct hash chain, is reported as inserted", async () => {
  const { path, store, done } = await ledgerWith(5);
  tamper(path, (db) => {
    const last = db.prepare("SELECT hash FROM cdrs WHERE seq = 5").get() as { hash: string };
    insertRow(db, forge(db, 6, last.hash));
  });
  const r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["inserted", 6]);
  await done();
});

test("INSERT of a forged row in the middle (later rows renumbered) is reported as inserted there", async () => {
  const { path, store, done } = await ledgerWith(5);
  tamper(path, (db) => {
    const prev = db.prepare("SELECT hash FROM cdrs WHERE seq = 2").get() as { hash: string };
    const forged = forge(db, 3, prev.hash);
    for (let s = 5; s >= 3; s--) db.prepare("UPDATE cdrs SET seq = seq + 1 WHERE seq = ?").run(s);
    insertRow(db, forged);
  });
  const r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["inserted", 3]);
  await done();
});

test("UPDATE of a row that recomputes its own hash is reported as changed (signature)", async () => {
  const { path, store, done } = await ledgerWith(5);
  tamper(path, (db) => {
    const prev = db.prepare("SELECT hash FROM cdrs WHERE seq = 2").get() as { hash: string };
    const row = forge(db, 3, prev.hash, {
      call_id: (db.prepare("SELECT call_id FROM cdrs WHERE seq = 3").get() as { call_id: string }).call_id,
      billable_ms: 1000,
    });
    db.prepare(
      "UPDATE cdrs SET billable_ms = ?, hash = ?, started_at = ?, answered_at = ?, ended_at = ? WHERE seq = 3",
    ).run(
      row.billable_ms as number,
      row.hash as string,
      row.started_at as number,
      row.answered_at as number,
      row.ended_at as number,
    );
  });
  const r = await verifyLedger(store, key);
  assert.equal([r.fault?.kind, r.fault?.seq], ["changed", 3]);
  await done();
});

test("rewriting the whole chain from a record onwards is caught at that record", async () => {
  const { path, store, done } = await ledgerWith(5);
  tamper(path, (db) => {
    let prev = (db.prepare("SELECT hash FROM cdrs WHERE seq = 1").get() as { hash: string }).hash;
    for (let s = 2; s <= 5; s++) {
      const orig = db.prepare("SELECT call_id FROM cdrs WHERE seq = ?").get(s) as { call_id: string };
      const row = forge(db, s, prev, { call_id: orig.call_id, billable_ms: 1000 });
      db.prepare("UPDATE cdrs SET billable_ms = 1000, prev_hash = ?, hash = ? WHERE seq = ?").run(
        prev,
        row.hash as string,
        s,
      );
      prev = row.hash as string;
    }
    db.prepare("UPDATE cdr_heads SET hash = ?").run(prev);
  });
  const r = await verifyLedger(store, key);
  assert.not.ok(r.ok);
  // The head's signature no longer matches its hash: reported before the walk.
  assert.is(r.fault?.kind, "signature");
  await done();
});

test("a verify-only public key verifies; another key does not", async () => {
  const { store, done } = await ledgerWith(3);
  const pub: LedgerKey = { privateKey: undefined, publicKey: key.publicKey };
  assert.ok((await verifyLedger(store, pub)).ok);
  const other = loadLedgerKey(generateLedgerKey().privateKeyPem);
  const r = await verifyLedger(store, other);
  assert.is(r.fault?.kind, "signature");
  await done();
});

test("keys load from PEM, raw 32-byte seed, hex and base64 seeds identically", () => {
  const seed = Buffer.alloc(32, 7);
  const a = loadLedgerKey(seed);
  const b = loadLedgerKey(seed.toString("hex"));
  const c = loadLedgerKey(seed.toString("base64"));
  const pem = a.privateKey!.export({ type: "pkcs8", format: "pem" }).toString();
  const d = loadLedgerKey(pem);
  const spki = (k: LedgerKey) => k.publicKey.export({ type: "spki", format: "der" }).toString("hex");
  assert.is(spki(b), spki(a));
  assert.is(spki(c), spki(a));
  assert.is(spki(d), spki(a));
  assert.throws(() => loadLedgerKey("not a key"), /ledger key/);
});

test("open calls survive a restart and close as interrupted", async () => {
  const tmp = tempDir();
  const path = tmp.file("open.db");
  let store = openSqliteStore(path);
  let ledger = new Ledger({ store, node: "node-a", key });
  const { endedAt: _e, answeredAt: _a, disposition: _d, ...info } = call(1);
  await ledger.markCallStarted(info);
  await ledger.markCallAnswered(info.callId, T0 + 60_000 + 2_000);
  const { endedAt: _e2, answeredAt: _a2, disposition: _d2, ...ringing } = call(2);
  await ledger.markCallStarted(ringing);
  const { endedAt: _e3, answeredAt: _a3, disposition: _d3, ...ended } = call(3);
  await ledger.markCallStarted(ended);
  await ledger.append(call(3)); // ended normally: no longer open
  await store.close(); // the "crash"
  store = openSqliteStore(path);
  ledger = new Ledger({ store, node: "node-a", key });
  const closed = await ledger.closeInterruptedCalls(T0 + 10 * 60_000);
  assert.equal(
    closed.map((c) => [c.callId, c.disposition, c.billableMs]),
    [
      ["call-1@pbx.test", "interrupted", 10 * 60_000 - 62_000],
      ["call-2@pbx.test", "interrupted", 0],
    ],
  );
  assert.equal(await store.cdrs.openCalls("node-a"), []);
  assert.equal(await ledger.closeInterruptedCalls(T0 + 11 * 60_000), [], "closed once only");
  assert.ok((await ledger.verify()).ok);
  await store.close();
  tmp.remove();
});

test.run();
