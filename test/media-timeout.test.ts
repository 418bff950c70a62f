import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { explain, SippPhones } from "./helpers/phones.js";

// A call whose media stopped is ended by the switch (BYE both ways), so no ghost call is billed.
let sw: RunningSwitch;

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-mt-"));
  const config = join(dir, "centrex.yaml");
  writeFileSync(config, "media:\n  timeoutSeconds: 2\n");
  sw = await startSwitch({ args: ["--config", config] });
  for (const args of [
    ["customer", "add", "Acme", "--domain", "pbx.test"],
    ["extension", "add", "pbx.test", "201", "--password", "secret-201"],
    ["extension", "add", "pbx.test", "202", "--password", "secret-202"],
  ]) {
    const r = await centrex([...args, "--db", sw.db]);
    assert.is(r.code, 0, r.stderr);
  }
});

test.after(async () => {
  await sw?.stop();
});

test("an answered call without media gets a BYE on both sides after the media timeout", async () => {
  // SIPp sends no RTP: both phones sit in the call until the switch hangs it up.
  const phones = new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test");
  const started = Date.now();
  const r = await phones.call("202", { hangup: "callee" }, { hangup: "caller" });
  assert.is(r.caller.code, 0, `caller got no BYE: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee got no BYE: ${explain(r.callee)}`);
  assert.ok(Date.now() - started >= 2000, "ended before the media timeout");
  assert.match(sw.logs(), /"event":"media-timeout"/);
});

test.run();
