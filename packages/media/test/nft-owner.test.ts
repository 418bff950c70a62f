import { execFileSync, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ownerComment, removeStaleTables, staleTables } from "../src/index.js";

// Tables of a centrex process that died without cleaning (SIGKILL, OOM) are removed by the
// next one to start; live owners' tables, other namespaces' and foreign tables are left alone.

const ns = /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))![1]!;

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

test("the mark names this process and its PID namespace", () => {
  assert.is(ownerComment(), `centrex pid ${process.pid} pidns ${ns}`);
});

test("only tables of exited owners in this PID namespace are stale", () => {
  const dead = deadPid();
  const ruleset = [
    `table inet centrex_guard_5060 {\n\tcomment "centrex pid ${dead} pidns ${ns}"\n\tset ban4 {\n\t}\n}`,
    `table ip centrex_30000_39999 {\n\tcomment "centrex pid ${process.pid} pidns ${ns}"\n}`,
    `table ip centrex_40000_40099 {\n\tcomment "centrex pid ${dead} pidns 1"\n}`,
    `table inet filter {\n\tcomment "centrex pid ${dead} pidns ${ns}"\n}`,
    "table ip centrex_old {\n\tchain c {\n\t}\n}",
  ].join("\n");
  assert.equal(staleTables(ruleset), ["inet centrex_guard_5060"]);
});

test("a dead owner's table is deleted from the kernel, a live owner's kept (root and nft)", async () => {
  const dead = deadPid();
  const nft = (script: string) => execFileSync("nft", ["-f", "-"], { input: script });
  nft(
    `table inet centrex_test_dead { comment "centrex pid ${dead} pidns ${ns}"; set s { type ipv4_addr; }; }`,
  );
  nft(`table inet centrex_test_live { comment "${ownerComment()}"; set s { type ipv4_addr; }; }`);
  try {
    const removed = await removeStaleTables();
    assert.ok(removed.includes("inet centrex_test_dead"), `removed: ${removed.join(", ")}`);
    const left = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
    assert.not.match(left, /centrex_test_dead/);
    assert.match(left, /centrex_test_live/);
  } finally {
    for (const t of ["centrex_test_dead", "centrex_test_live"])
      spawnSync("nft", ["delete", "table", "inet", t]);
  }
});

test.run();
