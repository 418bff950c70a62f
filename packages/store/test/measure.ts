// Hot-path figures for the README (not a test): run with
//   npx tsx packages/store/test/measure.ts
// Measures the SQLite store on this machine's temp disk: credential lookups, location lookups
// (both reads, no fsync) and binding upserts (one fsynced transaction each, synchronous=FULL).
import { openSqliteStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
const store = openSqliteStore(tmp.file("measure.db"));
const c = await store.customers.create({ name: "Bench", domain: "bench.pbx.test" });
const ids: number[] = [];
for (let i = 0; i < 200; i++) {
  ids.push(
    (await store.extensions.create({ customerId: c.id, number: String(200 + i), password: "password-x" })).id,
  );
}
const now = Date.now();
for (const id of ids) {
  await store.locations.upsert({
    aor: id,
    contact: `sip:${id}@127.0.0.1:5070`,
    expiresAt: now + 3600_000,
    callId: `c${id}`,
    cseq: 1,
    transport: "udp",
    sourceAddress: "127.0.0.1",
    sourcePort: 5070,
  });
}

async function rate(label: string, n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}: ${Math.round(n / s)} ops/s (${((s / n) * 1e6).toFixed(1)} µs/op, n=${n})`);
}

await rate("extensions.findCredentials", 50_000, (i) =>
  store.extensions.findCredentials("bench.pbx.test", String(200 + (i % 200))),
);
await rate("locations.current", 50_000, (i) => store.locations.current(ids[i % 200]!, now));
await rate("locations.upsert (fsync each)", 500, (i) =>
  store.locations.upsert({
    aor: ids[i % 200]!,
    contact: `sip:${ids[i % 200]}@127.0.0.1:5070`,
    expiresAt: now + 3600_000,
    callId: `c${i}`,
    cseq: i + 2,
    transport: "udp",
    sourceAddress: "127.0.0.1",
    sourcePort: 5070,
  }),
);
await store.close();
tmp.remove();
