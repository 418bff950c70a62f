import { existsSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { whyNotHeard } from "./helpers/audio.js";
import { BaresipPhone } from "./helpers/baresip.js";
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
const phones: BaresipPhone[] = [];
let sw: RunningSwitch | undefined;

test.after(async () => {
  await Promise.all(phones.map((p) => p.stop()));
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
  const a = await BaresipPhone.start({ name: "A", tone: TONE_A });
  phones.push(a);
  const b = await BaresipPhone.start({ name: "B", tone: TONE_B });
  phones.push(b);
  const regA = await a.register({
    aor: `sip:201@${DOMAIN}`,
    password: passwordOf("201"),
    outboundProxy: proxy,
  });
  const regB = await b.register({
    aor: `sip:202@${DOMAIN}`,
    password: passwordOf("202"),
    outboundProxy: proxy,
  });
  assert.is(regA.type, "REGISTER_OK", `A: ${regA.param}\n${sw.logs().slice(-2000)}`);
  assert.is(regB.type, "REGISTER_OK", `B: ${regB.param}`);
  assert.match(await cli("extension", "list", DOMAIN), /^201\t\S+\t1 registered/m);

  await a.dial(`sip:202@${DOMAIN}`);
  const [upA, upB] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    b.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(upA.id, upB.id, "both ends of one dialog");
  await new Promise((r) => setTimeout(r, 3000)); // talk
  await a.hangup();
  await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
  const heardByA = whyNotHeard(a.recordedWav(), TONE_B, TONE_A);
  const heardByB = whyNotHeard(b.recordedWav(), TONE_A, TONE_B);
  assert.ok(heardByA === undefined, `A (should hear B's ${TONE_B} Hz): ${heardByA}`);
  assert.ok(heardByB === undefined, `B (should hear A's ${TONE_A} Hz): ${heardByB}`);
});

test.run();
