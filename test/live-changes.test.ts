import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { freePort } from "./helpers/ports.js";
import { phoneArgs, runSipp } from "./helpers/sipp.js";

// Issue 15: the switch answers REGISTER and INVITE from credentials and bindings held in memory.
// A change made with the `centrex` CLI (another process, writing the same SQLite file) must
// count on the very next request, without a restart — as it did when every request read SQLite.
let sw: RunningSwitch;
const NEW_PASSWORD = "zz9-Red-heron-lake";

async function cli(...args: string[]): Promise<void> {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, r.stderr);
}

/** REGISTER 201 with `password`; `refused`: the scenario expecting 403 after the challenge. */
async function register(password: string, refused: boolean): Promise<void> {
  const r = await runSipp({
    scenario: refused ? "register-wrong-password.xml" : "register-uac.xml",
    server: `127.0.0.1:${sw.port}`,
    localPort: await freePort(),
    extraArgs: phoneArgs({
      user: "201",
      domain: "pbx.test",
      password,
      // register-wrong-password.xml declares no `expires` variable (SIPp refuses to set it).
      ...(!refused && { vars: { expires: "600" } }),
    }),
  });
  assert.is(
    r.code,
    0,
    `${refused ? "expected 403" : "expected 200"} with ${password === NEW_PASSWORD ? "the new" : "the old"} password: ${r.errors}`,
  );
}

test.before(async () => {
  sw = await startSwitch({});
  await cli("customer", "add", "Acme", "--domain", "pbx.test");
  await cli("extension", "add", "pbx.test", "201", "--password", passwordOf("201"));
});

test.after(async () => {
  await sw?.stop();
});

test("a password changed and an extension disabled with the CLI count on the next REGISTER", async () => {
  await register(passwordOf("201"), false); // the switch now holds 201's credentials in memory
  await cli("extension", "passwd", "pbx.test", "201", "--password", NEW_PASSWORD);
  await register(passwordOf("201"), true);
  await register(NEW_PASSWORD, false);
  await cli("extension", "disable", "pbx.test", "201");
  await register(NEW_PASSWORD, true);
});

test.run();
