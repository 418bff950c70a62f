/**
 * Debian's sipvicious against a live `centrex start`, inside a network namespace with only
 * `lo` up (the scanner's packets are not ours). The attacker sends from 127.0.0.1 (svcrack
 * 0.3.x ignores its -b option), the company's phones from 127.0.0.2.
 *
 * Config overrides, each with its reason (also in test/README.md):
 * - `security.scanners.userAgents: []` in the brute-force run: svcrack announces itself as
 *   "friendly-scanner" and would be banned on its first packet; an attacker who edits one
 *   string gets past that filter, so the failed-login defence must hold on its own.
 * - the brute-force run configures `admin.tokens` (and a free port): `centrex ban list|clear`
 *   reach the running switch through its admin API, which is off without a token.
 * - the control run adds `security.allow: [127.0.0.1]` to show svcrack DOES find the password
 *   when the defence is off: the test can fail.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { NETNS, runInNetns } from "./helpers/netns.js";
import { passwordOf } from "./helpers/passwords.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { requireCommand, runToEnd } from "./helpers/processes.js";
import { phoneArgs, runSipp } from "./helpers/sipp.js";
import { createTenant } from "./helpers/store-tenant.js";

const DOMAIN = "pbx.test";
/** The admin API needs a token: the ban list lives in the running switch and the CLI reads it there. */
const ADMIN_TOKEN = "svc-test-admin-token-0123456789";

if (NETNS === undefined) {
  test("sipvicious against centrex (in its own network namespace)", async () => {
    requireCommand("svcrack", "sipvicious");
    assert.is(await runInNetns(import.meta.filename, 240_000), 0);
  });
  test.run();
} else {
  scenarios();
}

function scenarios(): void {
  const dir = mkdtempSync(join(tmpdir(), "centrex-svc-"));

  let configFile = "";
  async function start(config: string): Promise<RunningSwitch> {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, config);
    configFile = file;
    return startSwitch({
      db: await createTenant(DOMAIN, ["201", "202"]),
      args: ["--config", file],
      sippPhones: true,
    });
  }

  /** 20 guesses, the real password 15th: unthrottled, svcrack finds it. */
  function dictionary(): string {
    const words = [
      "1234",
      "0000",
      "password",
      "201",
      "secret",
      "admin",
      "1111",
      "qwerty",
      "letmein",
      "12345678",
    ];
    words.push("welcome", "abc123", "passw0rd", "201201");
    words.push(passwordOf("201"), "test", "voip", "123456", "changeme", "guest");
    const file = join(dir, "dict.txt");
    writeFileSync(file, `${words.join("\n")}\n`);
    return file;
  }

  async function svcrack(sw: RunningSwitch) {
    const r = await runToEnd(
      "svcrack",
      ["-u201", "-d", dictionary(), "--domain", DOMAIN, "--maximumtime=3", `udp://127.0.0.1:${sw.port}`],
      60_000,
    );
    return `${r.stdout}\n${r.stderr}`;
  }

  const events = (sw: RunningSwitch, event: string) =>
    sw
      .logs()
      .split("\n")
      .filter((l) => l.includes(`"event":"${event}"`))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  test("defaults: svwar and svcrack are recognised, banned on their first packet, and learn nothing", async () => {
    const sw = await start("# the embedded defaults\n");
    try {
      const war = await runToEnd(
        "svwar",
        ["-e200-210", "-m", "REGISTER", "--domain", DOMAIN, "--maximumtime=3", `udp://127.0.0.1:${sw.port}`],
        60_000,
      );
      const warOut = `${war.stdout}\n${war.stderr}`;
      assert.not.match(warOut, /\| 20[0-9]/, `svwar listed an extension:\n${warOut}`);
      const crack = await svcrack(sw);
      assert.not.ok(crack.includes(passwordOf("201")), crack);
      const bans = events(sw, "source-banned");
      assert.is(bans.length, 1, "one warn line for the ban, whatever svwar and svcrack sent after");
      assert.is(bans[0]!.reason, "scanner");
      assert.is(bans[0]!.source, "127.0.0.1");
    } finally {
      await sw.stop();
    }
  });

  test("brute force with a disguised User-Agent: banned after 10 failures, nothing cracked, later requests unanswered, the phones on another address unaffected", async () => {
    const adminPort = await freePort();
    const sw = await start(
      "security:\n  scanners:\n    userAgents: []\n" +
        `admin:\n  port: ${adminPort}\n  tokens: [{ name: noc, token: "${ADMIN_TOKEN}" }]\n`,
    );
    try {
      const phones = new SippPhones(`127.0.0.1:${sw.port}`, DOMAIN, "127.0.0.2");
      const [crack, call] = await Promise.all([svcrack(sw), phones.call("202", {}, {})]);
      assert.not.ok(crack.includes(passwordOf("201")), `svcrack found the password:\n${crack}`);
      assert.is(call.caller.code, 0, explain(call.caller));
      assert.is(call.callee?.code, 0, explain(call.callee));
      const bans = events(sw, "source-banned");
      assert.is(bans.length, 1);
      assert.is(bans[0]!.reason, "auth-failures");
      assert.is(bans[0]!.source, "127.0.0.1");
      const failures = events(sw, "register-auth").filter((e) => e.result === "bad-credentials").length;
      assert.is(failures, 10, "exactly the threshold of wrong answers got through");
      // The banned address gets no answer at all now — not even to a well-formed REGISTER.
      const late = await runSipp({
        scenario: "register-uac.xml",
        server: `127.0.0.1:${sw.port}`,
        timeoutMs: 3000,
        extraArgs: phoneArgs({ user: "201", domain: DOMAIN, vars: { expires: "60" } }),
      });
      assert.is.not(late.code, 0, "the banned source was answered");
      // The phone itself, on its own address, still registers with its password.
      const again = await phones.register("201");
      assert.is(again.code, 0, explain(again));
      // The operator sees the ban and lifts it; the address is answered again (kernel drop included).
      const noApi = await centrex(["ban", "list"]);
      assert.is(noApi.code, 2, "without --config or --url the CLI says how to reach the switch");
      assert.match(noApi.stderr, /--config|--url/);
      const list = await centrex(["ban", "list", "--config", configFile]);
      assert.is(list.code, 0, list.stderr);
      assert.match(list.stdout, /^127\.0\.0\.1\tauth-failures\t/m);
      const cleared = await centrex(["ban", "clear", "127.0.0.1", "--config", configFile]);
      assert.is(cleared.code, 0, cleared.stderr);
      assert.match(cleared.stdout, /1 ban lifted/);
      await new Promise((r) => setTimeout(r, 300)); // the kernel set is updated by an nft run
      const back = await runSipp({
        scenario: "register-uac.xml",
        server: `127.0.0.1:${sw.port}`,
        timeoutMs: 5000,
        extraArgs: phoneArgs({ user: "201", domain: DOMAIN, vars: { expires: "60" } }),
      });
      assert.is(back.code, 0, `the cleared address is still refused: ${explain(back)}`);
    } finally {
      await sw.stop();
    }
  });

  test("control: with the source allowed, the same svcrack run finds the password (the test can fail)", async () => {
    const sw = await start('security:\n  allow: ["127.0.0.1"]\n  scanners:\n    userAgents: []\n');
    try {
      const crack = await svcrack(sw);
      assert.ok(crack.includes(passwordOf("201")), `svcrack did not find it even undefended:\n${crack}`);
    } finally {
      await sw.stop();
    }
  });

  test.run();
}
