// Soak: N phones registered and a steady call rate through the proxy and the media relay for a
// configurable time, with the switch's memory, event-loop lag, open file descriptors and live
// transactions sampled every second and written as an SVG chart (flat lines = no leak).
//
//   node --import tsx bench/soak/run.ts [--phones 50] [--cps 2] [--seconds 120] [--out DIR]
//
// The switch runs in this process (so its event loop and transaction table can be read
// directly); the phones are SIPp processes: one run registers every extension from the port
// the answering SIPp then listens on, one SIPp places calls at --cps (each talks 2 s and is
// hung up by the caller). Only 127.0.0.1. Config: defaults except keepaliveSeconds 0 (the
// registered SIPp phones do not answer OPTIONS) and quiet logs.

import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Switch, validateConfig } from "@centrex/server";
import { openSqliteStore } from "@centrex/store";
import { pino } from "pino";
import { freePort } from "../../test/helpers/ports.js";
import { calleeScenario, callerScenario } from "../../test/helpers/scenarios.js";
import { runSipp } from "../../test/helpers/sipp.js";
import { type Series, svgChart } from "./chart.js";

const { values } = parseArgs({
  options: {
    phones: { type: "string", default: "50" },
    cps: { type: "string", default: "2" },
    seconds: { type: "string", default: "120" },
    out: { type: "string", default: join(import.meta.dirname, "results") },
  },
});
const PHONES = Number(values.phones);
const CPS = Number(values.cps);
const SECONDS = Number(values.seconds);
const DOMAIN = "soak.test";
const TALK_MS = 2000;
const password = (n: number) => `Soak-${n.toString(36)}-Xq7z`;

async function tenant(db: string): Promise<string[]> {
  const store = openSqliteStore(db);
  const c = await store.customers.create({ name: "Soak", domain: DOMAIN });
  const numbers: string[] = [];
  for (let i = 0; i < PHONES; i++) {
    const number = String(1000 + i);
    await store.extensions.create({ customerId: c.id, number, password: password(1000 + i) });
    numbers.push(number);
  }
  await store.close();
  return numbers;
}

interface Sample {
  t: number;
  rssMiB: number;
  heapMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
  fds: number;
  transactions: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "centrex-soak-"));
  const db = join(dir, "soak.db");
  const numbers = await tenant(db);
  const port = await freePort();
  const config = validateConfig({
    sip: { listen: [{ transport: "udp", address: "127.0.0.1", port }] },
    store: { path: db },
    registrar: { keepaliveSeconds: 0 },
    log: { level: "warn" },
  });
  const sw = await Switch.start(config, pino({ level: "warn" }));
  const server = `127.0.0.1:${port}`;
  const phonePort = await freePort();
  try {
    // Every phone registers from the port the answering SIPp listens on afterwards (one SIPp
    // run each: this SIPp cannot take per-call credentials from a CSV file).
    for (const n of numbers) {
      const reg = await runSipp({
        scenario: "register-uac.xml",
        server,
        localPort: phonePort,
        timeoutMs: 10_000,
        extraArgs: [
          "-s",
          n,
          "-au",
          n,
          "-ap",
          password(Number(n)),
          "-set",
          "domain",
          DOMAIN,
          "-set",
          "expires",
          "3600",
        ],
      });
      if (reg.code !== 0) throw new Error(`registration of ${n} failed: ${reg.errors.slice(-1500)}`);
    }
    process.stdout.write(`${PHONES} phones registered\n`);

    const calls = Math.max(1, Math.round(CPS * SECONDS));
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const samples: Sample[] = [];
    const t0 = Date.now();
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({
        t: (Date.now() - t0) / 1000,
        rssMiB: m.rss / 2 ** 20,
        heapMiB: m.heapUsed / 2 ** 20,
        lagP99Ms: lag.percentile(99) / 1e6,
        lagMaxMs: lag.max / 1e6,
        fds: readdirSync("/proc/self/fd").length,
        transactions: sw.parts.stack.transactions.size,
      });
      lag.reset();
    };
    const timer = setInterval(sample, 1000);
    const callee = runSipp({
      scenario: calleeScenario({ hangup: "caller" }),
      server,
      localPort: phonePort,
      calls,
      rate: 1000,
      timeoutMs: (SECONDS + 60) * 1000,
    });
    await new Promise((r) => setTimeout(r, 500));
    const caller = await runSipp({
      scenario: callerScenario({ hangup: "caller", talkMs: TALK_MS }),
      server,
      calls,
      rate: CPS,
      timeoutMs: (SECONDS + 60) * 1000,
      extraArgs: [
        "-s",
        numbers[1]!,
        "-au",
        numbers[0]!,
        "-ap",
        password(1000),
        "-set",
        "domain",
        DOMAIN,
        "-set",
        "caller",
        numbers[0]!,
        "-l",
        String(Math.ceil(CPS * 4) + 10),
      ],
    });
    const answered = await callee;
    // Let the transactions of the last calls end (Timer J/K), then a last sample.
    await new Promise((r) => setTimeout(r, 35_000));
    sample();
    clearInterval(timer);
    const ok = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(caller.stdout)?.[1];
    const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(caller.stdout)?.[1];
    const summary = {
      phones: PHONES,
      cps: CPS,
      seconds: SECONDS,
      calls,
      successful: Number(ok ?? 0),
      failed: Number(failed ?? 0),
      callerExit: caller.code,
      calleeExit: answered.code,
      first: samples[0],
      last: samples.at(-1),
      maxLagMs: Math.max(...samples.map((s) => s.lagMaxMs)),
      maxTransactions: Math.max(...samples.map((s) => s.transactions)),
    };
    mkdirSync(values.out!, { recursive: true });
    const series = (title: string, unit: string, f: (s: Sample) => number): Series => ({
      title,
      unit,
      points: samples.map((s) => [s.t, f(s)] as const),
    });
    writeFileSync(
      join(values.out!, "soak.svg"),
      svgChart(
        `centrex soak: ${PHONES} phones, ${CPS} calls/s for ${SECONDS} s (${summary.successful}/${calls} calls OK)`,
        [
          series("resident memory", "MiB", (s) => s.rssMiB),
          series("heap used", "MiB", (s) => s.heapMiB),
          series("event-loop lag p99", "ms", (s) => s.lagP99Ms),
          series("open file descriptors", "count", (s) => s.fds),
          series("live transactions", "count", (s) => s.transactions),
        ],
      ),
    );
    writeFileSync(join(values.out!, "soak.json"), `${JSON.stringify({ summary, samples }, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\nchart: ${join(values.out!, "soak.svg")}\n`);
    if (summary.successful !== calls) process.exitCode = 1;
  } finally {
    await sw.stop(1000);
  }
}

await main();
