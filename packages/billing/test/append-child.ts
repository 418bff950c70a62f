// Run by durability.test.ts: appends records in a loop and prints each seq once append() has
// resolved, until the parent kills it with SIGKILL.
import { openSqliteStore } from "@centrex/store";
import { Ledger, loadLedgerKey } from "../src/index.js";
import { call } from "./helpers.js";

const [path, seedHex, node] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore(path);
const ledger = new Ledger({ store, node, key: loadLedgerKey(seedHex) });
for (let i = 1; ; i++) {
  if (i % 7 === 0) {
    const { endedAt: _e, answeredAt: _a, disposition: _d, ...info } = call(i, { callId: `open-${i}` });
    await ledger.markCallStarted(info);
    process.stdout.write(`open ${info.callId}\n`);
  }
  const rec = await ledger.append(call(i));
  process.stdout.write(`${rec.seq}\n`);
}
