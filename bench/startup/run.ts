/**
 * Start-up cost of the `centrex` command, compiled JavaScript (dist/, what production and
 * `npx centrex` run) side by side with the TypeScript sources through tsx (what the command
 * did before, and still does in a checkout edited since its last build):
 *   npx tsx bench/startup/run.ts [rounds] [--node PATH]
 * - one-shot: `centrex customer list --db <file>` from spawn to exit, with `node -e 0` as the floor;
 * - start: `centrex start` from spawn to the first answer to a SIP OPTIONS to the server (200 OK
 *   from the switch's SIP stack, the store open and migrated) sent every 10 ms over UDP on
 *   127.0.0.1 (admin API on an ephemeral port so a running switch is not in the way); and, in
 *   the same runs, to "ready for calls": the first answer other than 503 (Starting) to an
 *   OPTIONS for a user, which only the proxy answers — everything wired, admin API listening.
 * --node PATH runs centrex (and the floor) with another Node binary, e.g. Node 24 LTS from
 * .ci/node24; the checkout's better-sqlite3 must then be built for that Node's ABI (the copy
 * `.ci/node24.sh` makes is; bench/startup/README.md says how the figures were taken).
 * Wall time depends on what else the machine runs, so CPU time is printed too: user + system
 * of the command (the shell's `times` after it exits) or of `start` up to its first answer
 * (/proc/<pid>/stat).
 * Needs `npx tsc -b` first (it says so if dist/ is stale).
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/helpers/ports.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");
const args = process.argv.slice(2);
const nodeAt = args.indexOf("--node");
const NODE = nodeAt >= 0 ? (args.splice(nodeAt, 2)[1] ?? process.execPath) : process.execPath;
const rounds = Number(args[0] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "centrex-startup-"));
const db = join(dir, "centrex.db");

interface Sample {
  wallMs: number;
  cpuMs: number;
}

interface StartSample {
  /** The first SIP answer (the switch's own 200 to OPTIONS). */
  answer: Sample;
  /** The first answer from the proxy (calls accepted: no more 503 Starting). */
  ready: Sample;
}

/** Runs `node args` to its end; wall time and the child's CPU time (from its /proc stat at exit). */
function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // `sh -c 'node …; cat /proc/$$/…'` cannot see a reaped child; `times` in the shell can.
    const child = spawn("sh", ["-c", `"${NODE}" "$@" >/dev/null; r=$?; times >&2; exit $r`, "sh", ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`exit ${code}: ${err}`));
      // `times` prints two lines: the shell's own user/system, then its children's.
      const lines = err.trim().split("\n");
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? "");
      const cpuMs = m
        ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000
        : Number.NaN;
      resolve({ wallMs, cpuMs });
    });
  });
}

/** Spawns `centrex start`; times to the first SIP answer and to the proxy's first answer. */
async function startOnce(env: NodeJS.ProcessEnv): Promise<StartSample> {
  const port = await freePort();
  const config = join(dir, `start-${port}.yaml`);
  writeFileSync(
    config,
    [
      "sip:",
      "  listen:",
      `    - { transport: udp, address: 127.0.0.1, port: ${port} }`,
      "admin:",
      "  port: 0",
      "log:",
      "  level: warn",
      "",
    ].join("\n"),
  );
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const local = sock.address().port;
  // `to` "" is the server itself (the SIP stack's core answers); "nobody@" goes to the proxy.
  const options = (n: number, user: "" | "nobody@") =>
    Buffer.from(
      `OPTIONS sip:${user}127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-startup-${user.length}-${n};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1>;tag=b${n}\r\nTo: <sip:${user}127.0.0.1:${port}>\r\n` +
        `Call-ID: startup-${port}-${user.length}-${n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    );
  const t0 = process.hrtime.bigint();
  const child = spawn(NODE, [BIN, "start", "--db", db, "--config", config], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  let n = 0;
  const timer = setInterval(() => {
    sock.send(options(n, ""), port, "127.0.0.1");
    sock.send(options(n, "nobody@"), port, "127.0.0.1");
    n++;
  }, 10);
  const now = (): Sample => ({
    wallMs: Number(process.hrtime.bigint() - t0) / 1e6,
    cpuMs: procCpuMs(child.pid),
  });
  try {
    return await new Promise<StartSample>((resolve, reject) => {
      let answer: Sample | undefined;
      let last = "nothing";
      const limit = setTimeout(
        () =>
          reject(new Error(`not ready in 30 s (first answer: ${answer?.wallMs ?? "none"}; last: ${last})`)),
        30_000,
      );
      sock.on("message", (msg) => {
        const text = msg.toString("latin1");
        last = text.slice(0, text.indexOf("\r\n"));
        const fromProxy = text.includes(`Call-ID: startup-${port}-7-`);
        if (!fromProxy) {
          if (answer === undefined && text.startsWith("SIP/2.0 200 ")) answer = now();
          return;
        }
        if (text.startsWith("SIP/2.0 503 ")) return;
        const ready = now();
        clearTimeout(limit);
        resolve({ answer: answer ?? ready, ready });
      });
      child.once("exit", (code) => reject(new Error(`centrex start exited with ${code}`)));
    });
  } finally {
    clearInterval(timer);
    sock.close();
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

/** user + system CPU time of a live process so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function procCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function summary(label: string, samples: Sample[]): void {
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] ?? Number.NaN;
  };
  const wall = samples.map((s) => s.wallMs);
  const cpu = samples.map((s) => s.cpuMs).filter((x) => !Number.isNaN(x));
  const cpuText = cpu.length ? `  cpu median ${med(cpu).toFixed(0)} ms` : "";
  console.log(
    `${label.padEnd(38)} n=${samples.length}  wall median ${med(wall).toFixed(0)} ms  min ${Math.min(...wall).toFixed(0)} ms  max ${Math.max(...wall).toFixed(0)} ms${cpuText}`,
  );
}

const compiled = { ...process.env, CENTREX_FROM_SOURCE: "0" };
const source = { ...process.env, CENTREX_FROM_SOURCE: "1" };
try {
  // One-shot commands refuse a database that does not exist: create it first.
  await runOnce([BIN, "init", "--db", db], compiled);
  await runOnce([BIN, "customer", "add", "Bench", "--domain", "bench.example", "--db", db], compiled);
  const floor: Sample[] = [];
  const oneShotCompiled: Sample[] = [];
  const oneShotSource: Sample[] = [];
  const startCompiled: StartSample[] = [];
  const startSource: StartSample[] = [];
  const list = [BIN, "customer", "list", "--db", db];
  // Interleaved, so a burst of load elsewhere on the machine hits every variant alike.
  for (let i = 0; i < rounds; i++) {
    floor.push(await runOnce(["-e", "0"], compiled));
    oneShotCompiled.push(await runOnce(list, compiled));
    oneShotSource.push(await runOnce(list, source));
    startCompiled.push(await startOnce(compiled));
    startSource.push(await startOnce(source));
  }
  const version = await new Promise<string>((resolve) => {
    const v = spawn(NODE, ["--version"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    v.stdout.on("data", (d) => {
      out += d;
    });
    v.on("close", () => resolve(out.trim()));
  });
  console.log(`node ${version}, ${rounds} rounds, load average ${(await loadavg()).join(" ")}`);
  summary("node -e 0 (floor)", floor);
  summary("customer list, compiled", oneShotCompiled);
  summary("customer list, tsx sources", oneShotSource);
  summary(
    "start → SIP answer, compiled",
    startCompiled.map((s) => s.answer),
  );
  summary(
    "start → SIP answer, tsx sources",
    startSource.map((s) => s.answer),
  );
  summary(
    "start → ready for calls, compiled",
    startCompiled.map((s) => s.ready),
  );
  summary(
    "start → ready for calls, tsx sources",
    startSource.map((s) => s.ready),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function loadavg(): Promise<string[]> {
  const { loadavg } = await import("node:os");
  return loadavg().map((x) => x.toFixed(2));
}
