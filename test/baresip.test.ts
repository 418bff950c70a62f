import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyse, readWav } from "./helpers/audio.js";
import { BaresipPhone } from "./helpers/baresip.js";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { freePort } from "./helpers/ports.js";

// Real desk phones end to end: two baresip processes register with digest, call each other
// through the switch and each must hear the other's tone in the audio it decoded.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
let sw: RunningSwitch;
let configDir: string;
const phones = new Set<BaresipPhone>();

async function phone(name: string, tone: number): Promise<BaresipPhone> {
  const p = await BaresipPhone.start({ name, tone });
  phones.add(p);
  return p;
}

async function stopPhones(): Promise<void> {
  await Promise.all([...phones].map((p) => p.stop()));
  phones.clear();
}

function proxy(): string {
  return `sip:${sw.address}:${sw.port};transport=udp`;
}

async function registeredCount(ext: string): Promise<string> {
  const list = await centrex(["extension", "list", DOMAIN, "--db", sw.db]);
  assert.is(list.code, 0, list.stderr);
  return list.stdout.match(new RegExp(`^${ext}\\t\\w+\\t(\\d+) registered`, "m"))?.[1] ?? "?";
}

/** Asserts that `heard` carries `expected` Hz clearly, and not `other` Hz, nor silence. */
function assertHeard(who: string, wavPath: string, expected: number, other: number): void {
  const wav = readWav(wavPath);
  // Skip the first half second (call set-up, jitter buffer filling) and the tail (hang-up).
  const seconds = wav.samples.length / wav.sampleRate;
  const a = analyse(wav, [expected, other], { fromSeconds: 0.5, toSeconds: seconds - 0.2 });
  const want = a.power.get(expected) ?? 0;
  const unwanted = a.power.get(other) ?? 0;
  const facts = `${who}: ${seconds.toFixed(2)} s, rms ${a.rms.toFixed(3)}, ${expected} Hz ${want.toFixed(3)}, ${other} Hz ${unwanted.toFixed(4)}`;
  assert.ok(seconds >= 2, `too short a recording: ${facts}`);
  assert.ok(a.rms > 0.05, `silence: ${facts}`);
  // The phones send 0.4 of full scale (rms 0.28); G.711 keeps it within a few per cent.
  assert.ok(want > 0.15, `the expected tone is missing or weak: ${facts}`);
  assert.ok(want > 20 * unwanted, `the wrong tone is there too: ${facts}`);
  // Nearly all the energy is the tone: no noise, no garbled audio.
  assert.ok(want > 0.9 * a.rms, `the tone is not most of the signal: ${facts}`);
}

test.before(async () => {
  configDir = mkdtempSync(join(tmpdir(), "centrex-baresip-e2e-"));
  const config = join(configDir, "centrex.yaml");
  const relayBase = (await freePort()) & ~1;
  // libre 1.1 (baresip 1.0) gives up on a 401/407 that offers any algorithm it lacks
  // ("Function not implemented"), even next to an MD5 challenge: offer MD5 alone here.
  writeFileSync(
    config,
    [
      "sip:",
      "  digestAlgorithms: [MD5]",
      "media:",
      `  portMin: ${relayBase}`,
      `  portMax: ${Math.min(relayBase + 99, 65535)}`,
      "",
    ].join("\n"),
  );
  sw = await startSwitch({ args: ["--config", config, "--log-level", "info"] });
  for (const args of [
    ["customer", "add", "Acme", "--domain", DOMAIN],
    ["extension", "add", DOMAIN, "201", "--password", "secret-201"],
    ["extension", "add", DOMAIN, "202", "--password", "secret-202"],
    ["extension", "add", DOMAIN, "203", "--password", "secret-203"],
  ]) {
    const r = await centrex([...args, "--db", sw.db]);
    assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  }
});

test.after.each(async () => {
  await stopPhones();
});

test.after(async () => {
  await stopPhones();
  await sw?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

test("two baresip phones register with digest, call, and each hears the other's tone", async () => {
  const a = await phone("A", TONE_A);
  const b = await phone("B", TONE_B);
  const regA = await a.register({ aor: `sip:201@${DOMAIN}`, password: "secret-201", outboundProxy: proxy() });
  const regB = await b.register({ aor: `sip:202@${DOMAIN}`, password: "secret-202", outboundProxy: proxy() });
  assert.is(regA.type, "REGISTER_OK", `A: ${regA.param}`);
  assert.is(regB.type, "REGISTER_OK", `B: ${regB.param}`);
  assert.is(await registeredCount("201"), "1");
  assert.is(await registeredCount("202"), "1");

  await a.dial(`sip:202@${DOMAIN}`);
  const [upA, upB] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    b.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  assert.is(upA.direction, "outgoing");
  assert.is(upA.peeruri, `sip:202@${DOMAIN}`);
  assert.is(upB.direction, "incoming");
  assert.is(upB.peeruri, `sip:201@${DOMAIN}`);
  assert.is(upA.id, upB.id, "both ends of one dialog (same Call-ID)");

  await new Promise((r) => setTimeout(r, 3000)); // talk
  await a.hangup();
  const [downA, downB] = await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
  assert.is(downA.id, upA.id);
  assert.is(downB.id, upB.id);

  // sndfile closes (and finalises) its WAV when the call's audio stream goes away.
  assertHeard("A", a.recordedWav(), TONE_B, TONE_A);
  assertHeard("B", b.recordedWav(), TONE_A, TONE_B);
});

test("a wrong password: REGISTER_FAIL, and no binding", async () => {
  const c = await phone("C", TONE_A);
  const reg = await c.register({
    aor: `sip:203@${DOMAIN}`,
    password: "not-the-password",
    outboundProxy: proxy(),
  });
  assert.is(reg.type, "REGISTER_FAIL", `got ${reg.type} (${reg.param})`);
  assert.match(String(reg.param), /40[13]/, `why: ${reg.param}`);
  assert.is(await registeredCount("203"), "0");
});

test.run();
