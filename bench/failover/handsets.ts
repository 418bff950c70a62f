/**
 * Issue 7: how long until N desk phones are back in service on the standby after the primary dies.
 *   npx tsx bench/failover/handsets.ts --phones 1000 --mode a|srv [--refresh 6] [--expires 30]
 * Two `centrex start` nodes as a pair (primary 127.0.0.2, standby 127.0.0.3, one SIP port, DNS TTL
 * 5 s, the standby's embedded DNS server answering the service name); N simulated phones in this
 * one process register by that name, then the primary is SIGKILLed. Printed: detection (kill →
 * standby's `GET /health` says primary), DNS switch (kill → the name resolves to the standby),
 * kill → 50/90/100 % of the phones with a 200 OK from the standby, the REGISTER storm the standby
 * answered, and failures. Loopback only; every process started is killed by PID at the end.
 */
import { createSocket, type Socket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openSqliteStore } from "@centrex/store";
import Database from "better-sqlite3";
import {
  commonFreePort,
  type PairNode,
  pairNode,
  type RunningNode,
  SERVICE,
  startPairNode,
  until,
  writePairConfig,
} from "../../test/helpers/failover-dns.js";
import { byCallId, Handset, type HandsetEvents, type Mode } from "./handset.js";

const { values: args } = parseArgs({
  options: {
    phones: { type: "string", default: "1000" },
    mode: { type: "string", default: "a" },
    refresh: { type: "string", default: "6" },
    expires: { type: "string", default: "30" },
    deadline: { type: "string", default: "60" },
  },
});
const N = Number(args.phones);
const MODE = args.mode as Mode;
if (!(N >= 1 && N <= 10_000) || (MODE !== "a" && MODE !== "srv")) {
  throw new Error("usage: --phones 1..10000 --mode a|srv");
}
const REFRESH_MS = Number(args.refresh) * 1000;
const EXPIRES = Number(args.expires);
const DEADLINE_MS = Number(args.deadline) * 1000;
/** One socket per phone up to 1,000 phones; above, 100 phones share one (20,000 fd hard limit). */
const PER_SOCKET = N <= 1000 ? 1 : 100;
const DOMAIN = "pbx.test";

const started: RunningNode[] = [];
const sockets: Socket[] = [];
const phones: Handset[] = [];
let dir: string | undefined;

async function role(node: PairNode): Promise<unknown> {
  try {
    const r = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(500) });
    return ((await r.json()) as { role?: unknown }).role;
  } catch {
    return undefined;
  }
}

function replicatedExtensions(db: string): number {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare("SELECT count(*) AS n FROM extensions").get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return -1;
  }
}

/** Quieter logs (the storm logs every REGISTER at info) and the phones' expiry allowed. */
function tuneConfig(node: PairNode): void {
  const c = JSON.parse(readFileSync(node.configFile, "utf8"));
  c.log.level = "warn";
  writeFileSync(node.configFile, `${JSON.stringify(c, null, 2)}\n`);
}

function pct(sorted: readonly number[], q: number): string {
  if (sorted.length < Math.ceil(q * N)) return "not reached";
  const v = sorted[Math.max(0, Math.ceil(q * N) - 1)];
  return v === undefined ? "not reached" : `${(v / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), "centrex-bench-failover-"));
  const sipPort = await commonFreePort(["127.0.0.2", "127.0.0.3"]);
  const a = await pairNode(dir, "node-a", "127.0.0.2", sipPort);
  const b = await pairNode(dir, "node-b", "127.0.0.3", sipPort);
  writePairConfig(dir, a, b, { kind: "embedded" });
  writePairConfig(dir, b, a, { kind: "embedded" });
  tuneConfig(a);
  tuneConfig(b);

  // Written before the pair starts: the standby takes it in its first snapshot. (Written while the
  // primary runs, 10,000 rows in ~3 s from another process made the standby take over: see README.)
  const tProv = Date.now();
  const store = openSqliteStore(a.db);
  try {
    const customer = await store.customers.create({ name: "Bench", domain: DOMAIN });
    for (let i = 0; i < N; i++) {
      await store.extensions.create({
        customerId: customer.id,
        number: String(10000 + i),
        password: `password-${i}`,
      });
    }
  } finally {
    store.close();
  }
  console.log(`provisioned ${N} extensions on A in ${Date.now() - tProv} ms`);
  const nodeA = startPairNode(a, "primary");
  started.push(nodeA);
  await until(async () => (await role(a)) === "primary", 30_000, `A primary:\n${nodeA.logs()}`, 100);
  const nodeB = startPairNode(b, "standby");
  started.push(nodeB);
  await until(async () => (await role(b)) === "standby", 30_000, `B standby:\n${nodeB.logs()}`, 100);

  let lastCount = 0;
  await until(
    () => {
      lastCount = replicatedExtensions(b.db);
      return lastCount >= N;
    },
    180_000,
    `extensions replicated to B (${N}), last count seen`,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${lastCount}`);
  });
  console.log(`... pair started and the extensions replicated to B after ${Date.now() - tProv} ms`);

  const dnsServer = `${b.address}:${b.dnsPort}`;
  const resolver = new Resolver({ timeout: 500, tries: 2 });
  resolver.setServers([dnsServer]);

  // ---- counters
  let killAt = 0;
  const registeredOnB: number[] = []; // ms after the kill, one per phone (first 200 OK from B)
  const seenOnB = new Set<Handset>();
  const firstFailure = new Set<Handset>();
  const firstSent = new Map<Handset, number>();
  const outage: number[] = []; // per phone: first REGISTER sent after the kill → 200 OK from B
  const bResponsesPerSecond: number[] = [];
  let sentToB = 0;
  let timeouts = 0;
  let refusals = 0;
  let dnsErrors = 0;
  let registeredBefore = 0;
  const events: HandsetEvents = {
    sent(h, address) {
      if (killAt === 0) return;
      if (address === b.address) sentToB++;
      if (!firstSent.has(h)) firstSent.set(h, Date.now());
    },
    response(_h, _status, from) {
      if (killAt === 0 || from !== b.address) return;
      const s = Math.floor((Date.now() - killAt) / 1000);
      bResponsesPerSecond[s] = (bResponsesPerSecond[s] ?? 0) + 1;
    },
    failed(h, why) {
      if (killAt === 0) return;
      if (why === "timeout") timeouts++;
      else if (why === "status") refusals++;
      else dnsErrors++;
      firstFailure.add(h);
    },
    registered(h, from) {
      if (killAt === 0) {
        if (from === a.address) registeredBefore++;
        return;
      }
      if (from !== b.address || seenOnB.has(h)) return;
      seenOnB.add(h);
      const now = Date.now();
      registeredOnB.push(now - killAt);
      const f = firstSent.get(h);
      if (f !== undefined && firstFailure.has(h)) outage.push(now - f);
    },
  };

  // ---- the phones
  for (let s = 0; s < Math.ceil(N / PER_SOCKET); s++) {
    const sock = createSocket("udp4");
    sock.on("message", (msg, rinfo) => {
      const text = msg.toString("latin1");
      if (!text.startsWith("SIP/2.0 ")) return; // requests to the phones are not part of this bench
      const id = /\r\nCall-ID:\s*([^\r\n]+)/i.exec(text)?.[1]?.trim();
      if (id !== undefined) byCallId.get(id)?.onResponse(text, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    sockets.push(sock);
  }
  for (let i = 0; i < N; i++) {
    const socket = sockets[Math.floor(i / PER_SOCKET)] as Socket;
    phones.push(
      new Handset({
        ext: String(10000 + i),
        password: `password-${i}`,
        domain: DOMAIN,
        service: SERVICE,
        sipPort,
        mode: MODE,
        expires: EXPIRES,
        refreshMs: REFRESH_MS,
        timeoutMs: MODE === "srv" ? 1000 : 2000,
        retryMs: 1000,
        socket,
        localPort: socket.address().port,
        resolver,
        events,
      }),
    );
  }
  // Spread over one refresh period, so the refreshes are evenly spaced when the primary dies.
  for (const [i, p] of phones.entries()) p.start(Math.floor((i * REFRESH_MS) / N));
  await until(
    () => phones.every((p) => p.registeredAt > 0),
    REFRESH_MS + 60_000,
    `all ${N} phones registered on A (${phones.filter((p) => p.registeredAt > 0).length} so far)`,
    100,
  );
  // One more period in steady state: the phones are mid-cycle, as they would be in real life.
  await new Promise((r) => setTimeout(r, REFRESH_MS));
  console.log(
    `${N} phones registered on A (${registeredBefore} 200 OKs from A); killing A (pid ${nodeA.child.pid})`,
  );

  const roles = [await role(a), await role(b)];
  if (roles[0] !== "primary" || roles[1] !== "standby") throw new Error(`pair not primary/standby: ${roles}`);
  // ---- the failure
  killAt = Date.now();
  nodeA.child.kill("SIGKILL");
  let detection = Number.NaN;
  let dnsSwitch = Number.NaN;
  const probes = [
    until(async () => (await role(b)) === "primary", 30_000, "B promoted", 10).then(() => {
      detection = Date.now() - killAt;
    }),
    until(
      async () => {
        const r = new Resolver({ timeout: 300, tries: 1 });
        r.setServers([dnsServer]);
        return (await r.resolve4(SERVICE).catch((): string[] => [])).includes(b.address);
      },
      30_000,
      "the name resolves to B",
      10,
    ).then(() => {
      dnsSwitch = Date.now() - killAt;
    }),
  ];
  await Promise.all(probes);
  await until(() => seenOnB.size >= N, DEADLINE_MS, "all phones on B", 50).catch(() => undefined);
  const elapsed = Date.now() - killAt;

  registeredOnB.sort((x, y) => x - y);
  outage.sort((x, y) => x - y);
  const stormSeconds = Array.from(bResponsesPerSecond, (v) => v ?? 0);
  const peak = Math.max(0, ...stormSeconds);
  const lastMs = registeredOnB.at(-1) ?? elapsed;
  const firstMs = registeredOnB[0] ?? 0;
  const mean = (sentToB * 1000) / Math.max(1, lastMs - Math.min(firstMs, detection));
  const o = (q: number): string => {
    const v = outage[Math.max(0, Math.ceil(q * outage.length) - 1)];
    return v === undefined ? "n/a" : `${(v / 1000).toFixed(2)} s`;
  };

  console.log("");
  console.log(`### ${N} phones, ${MODE === "a" ? "A record (TTL 5 s)" : "SRV"} mode`);
  console.log("");
  console.log("| measure | value |");
  console.log("|---|---|");
  console.log(`| phones / sockets | ${N} / ${sockets.length} (${PER_SOCKET} phone(s) per socket) |`);
  console.log(`| REGISTER refresh / expires | every ${REFRESH_MS / 1000} s / ${EXPIRES} s |`);
  console.log(`| detection (kill → standby /health role=primary) | ${(detection / 1000).toFixed(2)} s |`);
  console.log(`| DNS switch (kill → name resolves to standby) | ${(dnsSwitch / 1000).toFixed(2)} s |`);
  console.log(`| kill → 50 % registered on standby | ${pct(registeredOnB, 0.5)} |`);
  console.log(`| kill → 90 % registered on standby | ${pct(registeredOnB, 0.9)} |`);
  console.log(`| kill → 100 % registered on standby | ${pct(registeredOnB, 1)} |`);
  console.log(
    `| phones that hit the dead primary: their first REGISTER after the kill → 200 OK from standby, p50 / p90 / max (${outage.length} phones) | ${o(0.5)} / ${o(0.9)} / ${o(1)} |`,
  );
  console.log(`| REGISTERs sent to the standby (incl. challenged ones and 503s) | ${sentToB} |`);
  console.log(
    `| standby responses/s, peak 1-s bucket / mean over the storm | ${peak} / ${mean.toFixed(0)} |`,
  );
  console.log(`| phones not on standby after ${(elapsed / 1000).toFixed(1)} s | ${N - seenOnB.size} |`);
  console.log(
    `| failed attempts after kill: timeouts / 503 or other / DNS errors | ${timeouts} / ${refusals} / ${dnsErrors} |`,
  );
  console.log("");
  console.log(`standby responses per second after the kill: ${stormSeconds.join(" ")}`);
}

async function cleanup(): Promise<void> {
  for (const p of phones) p.stop();
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
  await Promise.all(started.map((n) => n.stop("SIGKILL")));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

process.once("SIGINT", () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
