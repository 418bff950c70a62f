import { mkdtempSync, writeFileSync } from "node:fs";
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

// Call forwarding and do-not-disturb end to end (issue 18): SIPp phones set them with the
// feature codes the README lists, then calls follow them; a SIPp carrier on 127.0.0.2 takes the
// forwards to the PSTN.
const DOMAIN = "pbx.test";
let sw: RunningSwitch;
let phones: SippPhones;
let carrierPort: number;

/** `from` dials `to` (a phone sends `#` as %23); the caller accepts a second ringing of the forward. */
function dial(from: string, to: string, o: CallerOptions, recordRouted = true): Promise<SippResult> {
  const base = callerScenario(o);
  const scenario = (
    recordRouted ? base : base.replace('check_it="true" assign_to="rr"', 'check_it="false" assign_to="rr"')
  ).replace(
    '<recv response="180" optional="true"/>',
    '<recv response="180" optional="true"/>\n  <recv response="180" optional="true"/>',
  );
  return runSipp({
    scenario,
    server: `127.0.0.1:${sw.port}`,
    timeoutMs: 20_000,
    extraArgs: [
      "-s",
      to.replaceAll("#", "%23"),
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

/** A feature code from `from`'s phone: the switch answers 603 with what it did. */
async function code(from: string, dialled: string, reason: string, status = 603): Promise<void> {
  const r = await dial(from, dialled, { expect: status, expectReason: reason });
  assert.is(r.code, 0, `${from} dialling ${dialled}: ${explain(r)}`);
}

/** The switch's log lines reach its stdout asynchronously (pino): wait for one. */
async function logged(re: RegExp): Promise<void> {
  assert.ok(await sw.waitForLog(re), `no ${re} in the log:\n${sw.logs().slice(-2000)}`);
}

async function cli(...args: string[]) {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
}

test.before(async () => {
  carrierPort = await freePort("127.0.0.2");
  const dir = mkdtempSync(join(tmpdir(), "centrex-forwarding-"));
  const config = join(dir, "centrex.yaml");
  // Carriers reloaded every second and not probed: the SIPp carrier runs one script per test.
  writeFileSync(config, "trunk:\n  probeSeconds: 0\n  reloadSeconds: 1\n");
  const db = await createTenant(DOMAIN, ["201", "202", "203", "204"]);
  sw = await startSwitch({ db, args: ["--config", config], sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, DOMAIN);
  await cli("did", "add", DOMAIN, "+33123456780", "--main", "--extension", "201");
  await cli(
    "carrier",
    "add",
    "alpha",
    "--host",
    "127.0.0.2",
    "--port",
    String(carrierPort),
    "--format",
    "national",
  );
  await cli("carrier", "route", "alpha", "33");
  await new Promise((r) => setTimeout(r, 1500)); // the switch reloads carriers every second
});

test.after(async () => {
  await sw?.stop();
});

test("*21*203#: unconditional forwarding set from the phone, a call to 202 rings 203; #21# clears it", async () => {
  await code("202", "*21*203#", "Decline - Unconditional forwarding to 203");
  const b = await phones.answer("203", {});
  const r = await dial("201", "202", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await logged(/"event":"call-forwarded".*"from":"202","to":"203","cause":"unconditional"/);
  await code("202", "#21#", "Decline - Unconditional forwarding cleared");
  const after = await dial("201", "202", { expect: 480 }); // 202 has no phone registered
  assert.is(after.code, 0, explain(after));
});

test("*67*203#: busy forwarding — 202 answers 486, the call goes on to 203", async () => {
  await code("202", "*67*203#", "Decline - Busy forwarding to 203");
  const busy = await phones.answer("202", { answer: 486 });
  const b = await phones.answer("203", {});
  const r = await dial("201", "202", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await busy.done).code, 0, `202: ${explain(await busy.done)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await code("202", "#67#", "Decline - Busy forwarding cleared");
});

test("*61*203*5#: no answer after 5 s — 202 rings, is cancelled, 203 answers", async () => {
  await code("202", "*61*203*5#", "Decline - No-answer forwarding to 203");
  const ringing = await phones.answer("202", { expectCancel: true });
  const b = await phones.answer("203", {});
  const started = Date.now();
  const r = await dial("201", "202", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.ok(Date.now() - started >= 5000, "203 rang before 202's 5 s were over");
  assert.is((await ringing.done).code, 0, `202: ${explain(await ringing.done)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await code("202", "#61#", "Decline - No-answer forwarding cleared");
});

test("*62*203#: unreachable forwarding — 204 has no phone registered, 203 answers", async () => {
  await code("204", "*62*203#", "Decline - Unreachable forwarding to 203");
  const b = await phones.answer("203", {});
  const r = await dial("201", "204", {});
  assert.is(r.code, 0, `caller: ${explain(r)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await code("204", "#002#", "Decline - All forwarding cleared");
});

test("a call from the PSTN to a DID follows the extension's forwarding (201 → 203)", async () => {
  await code("201", "*21*203#", "Decline - Unconditional forwarding to 203");
  const b = await phones.answer("203", { hangup: "caller" });
  const inbound = await runSipp({
    scenario: "carrier-inbound-uac.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    timeoutMs: 20_000,
    extraArgs: ["-s", "0123456780"],
  });
  assert.is(inbound.code, 0, `carrier: ${explain(inbound)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await code("201", "#21#", "Decline - Unconditional forwarding cleared");
});

test("forwarding loops get 482 and a log line: to itself refused when set, A→B→A when called", async () => {
  await code("202", "*21*202#", "Loop Detected - Forwarding to itself", 482);
  await code("202", "*21*203#", "Decline - Unconditional forwarding to 203");
  await code("203", "*21*202#", "Decline - Unconditional forwarding to 202");
  const r = await dial("201", "202", { expect: 482, expectReason: "Loop Detected - Call forwarding loop" });
  assert.is(r.code, 0, explain(r));
  await logged(/"event":"forwarding-loop"/);
  await code("202", "#002#", "Decline - All forwarding cleared");
  await code("203", "#002#", "Decline - All forwarding cleared");
});

test("bad codes: 484 naming the fault; a barred or PIN-protected target is refused when set", async () => {
  await code("202", "*21*#", "Address Incomplete - use \\*21\\*number#", 484);
  await code("202", "*67*203*20#", "Address Incomplete - a ring time is only for no-answer forwarding", 484);
  await code("202", "*21*0899123456#", "Forbidden - Forwarding target: Destination barred", 403);
  await code("202", "*21*004930123456789#", "Forbidden - Forwarding target: PIN required", 403);
});

test("*26#: do not disturb — 486, or the busy forwarding when set; #26# turns it off", async () => {
  await code("202", "*26#", "Decline - Do not disturb on");
  const r = await dial("201", "202", { expect: 486, expectReason: "Busy Here - Do Not Disturb" });
  assert.is(r.code, 0, explain(r));
  await code("202", "*67*203#", "Decline - Busy forwarding to 203");
  const b = await phones.answer("203", {});
  const fwd = await dial("201", "202", {});
  assert.is(fwd.code, 0, `caller: ${explain(fwd)}`);
  assert.is((await b.done).code, 0, `203: ${explain(await b.done)}`);
  await code("202", "#26#", "Decline - Do not disturb off");
  await code("202", "#002#", "Decline - All forwarding cleared");
});

test("forwarded to voicemail: the voicemail's user agent answers for 204's mailbox", async () => {
  // No phone code names the voicemail as a target: the operator sets it (the store, as the CLI does).
  const store = openSqliteStore(sw.db);
  try {
    const ext = await store.extensions.find((await store.customers.findByDomain(DOMAIN))!.id, "204");
    await store.features.update(ext!.id, { forwardUnreachable: "voicemail" });
  } finally {
    await store.close();
  }
  // The voicemail's 200 copies the INVITE's Record-Route (RFC 3261 §12.1.1): the caller's BYE
  // goes back through the proxy (the scenario checks the route set).
  const r = await dial("201", "204", { talkMs: 1000 });
  assert.is(r.code, 0, explain(r));
  await logged(/"event":"call-forwarded".*"from":"204","to":"voicemail","cause":"unreachable"/);
  await code("204", "#002#", "Decline - All forwarding cleared");
});

test("forward to the PSTN: routed as 202's own call (billed to it), barring applied at call time", async () => {
  await code("202", "*21*0612345678#", "Decline - Unconditional forwarding to 0612345678");
  const carrier = runSipp({
    scenario: "carrier-answer.xml",
    server: `127.0.0.1:${sw.port}`,
    localIp: "127.0.0.2",
    localPort: carrierPort,
    timeoutMs: 20_000,
  });
  await new Promise((r) => setTimeout(r, 1000)); // let SIPp bind before the call comes
  const r = await dial("201", "202", {});
  assert.is(r.code, 0, `caller: ${explain(r)}\ncarrier: ${explain(await carrier)}`);
  assert.is((await carrier).code, 0, `carrier: ${explain(await carrier)}`);
  await new Promise((r) => setTimeout(r, 300)); // the record is written as the BYE is answered
  const store = openSqliteStore(sw.db);
  try {
    const row = sqliteHandle(store)
      .prepare(
        "SELECT extension, direction, dialled, called, destination_class AS cls FROM cdrs ORDER BY seq DESC LIMIT 1",
      )
      .get() as Record<string, string>;
    assert.equal(row, {
      extension: "202",
      direction: "outbound",
      dialled: "0612345678",
      called: "+33612345678",
      cls: "fr-mobile",
    });
  } finally {
    await store.close();
  }
  // The operator bars mobiles for this customer (for good: the service terms reopen a class the
  // customer barred only with a PIN), so the forward now gets the dialled call's refusal.
  await cli("barring", DOMAIN, "fr-mobile", "deny");
  const barred = await dial("201", "202", { expect: 403, expectReason: "Destination barred" });
  assert.is(barred.code, 0, explain(barred));
  await code("202", "#21#", "Decline - Unconditional forwarding cleared");
});

test.run();
