import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, provision, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { freePort } from "./helpers/ports.js";
import { phoneArgs, runSipp } from "./helpers/sipp.js";

// NAT keepalive (issue 3): bindings are pinged with OPTIONS; a phone that stops answering is removed.
let sw: RunningSwitch;

async function registered(ext: string): Promise<number> {
  const r = await centrex(["extension", "list", "pbx.test", "--db", sw.db]);
  const line = r.stdout.split("\n").find((l) => l.startsWith(`${ext}\t`));
  return Number(/(\d+) registered/.exec(line ?? "")?.[1] ?? -1);
}

async function register(ext: string, port: number) {
  const r = await runSipp({
    scenario: "register-uac.xml",
    server: `127.0.0.1:${sw.port}`,
    localPort: port,
    extraArgs: phoneArgs({ user: ext, domain: "pbx.test", vars: { expires: "600" } }),
  });
  assert.is(r.code, 0, r.errors);
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-ka-"));
  const config = join(dir, "centrex.yaml");
  // Short timers so Timer F (64*T1) expires in 3.2 s.
  writeFileSync(config, "sip:\n  timers:\n    t1: 50\nregistrar:\n  keepaliveSeconds: 1\n");
  sw = await startSwitch({ args: ["--config", config] });
  await provision(sw.db, [
    ["customer", "add", "Acme", "--domain", "pbx.test"],
    ["extension", "add", "pbx.test", "201", "--password", passwordOf("201")],
    ["extension", "add", "pbx.test", "202", "--password", passwordOf("202")],
  ]);
});

test.after(async () => {
  await sw?.stop();
});

test("a phone that answers the keepalive OPTIONS stays registered", async () => {
  const port = await freePort();
  await register("201", port);
  const r = await runSipp({
    scenario: "options-uas.xml",
    server: `127.0.0.1:${sw.port}`,
    localPort: port,
    timeoutMs: 5000,
  });
  assert.is(r.code, 0, `no keepalive OPTIONS reached the phone: ${r.errors}`);
  assert.is(await registered("201"), 1);
});

test("a phone that went away is removed once its keepalive times out", async () => {
  const port = await freePort();
  await register("202", port); // then SIPp exits: nothing answers on that port any more
  assert.is(await registered("202"), 1);
  const deadline = Date.now() + 15_000;
  let n = 1;
  while (Date.now() < deadline && n !== 0) {
    await new Promise((r) => setTimeout(r, 500));
    n = await registered("202");
  }
  assert.is(n, 0, "binding of an unreachable phone still present");
});

test.run();
