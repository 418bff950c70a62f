// Append and verify cost of the ledger on this machine: node --import tsx packages/billing/test/measure-ledger.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "@centrex/store";
import { generateLedgerKey, Ledger, loadLedgerKey } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "centrex-billing-measure-"));
const store = openSqliteStore(join(dir, "m.db"));
const key = loadLedgerKey(generateLedgerKey().privateKeyPem);
const l = new Ledger({ store, node: "n", key });
const N = 2000;
const t = Date.now();
let s = process.hrtime.bigint();
for (let i = 0; i < N; i++)
  await l.append({
    callId: `c${i}`,
    customerId: 1,
    extension: "201",
    direction: "outbound",
    caller: "+33100000000",
    dialled: "0612345678",
    called: "+33612345678",
    destinationClass: "fr-mobile",
    startedAt: t,
    answeredAt: t + 1,
    endedAt: t + 60_000,
    disposition: "answered",
  });
let ms = Number(process.hrtime.bigint() - s) / 1e6;
console.log(`append: ${N} records in ${ms.toFixed(0)} ms = ${((ms * 1000) / N).toFixed(0)} µs/record`);
s = process.hrtime.bigint();
const r = await l.verify();
ms = Number(process.hrtime.bigint() - s) / 1e6;
console.log(
  `verify: ${r.nodes[0]!.records} records in ${ms.toFixed(0)} ms = ${((ms * 1000) / N).toFixed(0)} µs/record, ok=${r.ok}`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
