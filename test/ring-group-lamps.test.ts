import { test } from "uvu";
import * as assert from "uvu/assert";
import { startSwitchForBaresip } from "./helpers/baresip.js";
import { LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { passwordOf } from "./helpers/passwords.js";
import { phoneArgs, runSipp } from "./helpers/sipp.js";

// A simultaneous ring group with real phones (baresip) on the embedded defaults: 201 dials the
// group 600 (202, 203); both baresip phones ring, 202 takes the call, 203 stops ringing. A SIPp
// lamp key (RFC 4235) on member 202 must see the group call ringing, then busy, then idle —
// the group's members' lamps follow the group call, not only a direct one.
const DOMAIN = "pbx.test";
const phones = new Phones();
const pbx = new LazySwitch(() =>
  startSwitchForBaresip({
    domain: DOMAIN,
    extensions: ["201", "202", "203", "204"].map((e) => [e, passwordOf(e)] as [string, string]),
    provision: [["group", "add", DOMAIN, "600", "--name", "Accueil", "--members", "202,203"]],
  }),
);

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

test("group 600 rings 202 and 203 (baresip); 202 answers, 203 stops; 202's lamp: ringing, busy, idle", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B",
    tone: 2000,
    ext: "202",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  const c = await phones.registered({
    name: "C",
    tone: 3000,
    ext: "203",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });
  const lamp = runSipp({
    scenario: "blf-subscriber.xml",
    server: `${sw.address}:${sw.port}`,
    extraArgs: phoneArgs({ service: "202", user: "204", domain: DOMAIN, vars: { user: "204" } }),
    timeoutMs: 30_000,
  });
  assert.ok(await sw.waitForLog(/"event":"subscribed"/, 10_000), "no subscription in the switch's log");
  await a.dial(`sip:600@${DOMAIN}`);
  await Promise.all([b.waitFor("CALL_INCOMING", 10_000), c.waitFor("CALL_INCOMING", 10_000)]);
  await sleep(500); // both ring a while
  const accepted = await b.command("accept");
  assert.ok(accepted.ok, accepted.data);
  await Promise.all([a.waitFor("CALL_ESTABLISHED", 10_000), b.waitFor("CALL_ESTABLISHED", 10_000)]);
  await c.waitFor("CALL_CLOSED", 5000); // the switch cancelled 203's ringing
  await sleep(500);
  await a.hangup();
  await b.waitFor("CALL_CLOSED", 5000);
  const r = await lamp;
  assert.is(r.code, 0, `SIPp lamp scenario failed:\n${r.stdout}\n${r.errors}`);
  assert.ok(await sw.waitForLog(/"event":"ring-group".*"group":"600".*"ringing":\["202","203"\]/), sw.logs());
});

test.run();
