import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ledger, loadLedgerKey } from "../src/index.js";
import { tempDir } from "./helpers.js";

const child = fileURLToPath(new URL("./append-child.ts", import.meta.url));

/** Runs the appender, kills it with SIGKILL after `afterMs`, returns the seqs it acknowledged. */
function runAndKill(
  path: string,
  seed: string,
  afterMs: number,
): Promise<{ acked: number[]; opened: string[] }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, path, seed, "node-k"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      // Start the random delay once the child is actually appending.
      if (!timer && out.includes("\n")) {
        timer = setTimeout(() => {
          killed = true;
          p.kill("SIGKILL");
        }, afterMs);
      }
    });
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    p.on("error", reject);
    p.on("close", () => {
      if (timer) clearTimeout(timer);
      if (!killed) return reject(new Error(`child exited by itself: ${err}`));
      // A line cut by the kill has no "\n" and is ignored: that seq was never acknowledged.
      const lines = out.split("\n").slice(0, -1);
      resolve({
        acked: lines.filter((l) => /^\d+$/.test(l)).map(Number),
        opened: lines.filter((l) => l.startsWith("open ")).map((l) => l.slice(5)),
      });
    });
  });
}

test("kill -9 at a random moment loses no acknowledged record; the chain verifies", async () => {
  const tmp = tempDir();
  const path = tmp.file("kill.db");
  const seed = randomBytes(32).toString("hex");
  const key = loadLedgerKey(seed);
  let lastAcked = 0;
  for (let round = 0; round < 3; round++) {
    const afterMs = 150 + Math.floor(Math.random() * 400);
    const { acked, opened } = await runAndKill(path, seed, afterMs);
    assert.ok(acked.length > 0, "the child appended something");
    const store = openSqliteStore(path);
    try {
      const ledger = new Ledger({ store, node: "node-k", key });
      const head = await store.cdrs.head("node-k");
      const max = Math.max(...acked);
      assert.ok(head && head.seq >= max, `head ${head?.seq} < acknowledged ${max}`);
      const seqs = new Set((await store.cdrs.page("node-k", 0, 100_000)).map((r) => r.seq));
      for (const s of acked) assert.ok(seqs.has(s), `acknowledged record ${s} is missing`);
      assert.ok(acked[0]! > lastAcked, "each round continues the same chain");
      lastAcked = max;
      // Calls the child had open (started, never ended) are closed as interrupted on restart.
      const stillOpen = new Set((await store.cdrs.openCalls("node-k")).map((c) => c.callId));
      for (const id of opened) assert.ok(stillOpen.has(id), `open call ${id} lost`);
      const closed = await ledger.closeInterruptedCalls(Date.now());
      assert.is(closed.length, stillOpen.size);
      assert.ok(closed.every((c) => c.disposition === "interrupted"));
      const report = await ledger.verify();
      assert.ok(report.ok, JSON.stringify(report.fault));
      console.log(
        `  round ${round}: killed after ${afterMs} ms, ${acked.length} acknowledged, head ${head.seq}`,
      );
    } finally {
      await store.close();
    }
  }
  tmp.remove();
});

test.run();
