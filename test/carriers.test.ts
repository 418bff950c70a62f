import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { explain, SippPhones } from "./helpers/phones.js";
import { freePort } from "./helpers/ports.js";
import { failedCalls, type SippCarrier, startSippCarrier } from "./helpers/sipp.js";

// The two common kinds of carrier, on the switch's defaults plus `centrex carrier add`
// (no trunk settings: probing every 30 s, carriers reloaded every 5 s, registration per carrier):
// - "registrar" (127.0.0.2): answers OPTIONS, refuses calls until we REGISTER (added with
//   --register);
// - "sbc" (127.0.0.3): ignores OPTIONS, wants no REGISTER, challenges every INVITE (added with
//   credentials only).
// Outbound, PIN-protected international and emergency calls succeed through each. The only
// override is the SIPp phones' (test/README.md): keepalive OPTIONS would break their scripts.
let sw: RunningSwitch;
let phones: SippPhones;
let registrar: SippCarrier;
let sbc: SippCarrier;

async function cli(...args: string[]): Promise<string> {
  const r = await centrex([...args, "--db", sw.db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${sw.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const line = async (name: string) =>
  (await cli("carrier", "list")).split("\n").find((l) => l.startsWith(`${name}\t`)) ?? "";

async function threeCalls(via: string): Promise<void> {
  for (const [dialled, what] of [
    ["0612345678", "national"],
    ["*4321004930123456789", "PIN-protected international"],
    ["15", "emergency"],
  ] as const) {
    const r = await phones.call(dialled, {});
    assert.is(r.caller.code, 0, `${what} call through ${via}: ${explain(r.caller)}`);
  }
}

test.before(async () => {
  sw = await startSwitch({ sippPhones: true });
  phones = new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test");
  registrar = await startSippCarrier({
    scenario: "carrier-register-required.xml",
    localIp: "127.0.0.2",
    localPort: await freePort("127.0.0.2"),
  });
  sbc = await startSippCarrier({
    scenario: "carrier-invite-auth.xml",
    localIp: "127.0.0.3",
    localPort: await freePort("127.0.0.3"),
  });
  await cli("customer", "add", "Acme", "--domain", "pbx.test");
  await cli(
    "extension",
    "add",
    "pbx.test",
    "201",
    "--password",
    (await import("./helpers/passwords.js")).passwordOf("201"),
  );
  await cli("did", "add", "pbx.test", "+33123456780", "--main", "--extension", "201");
  await cli("emergency", "pbx.test", "--department", "75", "--commune", "75056");
  await cli("pin", "add", "pbx.test", "boss", "--code", "4321");
});

test.after(async () => {
  await registrar?.stop();
  await sbc?.stop();
  await sw?.stop();
});

test("--register without a password is refused, naming the flag; nothing is stored", async () => {
  const r = await centrex([
    "carrier",
    "add",
    "half",
    "--host",
    "127.0.0.9",
    "--username",
    "u",
    "--register",
    "--db",
    sw.db,
  ]);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /--register.*--password/);
  assert.not.match(await cli("carrier", "list"), /^half\t/m);
});

test("a carrier that requires REGISTER, and one that ignores OPTIONS and challenges INVITEs", async () => {
  await cli(
    "carrier",
    "add",
    "registrar",
    "--host",
    "127.0.0.2",
    "--port",
    String(registrar.port),
    "--username",
    "reguser",
    "--password",
    "reg-Secret-1",
    "--register",
    "--format",
    "national",
    "--priority",
    "1",
  );
  await cli(
    "carrier",
    "add",
    "sbc",
    "--host",
    "127.0.0.3",
    "--port",
    String(sbc.port),
    "--username",
    "sbcuser",
    "--password",
    "sbc-Secret-1",
    "--priority",
    "2",
  );
  for (const c of ["registrar", "sbc"]) {
    await cli("carrier", "route", c, "33");
    await cli("carrier", "route", c, "49");
  }
  // Picked up on the next reload (5 s), the registrar registered to; the sbc gets no REGISTER.
  await until(
    "registrar registered",
    async () => /registration registered/.test(await line("registrar")),
    15_000,
  );
  assert.match(await line("registrar"), /\tregister\tup since /);
  assert.match(await line("sbc"), /\tno-register\tup since /);
  assert.not.match(await line("sbc"), /registration/);

  await threeCalls("the registrar carrier");

  // A probe round (every 30 s from start) reaches both: the registrar answers, the sbc says
  // nothing — and stays up, since it never answered OPTIONS.
  await until(
    "a probe round",
    () => sw.logs().includes("carrier answers OPTIONS: probed for health"),
    40_000,
  );
  await new Promise((r) => setTimeout(r, 2_500)); // the sbc's probe times out (2 s)
  assert.match(await line("sbc"), /\tup since /);

  // The registrar leaves (operator disables it): calls go to the sbc, which challenges each.
  await cli("carrier", "update", "registrar", "--enabled", "no");
  await new Promise((r) => setTimeout(r, 6_000)); // reload
  await threeCalls("the sbc carrier");
  assert.match(await line("sbc"), /\tup since /, "the sbc was never demoted");

  const registrarErrors = failedCalls(await registrar.stop());
  const sbcErrors = failedCalls(await sbc.stop());
  assert.equal(registrarErrors, [], `registrar carrier: ${registrarErrors.join("\n")}`);
  assert.equal(
    sbcErrors,
    [],
    `sbc carrier (a REGISTER or a failed check ends up here): ${sbcErrors.join("\n")}`,
  );
});

test.run();
