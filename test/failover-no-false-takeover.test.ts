import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers/centrex.js";
import {
  commonFreePort,
  type PairNode,
  pairNode,
  type RunningNode,
  startPairNode,
  until,
  writePairConfig,
} from "./helpers/failover-dns.js";

// Issue 13: an operator provisions 10,000 extensions with a script (another process) writing
// into the primary's database while the pair runs. The primary's main thread keeps waiting on
// SQLite's write lock, so its SIP stack answers late; before health moved to a worker thread
// this made the standby take over a primary that was alive (probes of 200 ms, 3 misses). Now
// the standby must stay standby, the primary primary, and every row must reach the standby.

const N = 10_000;
const nodes: RunningNode[] = [];
const dirs: string[] = [];

test.after.each(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop("SIGKILL")));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function role(node: PairNode): Promise<string | undefined> {
  try {
    const r = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(1000) });
    return String(((await r.json()) as { role?: unknown }).role);
  } catch {
    return undefined;
  }
}

function extensionCount(db: string): number {
  const d = new Database(db, { readonly: true, timeout: 5000 });
  try {
    return d.prepare("SELECT count(*) FROM extensions").pluck().get() as number;
  } finally {
    d.close();
  }
}

function writeExtensions(db: string, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test", "helpers", "write-extensions.ts"), db, "bulk.test", String(n)],
      { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`writer exited ${code}: ${out}`)),
    );
  });
}

test("10,000 extensions written into the primary's DB by another process: no takeover, all replicated", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-no-false-takeover-"));
  dirs.push(dir);
  const sipPort = await commonFreePort(["127.0.0.2", "127.0.0.3"]);
  const a = await pairNode(dir, "node-a", "127.0.0.2", sipPort);
  const b = await pairNode(dir, "node-b", "127.0.0.3", sipPort);
  writePairConfig(dir, a, b, { kind: "embedded" });
  writePairConfig(dir, b, a, { kind: "embedded" });
  const nodeA = startPairNode(a, "primary");
  nodes.push(nodeA);
  await until(async () => (await role(a)) === "primary", 20_000, `A primary:\n${nodeA.logs()}`, 100);
  const nodeB = startPairNode(b, "standby");
  nodes.push(nodeB);
  await until(async () => (await role(b)) === "standby", 20_000, `B standby:\n${nodeB.logs()}`, 100);

  // Watch both roles every 50 ms for the whole write, from this (unblocked) process.
  const seen = { a: new Set<string>(), b: new Set<string>() };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const [ra, rb] = await Promise.all([role(a), role(b)]);
      if (ra !== undefined) seen.a.add(ra);
      if (rb !== undefined) seen.b.add(rb);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let report: string;
  let replicated: Error | undefined;
  try {
    report = await writeExtensions(a.db, N);
    replicated = await until(() => extensionCount(b.db) === N, 30_000, "every row replicated to B", 200).then(
      () => undefined,
      (err: Error) => err,
    );
  } finally {
    watching = false;
    await watcher;
  }
  console.log(`  ${report}; roles seen: A ${[...seen.a].join("/")}, B ${[...seen.b].join("/")}`);
  assert.equal([...seen.b], ["standby"], `B never took over:\n${nodeB.logs().slice(-3000)}`);
  assert.equal([...seen.a], ["primary"], "A was never fenced");
  assert.not.match(nodeB.logs(), '"event":"takeover"');
  assert.is(replicated, undefined, String(replicated));
  assert.is(extensionCount(a.db), N);
});

test.run();
