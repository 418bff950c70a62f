import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BaresipPhone } from "./helpers/baresip.js";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { freePort } from "./helpers/ports.js";
import { requireCommand, runToEnd } from "./helpers/processes.js";

// Provisioning end to end, as the operator and a phone meet it: `centrex phone add`, then the
// phone's fetch over HTTPS with curl (without credentials: nothing; with: its files, and the
// SIP password that lets a real phone register), then `centrex phone resync` making the switch
// send a check-sync NOTIFY that reaches a registered baresip phone (its ctrl_tcp in use, as
// in the other baresip tests), proven by the answer the switch reports.
//
// Config overrides and why: `provisioning:` (the feature under test; it is off by default and
// needs a certificate, made here with openssl), `admin.tokens`/`admin.port` (`phone resync`
// reaches the running switch through its admin API), `media` ports (a free range per test run,
// as every baresip test), and the harness's `registrar.keepaliveSeconds: 0` (test/helpers).

const DOMAIN = "pbx.test";
const MAC = "805ec0123456";
const TOKEN = "provisioning-test-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "centrex-provisioning-"));
let sw: RunningSwitch | undefined;
let phone: BaresipPhone | undefined;
let https = 0;
let configFile = "";

test.after(async () => {
  await phone?.stop();
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type ApiBody = { error?: { field?: string } } & { createdAt?: number }[];

async function run(args: string[]) {
  return centrex([...args, "--db", sw!.db]);
}

async function curl(path: string, user?: string) {
  requireCommand("curl", "curl");
  const args = [
    "-sS",
    "--cacert",
    join(dir, "cert.pem"),
    "-w",
    "\n%{http_code}",
    `https://127.0.0.1:${https}${path}`,
  ];
  if (user !== undefined) args.push("-u", user);
  const r = await runToEnd("curl", args, 10_000);
  const at = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
}

test("phone add → HTTPS fetch with and without credentials → baresip registers → resync NOTIFY answered", async () => {
  requireCommand("openssl", "openssl");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1"],
      ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  https = await freePort();
  const admin = await freePort();
  const relay = (await freePort()) & ~1;
  configFile = join(dir, "centrex.yaml");
  writeFileSync(
    configFile,
    [
      `media: { portMin: ${relay}, portMax: ${Math.min(relay + 99, 65535)} }`,
      `admin: { address: 127.0.0.1, port: ${admin}, tokens: [{ name: test, token: ${TOKEN} }] }`,
      "provisioning:",
      "  address: 127.0.0.1",
      `  port: ${https}`,
      `  tls: { cert: ${join(dir, "cert.pem")}, key: ${join(dir, "key.pem")} }`,
      "  phones: { server: sip.operator.test, secondServer: sip2.operator.test }",
      "",
    ].join("\n"),
  );
  sw = await startSwitch({ args: ["--config", configFile, "--log-level", "info"] });
  for (const args of [
    ["customer", "add", "Acme", "--domain", DOMAIN],
    ["customer", "add", "Other", "--domain", "other.test"],
    ["extension", "add", DOMAIN, "201", "--password", "tulip-orbit-5583-glow", "--name", "Alice"],
    ["extension", "add", DOMAIN, "202", "--password", "maple-quartz-7741-drum", "--name", "Bob"],
  ]) {
    const r = await run(args);
    assert.is(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }

  // Bad input: one line on stderr, exit 2, nothing written.
  const bad = [
    [
      ["phone", "add", DOMAIN, "80:5e:c0:12:34:56", "--model", "T99X", "--extension", "201"],
      /unknown model "T99X"/,
    ],
    [["phone", "add", DOMAIN, "80:5e:c0:12:34", "--model", "T46S", "--extension", "201"], /malformed MAC/],
    [
      ["phone", "add", DOMAIN, MAC, "--model", "T46S", "--extension", "201@other.test"],
      /belongs to another customer/,
    ],
    [["phone", "add", DOMAIN, MAC, "--model", "T46S", "--extension", "209"], /no extension 209 in pbx.test/],
  ] as const;
  for (const [args, message] of bad) {
    const r = await run([...args]);
    assert.is(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  assert.is((await run(["phone", "list", DOMAIN])).stdout, "", "nothing written");

  const added = await run([
    "phone",
    "add",
    DOMAIN,
    "80:5E:C0:12:34:56",
    "--model",
    "T46S",
    "--extension",
    "201",
    "--blf",
    "202",
  ]);
  assert.is(added.code, 0, added.stderr);
  const credential = /provisioning user 805ec0123456 password (\S+) \(shown once\)/.exec(added.stdout)?.[1];
  assert.ok(credential, added.stdout);
  assert.match(added.stdout, /extension 201@pbx.test: new SIP password set/);
  const again = await run(["phone", "add", DOMAIN, MAC, "--model", "D785", "--extension", "202"]);
  assert.is(again.code, 2);
  assert.match(again.stderr, /MAC 805ec0123456 is already assigned/);
  assert.match(
    (await run(["phone", "list", DOMAIN])).stdout,
    /^805ec0123456\tT46S\tpbx.test\tlines 201\tblf 202\n$/,
  );

  // The same inventory through the admin API: bad input is a 4xx JSON naming the field.
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${admin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as ApiBody }));
  const listed = await api("GET", `/customers/${DOMAIN}/phones`);
  assert.equal(listed.body, [
    {
      mac: MAC,
      model: "T46S",
      domain: DOMAIN,
      lines: ["201"],
      blf: ["202"],
      createdAt: listed.body[0]?.createdAt,
    },
  ]);
  for (const [body, status, field] of [
    [{ mac: "nope", model: "T46S", extensions: ["202"] }, 400, "mac"],
    [{ mac: MAC, model: "D785", extensions: ["202"] }, 409, "mac"],
    [{ mac: "805ec0000009", model: "X", extensions: ["202"] }, 400, "model"],
    [{ mac: "805ec0000009", model: "D785", extensions: ["201@other.test"] }, 400, "extension"],
  ] as const) {
    const r = await api("POST", `/customers/${DOMAIN}/phones`, body);
    assert.equal([r.status, r.body.error?.field], [status, field], JSON.stringify(r.body));
  }
  assert.is((await api("POST", "/phones/805ec0000009/resync")).status, 404);
  assert.is((await api("GET", `/customers/${DOMAIN}/phones`)).body.length, 1, "nothing written");

  // Without credentials, with a wrong one, or another MAC's file: nothing of the configuration.
  const anonymous = await curl(`/${MAC}.cfg`);
  assert.is(anonymous.status, 401);
  assert.not.match(anonymous.body, /account|password|pbx\.test/);
  assert.is((await curl(`/${MAC}.cfg`, `${MAC}:wrong-credential`)).status, 401);
  assert.is((await curl(`/${MAC}.cfg`, `805ec0999999:${credential}`)).status, 401);
  assert.is((await curl("/805ec0abcdef.cfg", `${MAC}:${credential}`)).status, 404);
  assert.is((await curl("/000000000000.cfg", `${MAC}:${credential}`)).status, 404, "not a Yealink file");

  const common = await curl("/y000000000066.cfg", `${MAC}:${credential}`);
  assert.is(common.status, 200);
  assert.match(common.body, /^local_time.time_zone_name = France\(Paris\)$/m);
  assert.not.match(common.body, /password/);

  const own = await curl(`/${MAC}.cfg`, `${MAC}:${credential}`);
  assert.is(own.status, 200, own.body);
  const kv = new Map(
    own.body
      .split("\n")
      .map((l) => /^([a-z0-9_.]+) = (.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  assert.is(kv.get("account.1.user_name"), "201");
  assert.is(kv.get("account.1.display_name"), "Alice");
  assert.is(kv.get("account.1.sip_server.1.address"), DOMAIN);
  assert.is(kv.get("account.1.outbound_proxy.1.address"), "sip.operator.test");
  assert.is(kv.get("account.1.outbound_proxy.2.address"), "sip2.operator.test");
  assert.is(kv.get("account.1.sip_server.1.expires"), "300");
  assert.is(kv.get("linekey.2.value"), "202");
  const sipPassword = kv.get("account.1.password");
  assert.ok(sipPassword !== undefined && sipPassword !== "tulip-orbit-5583-glow", "a provisioned password");
  // Every fetch is logged with the MAC, the source and the result; no secret in the log.
  const logs = sw.logs();
  const fetches = logs
    .split("\n")
    .filter((l) => l.includes('"event":"provisioning-fetch"'))
    .map(
      (l) => JSON.parse(l) as { source: string; file: string; mac?: string; result: string; status: number },
    );
  assert.ok(
    fetches.some(
      (f) => f.source === "127.0.0.1" && f.file === `${MAC}.cfg` && f.mac === MAC && f.result === "served",
    ),
    JSON.stringify(fetches),
  );
  assert.match(logs, /"result":"no-credentials"/);
  assert.match(logs, /"result":"bad-credentials"/);
  assert.not.ok(logs.includes(sipPassword!) || logs.includes(credential!), "a secret reached the log");

  // A real phone configured with what the file says registers with the provisioned password
  // (baresip knows no DNS here: it is pointed at the switch's address, the file's account kept).
  phone = await BaresipPhone.start({ name: "desk", tone: 1000 });
  const reg = await phone.register({
    aor: `sip:201@${DOMAIN}`,
    password: sipPassword!,
    outboundProxy: `sip:${sw.address}:${sw.port};transport=udp`,
  });
  assert.is(reg.type, "REGISTER_OK", `${reg.param}`);

  // Remote repair: the running switch sends check-sync on the phone's registration.
  const resync = await centrex(["phone", "resync", MAC, "--config", configFile]);
  assert.is(resync.code, 0, `${resync.stdout}${resync.stderr}`);
  const answer = /check-sync;reboot=false to (\S+) \(127\.0\.0\.1:(\d+)\): (\d{3})/.exec(resync.stdout);
  assert.ok(answer, resync.stdout);
  assert.is(Number(answer![2]), phone.sipPort, "sent to the phone's registered flow");
  // baresip answered it: the NOTIFY and its Event header are in the phone's own SIP trace.
  const trace = phone.output();
  assert.ok(trace.includes(`NOTIFY ${answer![1]} SIP/2.0`), "the NOTIFY is in the phone's trace");
  assert.match(trace, /Event: check-sync;reboot=false/);
  assert.match(trace, new RegExp(`SIP/2.0 ${answer![3]} `));

  // Removed phones are refused at once, and a resync of an unknown MAC is an error.
  assert.is((await run(["phone", "remove", MAC])).code, 0);
  assert.is((await curl(`/${MAC}.cfg`, `${MAC}:${credential}`)).status, 401);
  const gone = await centrex(["phone", "resync", MAC, "--config", configFile]);
  assert.is(gone.code, 2);
  assert.match(gone.stderr, /no phone with MAC 805ec0123456/);

  // One audit trail for the CLI and the API, through the operations layer: the refused adds
  // above left none, the resync is there under the API token that sent it.
  const trail = (await api("GET", `/audit?customer=${DOMAIN}&limit=20`)).body as unknown as {
    actor: string;
    action: string;
  }[];
  const phoneActions = trail
    .filter((e) => e.action.startsWith("phone."))
    .map((e) => [e.actor.split(":")[0], e.action]);
  assert.equal(phoneActions, [
    ["cli", "phone.remove"],
    ["api", "phone.resync"],
    ["cli", "phone.add"],
  ]);
  assert.not.ok(JSON.stringify(trail).includes(credential!), "the provisioning password is not in the trail");
});

test.run();
