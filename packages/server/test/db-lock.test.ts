import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DatabaseInUseError, lockDatabase } from "../src/switch/db-lock.js";
import { freePort } from "./helpers/failover-pair.js";

// One database, one running switch: a second `centrex start` on it is refused, naming the
// holder; a lock left by a dead process does not block the next start.
const BIN = fileURLToPath(new URL("../bin/centrex.mjs", import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

test("a lock held by a live process refuses; a stale one is taken over; release removes it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-lock-"));
  const db = join(dir, "c.db");
  // A live process whose command line names centrex holds the lock.
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "centrex"], {
    stdio: "ignore",
  });
  try {
    writeFileSync(`${db}.lock`, `${holder.pid}\n`);
    assert.throws(
      () => lockDatabase(db),
      (e: unknown) => e instanceof DatabaseInUseError && e.pid === holder.pid && e.message.includes(db),
    );
    holder.kill("SIGKILL");
    await new Promise((r) => holder.once("exit", r));
    // Its process is gone: the lock is stale and taken over.
    const release = lockDatabase(db);
    assert.is(readFileSync(`${db}.lock`, "utf8").trim(), String(process.pid));
    release();
    assert.not.ok(existsSync(`${db}.lock`));
    release(); // idempotent
    // A pid now reused by a program that is not centrex does not hold the database either.
    writeFileSync(`${db}.lock`, `${process.ppid}\n`);
    const r2 = lockDatabase(db);
    r2();
  } finally {
    holder.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a second `centrex start` on a database a running switch holds is refused, naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-lock-e2e-"));
  const db = join(dir, "c.db");
  let first: ChildProcess | undefined;
  try {
    const port = await freePort();
    first = spawn(
      process.execPath,
      [BIN, "start", "--db", db, "--sip-address", "127.0.0.1", "--sip-port", String(port)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    first.stdout?.on("data", (d) => {
      out += d;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start in 30 s: ${out}`)), 30_000);
      first!.stdout?.on("data", () => {
        if (out.includes('"event":"started"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      first!.once("exit", (code) => reject(new Error(`first switch exited ${code}: ${out}`)));
    });
    const second = await run([
      "start",
      "--db",
      db,
      "--sip-address",
      "127.0.0.1",
      "--sip-port",
      String(await freePort()),
    ]);
    assert.is(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by the switch running as pid ${first.pid}`));
    assert.ok(second.stderr.includes(db), second.stderr);
    assert.is(second.stderr.trim().split("\n").length, 1, "one line");
    // The running switch is untouched, and its lock goes with it.
    assert.is(first.exitCode, null);
    const exited = new Promise((r) => first!.once("exit", r));
    first.kill("SIGTERM");
    await exited;
    assert.not.ok(existsSync(`${db}.lock`), "lock removed on a clean stop");
  } finally {
    first?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
