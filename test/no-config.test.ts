import { existsSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assertHeardBothWays, connect, hangUp, Phones, sleep } from "./helpers/baresip-calls.js";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";

// What a new operator gets from the README's `centrex start` with nothing configured: no
// configuration file at all, only the flags the test environment forces (test/README.md:
// --db for a fresh database, --sip-address 127.0.0.1 and a free --sip-port, since tests may
// only use loopback and run side by side). Two real phones (baresip) register with digest on
// the embedded defaults, call each other, and each must hear the other's tone.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
const phones = new Phones();
let sw: RunningSwitch | undefined;

test.after(async () => {
  await phones.stopAll();
  await sw?.stop();
});

async function cli(...args: string[]) {
  const r = await centrex([...args, "--db", sw!.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test("centrex start without any configuration: two baresip phones register, call, and hear each other", async () => {
  sw = await startSwitch();
  assert.not.ok(sw.child.spawnargs.includes("--config"), "no configuration file is given");
  assert.ok(existsSync(sw.db));
  await cli("customer", "add", "Acme", "--domain", DOMAIN);
  await cli("extension", "add", DOMAIN, "201", "--password", passwordOf("201"));
  await cli("extension", "add", DOMAIN, "202", "--password", passwordOf("202"));
  const proxy = `sip:${sw.address}:${sw.port};transport=udp`;
  const a = await phones.registered({ name: "A", tone: TONE_A, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({ name: "B", tone: TONE_B, ext: "202", domain: DOMAIN, proxy });
  assert.match(await cli("extension", "list", DOMAIN), /^201\t\S+\t1 registered/m);

  await connect(a, b, `sip:202@${DOMAIN}`);
  await sleep(3000); // talk
  await hangUp(a, b);
  assertHeardBothWays(a, TONE_A, b, TONE_B);
});

test.run();
