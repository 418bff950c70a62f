import { execFile } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import type { SippResult } from "./helpers/sipp.js";

// The switch inside the container image (.ci/container.sh builds and starts it, then runs this
// file): tenants made with the image's own `centrex` command, SIPp phones register to it on
// loopback and call each other through it. Not part of `npm test` (no `.test.ts`): it needs
// the running container, named by CENTREX_CONTAINER, listening at CENTREX_CONTAINER_SIP.
const NAME = process.env.CENTREX_CONTAINER ?? "";
const SIP = process.env.CENTREX_CONTAINER_SIP ?? "";
const DOMAIN = "pbx.test";
const DB = "/var/lib/centrex/centrex.db";

function inContainer(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      "podman",
      ["exec", NAME, "node", "/opt/centrex/packages/server/bin/centrex.mjs", ...args, "--db", DB],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

test("tenants made with the image's centrex command", async () => {
  assert.ok(NAME && SIP, "CENTREX_CONTAINER and CENTREX_CONTAINER_SIP must be set");
  for (const args of [
    ["customer", "add", "Acme", "--domain", DOMAIN],
    ["extension", "add", DOMAIN, "201", "--password", passwordOf("201")],
    ["extension", "add", DOMAIN, "202", "--password", passwordOf("202")],
  ]) {
    const r = await inContainer(args);
    assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.out}`);
  }
});

test("a SIPp phone registers to the switch in the container and calls another through it", async () => {
  const phones = new SippPhones(SIP, DOMAIN);
  const reg = await phones.register("201");
  assert.is(reg.code, 0, explain(reg));
  const r = await phones.call("202", {}, {});
  assert.is(r.caller.code, 0, `caller: ${explain(r.caller)}`);
  assert.is(r.callee?.code, 0, `callee: ${explain(r.callee as SippResult)}`);
  const list = await inContainer(["extension", "list", DOMAIN]);
  assert.match(list.out, /^201\tenabled\t1 registered/m);
});

test.run();
