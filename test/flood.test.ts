/**
 * One source floods the switch (REGISTER, INVITE and OPTIONS, unauthenticated, as fast as SIPp
 * sends them) while phones on another address keep registering and calling. Runs in its own
 * network namespace (a flood, bounded in count and time). Embedded defaults, no override.
 *
 * Prints the flood rate SIPp offered, what the switch answered, the switch's CPU, and asserts
 * every legitimate call completed and the flooder was banned once (one warn line).
 */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startSwitch } from "./helpers/centrex.js";
import { NETNS, runInNetns } from "./helpers/netns.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { requireCommand } from "./helpers/processes.js";
import { runSipp } from "./helpers/sipp.js";
import { createTenant } from "./helpers/store-tenant.js";

const DOMAIN = "pbx.test";
const FLOOD_MESSAGES = 1_500_000;
const FLOOD_SECONDS = 15;
const LEGIT_CALLS = 3;

/** Three requests per SIPp "call", none waiting for an answer: a scanner's or a DoS tool's pattern. */
const FLOOD_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="flood">
  <send><![CDATA[
REGISTER sip:${DOMAIN} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[call_number]@${DOMAIN}>;tag=[call_number]
To: <sip:[call_number]@${DOMAIN}>
Call-ID: r[call_id]
CSeq: 1 REGISTER
Contact: <sip:[call_number]@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 60
Content-Length: 0

  ]]></send>
  <send><![CDATA[
INVITE sip:202@${DOMAIN} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[call_number]@${DOMAIN}>;tag=[call_number]
To: <sip:202@${DOMAIN}>
Call-ID: i[call_id]
CSeq: 1 INVITE
Contact: <sip:[call_number]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <send><![CDATA[
OPTIONS sip:${DOMAIN} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[call_number]@${DOMAIN}>;tag=[call_number]
To: <sip:${DOMAIN}>
Call-ID: o[call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

  ]]></send>
</scenario>`;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

if (NETNS === undefined) {
  test("a one-source flood does not take the service from the other phones (own network namespace)", async () => {
    requireCommand("sipp", "sip-tester");
    assert.is(await runInNetns(import.meta.filename, 180_000), 0);
  });
  test.run();
} else {
  test("flood from 127.0.0.1 while phones on 127.0.0.2 register and call", async () => {
    const sw = await startSwitch({ db: await createTenant(DOMAIN, ["201", "202"]), sippPhones: true });
    try {
      const pid = sw.child.pid!;
      const phones = new SippPhones(`127.0.0.1:${sw.port}`, DOMAIN, "127.0.0.2");
      const cpu0 = cpuSeconds(pid);
      const t0 = Date.now();
      let floodSeconds = 0;
      let floodCpu = 0;
      const flood = runSipp({
        scenario: FLOOD_SCENARIO,
        server: `127.0.0.1:${sw.port}`,
        calls: FLOOD_MESSAGES / 3,
        rate: 1000, // per 10 ms (-rp 10): 100,000 a second asked, SIPp sends what it can
        timeoutMs: FLOOD_SECONDS * 1000,
        extraArgs: ["-rp", "10"],
      }).then((r) => {
        floodSeconds = (Date.now() - t0) / 1000;
        floodCpu = cpuSeconds(pid) - cpu0;
        return r;
      });
      let completed = 0;
      const calls = (async () => {
        await new Promise((r) => setTimeout(r, 1000)); // the flood is on
        for (let i = 0; i < LEGIT_CALLS; i++) {
          const c = await phones.call("202", {}, {});
          assert.is(c.caller.code, 0, `legitimate call ${i + 1}: ${explain(c.caller)}`);
          assert.is(c.callee?.code, 0, `legitimate call ${i + 1} (callee): ${explain(c.callee)}`);
          completed++;
        }
      })();
      const [floodResult] = await Promise.all([flood, calls]);
      let sent = 0;
      for (const m of floodResult.stdout.matchAll(/(?:REGISTER|INVITE|OPTIONS) -+>\s+(\d+)/g))
        sent += Number(m[1]);
      const bans = sw
        .logs()
        .split("\n")
        .filter((l) => l.includes('"event":"source-banned"'));
      console.log(
        `flood: ${sent} requests sent by one source in ${floodSeconds.toFixed(1)} s (${Math.round(sent / floodSeconds)}/s);` +
          ` switch CPU meanwhile ${floodCpu.toFixed(2)} s (${Math.round((100 * floodCpu) / floodSeconds)}% of one core);` +
          ` legitimate calls completed ${completed}/${LEGIT_CALLS}; bans ${bans.length};` +
          ` kernel drops ${sw.logs().includes('"event":"kernel-bans-on"') ? "on" : "off (userspace only)"}`,
      );
      assert.is(completed, LEGIT_CALLS);
      assert.is(bans.length, 1, bans.join("\n"));
      assert.match(bans[0]!, /"source":"127\.0\.0\.1","reason":"flood"/);
    } finally {
      await sw.stop();
    }
  });
  test.run();
}
