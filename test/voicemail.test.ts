import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyse, readWav } from "./helpers/audio.js";
import type { BaresipEvent } from "./helpers/baresip.js";
import { LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { passwordOf } from "./helpers/passwords.js";

// Voicemail on the embedded defaults, with real phones: baresip A (201) leaves a message in
// 202's mailbox by dialling *97*202 and sending a 1 kHz tone; baresip B (202, with its mwi
// module subscribed to message-summary) sees its lamp go on, dials *98, must hear the 1 kHz
// tone played back (frequency analysis of what it decoded), deletes the message with key 7
// (RFC 4733), and sees the lamp go off.
const DOMAIN = "pbx.test";
const TONE = 1000;
const OWNER_TONE = 2000;
const phones = new Phones();
const pbx = new LazySwitch({
  domain: DOMAIN,
  extensions: [
    ["201", passwordOf("201")],
    ["202", passwordOf("202")],
  ],
});

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

/** The longest run (s) of 0.5 s windows where `frequency` is nearly all of the signal. */
function longestTone(wavPath: string, frequency: number): { seconds: number; at: number } {
  const wav = readWav(wavPath);
  const total = wav.samples.length / wav.sampleRate;
  let best = { seconds: 0, at: 0 };
  let runStart: number | undefined;
  for (let from = 0; from + 0.5 <= total; from += 0.25) {
    const a = analyse(wav, [frequency], { fromSeconds: from, toSeconds: from + 0.5 });
    const p = a.power.get(frequency) ?? 0;
    const tone = a.rms > 0.05 && p > 0.8 * a.rms;
    if (tone && runStart === undefined) runStart = from;
    if ((!tone || from + 0.75 > total) && runStart !== undefined) {
      const seconds = from + (tone ? 0.5 : 0.25) - runStart;
      if (seconds > best.seconds) best = { seconds, at: runStart };
      runStart = undefined;
    }
  }
  return best;
}

function mwi(e: BaresipEvent): string {
  return String(e.param ?? "");
}

test("a message left with a 1 kHz tone is played back to the owner, who deletes it; the lamp follows", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: TONE, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B",
    tone: 2000,
    modules: ["mwi.so"],
    ext: "202",
    domain: DOMAIN,
    proxy,
  });
  const empty = await b.waitFor("MWI_NOTIFY", 10_000);
  assert.match(mwi(empty), /Messages-Waiting: no/);

  // A leaves a message: greeting (~2 s) and the record tone, then 3 s of its tone.
  await a.dial(`sip:*97*202@${DOMAIN}`);
  await a.waitFor("CALL_ESTABLISHED", 10_000);
  await sleep(2700 + 3000);
  await a.hangup();
  await a.waitFor("CALL_CLOSED", 5000);
  const on = await b.waitFor("MWI_NOTIFY", 10_000);
  assert.match(mwi(on), /Messages-Waiting: yes/);
  assert.match(mwi(on), /Voice-Message: 1\/0/);
  const box = join(dirname(sw.db), "voicemail");
  const stored = () => readdirSync(box, { recursive: true }).filter((f) => String(f).endsWith(".wav"));
  assert.is(stored().length, 1, "one message file in the mailbox folder");

  // B listens: "you have one new message", the message, the menu; 7 deletes it.
  await b.dial(`sip:*98@${DOMAIN}`);
  await b.waitFor("CALL_ESTABLISHED", 10_000);
  await sleep(7000);
  await b.sendKeys("7");
  const off = await b.waitFor("MWI_NOTIFY", 10_000);
  assert.match(mwi(off), /Messages-Waiting: no/);
  assert.match(mwi(off), /Voice-Message: 0\/0/);
  await sleep(1500); // "message deleted"
  await b.hangup();
  await b.waitFor("CALL_CLOSED", 5000);
  assert.is(stored().length, 0, "the message's file is gone");
  assert.ok(existsSync(box));

  const heard = longestTone(b.recordedWav(), TONE);
  assert.ok(
    heard.seconds >= 2,
    `B should hear the 1 kHz message for ~3 s: longest run ${heard.seconds} s at ${heard.at} s`,
  );
  // Before it, the spoken count: not silence, and not the tone.
  const intro = analyse(readWav(b.recordedWav()), [TONE], {
    fromSeconds: 0.2,
    toSeconds: Math.max(0.7, heard.at - 0.3),
  });
  assert.ok(intro.rms > 0.02, `the prompt before the message is silence (rms ${intro.rms})`);
});

test("the owner records a greeting with key 5 and #; the next caller hears it; the voicemail hangs up itself", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A2", tone: TONE, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({ name: "B2", tone: OWNER_TONE, ext: "202", domain: DOMAIN, proxy });

  // "You have no new messages", the end menu (5 cuts it short), the greeting prompt and tone.
  await b.dial(`sip:*98@${DOMAIN}`);
  await b.waitFor("CALL_ESTABLISHED", 10_000);
  await sleep(2000);
  await b.sendKeys("5");
  await sleep(3600 + 3500); // then ~3.5 s of B's own tone is the greeting
  await b.sendKeys("#");
  // "Greeting saved. Goodbye." and the voicemail's BYE: B never hangs up.
  await b.waitFor("CALL_CLOSED", 10_000);

  await a.dial(`sip:*97*202@${DOMAIN}`);
  await a.waitFor("CALL_ESTABLISHED", 10_000);
  await sleep(3000);
  await a.hangup(); // before the record tone's end: no message is left
  await a.waitFor("CALL_CLOSED", 5000);
  const greeting = longestTone(a.recordedWav(), OWNER_TONE);
  assert.ok(
    greeting.seconds >= 1.5,
    `A should hear B's ${OWNER_TONE} Hz greeting: longest run ${greeting.seconds} s`,
  );
  const box = join(dirname(sw.db), "voicemail");
  const files = readdirSync(box, { recursive: true }).map(String);
  assert.ok(
    files.some((f) => f.endsWith("greeting.wav")),
    `greeting kept: ${files.join(", ")}`,
  );
  assert.is(
    files.filter((f) => /\d+-[0-9a-f]+\.wav$/.test(f)).length,
    0,
    "a hang-up during the greeting leaves no message",
  );
  assert.ok(await sw.waitForLog(/"event":"voicemail-empty"/, 5000), "no voicemail-empty line in the log");
});

test.run();
