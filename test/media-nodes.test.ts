import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { provision, ROOT, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { stop } from "./helpers/processes.js";

// Separate media nodes (issue 4): `centrex media` processes controlled over TCP; the switch
// spreads calls over them and keeps anchoring new calls when one dies.
const BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");
const nodes: ChildProcess[] = [];
let sw: RunningSwitch;
let phones: SippPhones;

async function mediaNode(control: number, ports: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [BIN, "media", "--control", `127.0.0.1:${control}`, "--address", "127.0.0.1", "--ports", ports],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  nodes.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`media node did not start:\n${out}`)), 20_000);
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes('"event":"started"')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
  });
  return child;
}

test.before(async () => {
  const [c1, c2] = [await freePort(), await freePort()];
  await mediaNode(c1, "41000-41999");
  await mediaNode(c2, "42000-42999");
  const dir = mkdtempSync(join(tmpdir(), "centrex-media-"));
  const config = join(dir, "centrex.yaml");
  writeFileSync(
    config,
    `media:\n  nodes:\n    - { host: 127.0.0.1, port: ${c1} }\n    - { host: 127.0.0.1, port: ${c2} }\n`,
  );
  sw = await startSwitch({ args: ["--config", config], sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test");
  await provision(sw.db, [
    ["customer", "add", "Acme", "--domain", "pbx.test"],
    ["extension", "add", "pbx.test", "201", "--password", passwordOf("201")],
    ["extension", "add", "pbx.test", "202", "--password", passwordOf("202")],
  ]);
});

test.after(async () => {
  await sw?.stop();
  for (const n of nodes) await stop(n);
});

test("calls are anchored on a remote media node", async () => {
  const r = await phones.call("202", {}, { offerPort: "4[12][0-9]{3}" });
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee)}`);
});

test("when a media node dies, new calls are anchored on the other one", async () => {
  const first = nodes[0]!;
  await stop(first, "SIGKILL");
  for (let i = 0; i < 2; i++) {
    const r = await phones.call("202", {}, { offerPort: "42[0-9]{3}" });
    assert.is(r.caller.code, 0, `call ${i} caller: ${explain(r.caller)}`);
    assert.is(r.callee?.code, 0, `call ${i} callee: ${explain(r.callee)}`);
  }
});

test.run();
