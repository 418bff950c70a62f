import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { type CallerOptions, callerScenario } from "./helpers/scenarios.js";
import { runSipp, type SippResult } from "./helpers/sipp.js";
import { createTenant } from "./helpers/store-tenant.js";

// Ring groups end to end (issue 18): SIPp desk phones, groups made with `centrex group`, calls
// from 201 and from a SIPp carrier on 127.0.0.2 (a DID pointing at a group). SIPp rather than
// baresip: each phone here must ring and then be cancelled, answer busy or answer at a given
// moment, which a SIPp script states and checks step by step.
const DOMAIN = "pbx.test";
let sw: RunningSwitch;
let phones: SippPhones;

/** `from` dials `to`; the caller accepts the 180s of several members (a hunt rings them in turn). */
function dial(from: string, to: string, o: CallerOptions): Promise<SippResult> {
  const scenario = callerScenario(o).replace(
    '<recv response="180" optional="true"/>',
    '<recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>',
  );
  return runSipp({
    scenario,
    server: `127.0.0.1:${sw.port}`,
    timeoutMs: 30_000,
    extraArgs: [
      "-s",
      to,
      "-au",
      from,
      "-ap",
      passwordOf(from),
      "-set",
      "domain",
      DOMAIN,
      "-set",
      "caller",
      from,
    ],
  });
}

async function cli(...args: string[]): Promise<string> {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The phones leave (REGISTER `Contact: *`, `Expires: 0`, RFC 3261 §10.2.2), so the next group
 * call does not ring a port nobody listens on any more.
 */
async function unregister(...exts: string[]): Promise<void> {
  const script = readFileSync(join(import.meta.dirname, "sipp", "register-uac.xml"), "utf8")
    .replaceAll(
      /Contact: <sip:\[service\]@\[local_ip\]:\[local_port\];transport=\[transport\]>/g,
      "Contact: *",
    )
    .replace(/<recv response="200">[\s\S]*<Reference variables="granted"\/>/, '<recv response="200"/>');
  for (const ext of exts) {
    const r = await runSipp({
      scenario: script,
      server: `127.0.0.1:${sw.port}`,
      extraArgs: [
        "-s",
        ext,
        "-au",
        ext,
        "-ap",
        passwordOf(ext),
        "-set",
        "domain",
        DOMAIN,
        "-set",
        "expires",
        "0",
      ],
    });
    assert.is(r.code, 0, `unregister ${ext}: ${explain(r)}`);
  }
}

async function lastRecord(): Promise<Record<string, string | number | null>> {
  await new Promise((r) => setTimeout(r, 300)); // the record is written as the BYE is answered
  const store = openSqliteStore(sw.db);
  try {
    return sqliteHandle(store)
      .prepare(
        "SELECT extension, dialled, called, disposition, sip_status AS status, direction FROM cdrs ORDER BY seq DESC LIMIT 1",
      )
      .get() as Record<string, string | number | null>;
  } finally {
    await store.close();
  }
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-groups-"));
  const config = join(dir, "centrex.yaml");
  // Carriers reloaded every second and not probed: the SIPp carrier runs one script per test.
  writeFileSync(config, "trunk:\n  probeSeconds: 0\n  reloadSeconds: 1\n");
  const db = await createTenant(DOMAIN, ["201", "202", "203", "204", "205"]);
  sw = await startSwitch({ db, args: ["--config", config], sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, DOMAIN);
  const carrierPort = await freePort("127.0.0.2");
  await cli("carrier", "add", "alpha", "--host", "127.0.0.2", "--port", String(carrierPort));
  await cli("carrier", "route", "alpha", "33");
  await cli("group", "add", DOMAIN, "600", "--name", "Accueil", "--members", "202,203");
  await cli(
    "group",
    "add",
    DOMAIN,
    "610",
    "--name",
    "Hunt",
    "--strategy",
    "sequential",
    "--members",
    "202,203",
    "--member-seconds",
    "5",
  );
  await cli("group", "add", DOMAIN, "630", "--name", "Empty");
  await cli("did", "add", DOMAIN, "+33123456781", "--group", "600", "--main");
  await new Promise((r) => setTimeout(r, 1500)); // the switch reloads carriers every second
});

test.after(async () => {
  await sw?.stop();
});

test("simultaneous: both members ring, 203 answers, 202 is cancelled; the record names the group and 203", async () => {
  const ringing = await phones.answer("202", { expectCancel: true });
  const answering = await phones.answer("203", {});
  const r = await dial("201", "600", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  assert.is((await answering.done).code, 0, `203: ${explain(await answering.done)}`);
  assert.ok(await sw.waitForLog(/"event":"ring-group".*"group":"600".*"ringing":\["202","203"\]/), sw.logs());
  assert.equal(await lastRecord(), {
    extension: "201",
    dialled: "600",
    called: "203",
    disposition: "answered",
    status: 200,
    direction: "internal",
  });
  await unregister("202", "203");
});

test("hunt: 202 rings its 5 s and is cancelled, then 203 rings and answers", async () => {
  const first = await phones.answer("202", { expectCancel: true });
  const second = await phones.answer("203", {});
  const started = Date.now();
  const r = await dial("201", "610", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.ok(Date.now() - started >= 5000, "203 rang before 202's 5 s were over");
  assert.is((await first.done).code, 0, `202: ${explain(await first.done)}`);
  assert.is((await second.done).code, 0, `203: ${explain(await second.done)}`);
  assert.ok(await sw.waitForLog(/"event":"ring-group-hunt".*"group":"610","member":"203"/), sw.logs());
  assert.is((await lastRecord()).called, "203");
  await unregister("202", "203");
});

test("hunt: a member on do-not-disturb and a member on a call are skipped; the next one rings at once", async () => {
  await cli("group", "set", DOMAIN, "610", "--members", "202,204,203");
  await cli("forward", DOMAIN, "202", "--dnd", "on");
  await phones.register("202"); // registered, but on do not disturb
  // 204 is on a call with 205 (answered, lasting 8 s) when the group is called.
  const busy = await phones.answer("204", { hangup: "caller" });
  const talking = runSipp({
    scenario: callerScenario({ talkMs: 8000 }),
    server: `127.0.0.1:${sw.port}`,
    timeoutMs: 30_000,
    extraArgs: [
      "-s",
      "204",
      "-au",
      "205",
      "-ap",
      passwordOf("205"),
      "-set",
      "domain",
      DOMAIN,
      "-set",
      "caller",
      "205",
    ],
  });
  await new Promise((r) => setTimeout(r, 1500)); // 205 → 204 answered
  const answering = await phones.answer("203", {});
  const started = Date.now();
  const r = await dial("201", "610", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.ok(Date.now() - started < 4000, "203 did not ring at once");
  assert.is((await answering.done).code, 0, `203: ${explain(await answering.done)}`);
  assert.ok(
    await sw.waitForLog(
      /"event":"ring-group".*"group":"610".*"ringing":\["203"\],"skipped":\{"202":"dnd","204":"on-call"\}/,
    ),
    sw.logs().slice(-3000),
  );
  assert.is((await talking).code, 0, `205 → 204: ${explain(await talking)}`);
  assert.is((await busy.done).code, 0, `204: ${explain(await busy.done)}`);
  await cli("forward", DOMAIN, "202", "--dnd", "off");
  await cli("group", "set", DOMAIN, "610", "--members", "202,203");
  await unregister("202", "203", "204");
});

test("overflow: nobody answers within the group's timeout, the call goes on to 204", async () => {
  await cli("group", "set", DOMAIN, "600", "--timeout", "5", "--overflow", "204");
  const ringing = await phones.answer("202", { expectCancel: true });
  const overflow = await phones.answer("204", {});
  const started = Date.now();
  const r = await dial("201", "600", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.ok(Date.now() - started >= 5000, "the overflow rang before the group's 5 s were over");
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  assert.is((await overflow.done).code, 0, `204: ${explain(await overflow.done)}`);
  assert.ok(
    await sw.waitForLog(/"event":"ring-group-unanswered".*"group":"600","why":"no-answer","overflow":"204"/),
    sw.logs().slice(-3000),
  );
  await unregister("202", "204");
});

test("overflow to an outside number obeys the dial rules: a barred class refuses the call", async () => {
  // 203 alone, not registered: nobody can be rung, the overflow is tried at once.
  await cli("group", "set", DOMAIN, "600", "--overflow", "0899123456");
  const r = await dial("201", "600", { expect: 403, expectReason: "Destination barred" });
  assert.is(r.code, 0, explain(r));
  await cli("group", "set", DOMAIN, "600", "--overflow", "none", "--timeout", "60");
});

test("a group nobody can take: 480 naming the group (no member; none registered), with a log line", async () => {
  const empty = await dial("201", "630", {
    expect: 480,
    expectReason: "Temporarily Unavailable - Ring group 630 has no member",
  });
  assert.is(empty.code, 0, explain(empty));
  const away = await dial("201", "600", {
    expect: 480,
    expectReason: "Temporarily Unavailable - No member of ring group 600 available",
  });
  assert.is(away.code, 0, explain(away));
  assert.ok(await sw.waitForLog(/"event":"ring-group-unanswered".*"group":"630","why":"empty"/), sw.logs());
});

test("the main number (a DID) rings the reception group; the record names the member who answered", async () => {
  const ringing = await phones.answer("202", { expectCancel: true });
  const answering = await phones.answer("203", { hangup: "caller" });
  // The carrier's script, taking the 180 of each member rung.
  const script = readFileSync(join(import.meta.dirname, "sipp", "carrier-inbound-uac.xml"), "utf8").replace(
    '<recv response="180" optional="true"/>',
    '<recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>',
  );
  const inbound = await runSipp({
    scenario: script,
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    timeoutMs: 20_000,
    extraArgs: ["-s", "0123456781"],
  });
  assert.is(inbound.code, 0, `carrier: ${explain(inbound)}`);
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  assert.is((await answering.done).code, 0, `203: ${explain(await answering.done)}`);
  const rec = await lastRecord();
  assert.equal([rec.direction, rec.called, rec.disposition], ["inbound", "203", "answered"]);
  await unregister("202", "203");
});

test.run();
