import * as assert from "uvu/assert";
import { whyNotHeard } from "./audio.js";
import {
  type BaresipEvent,
  BaresipPhone,
  type BaresipSwitch,
  type PhoneOptions,
  type RegisterOptions,
  startSwitchForBaresip,
} from "./baresip.js";
import { passwordOf } from "./passwords.js";

// The steps every baresip end-to-end test repeats — a switch started once per file, phones
// started and always stopped, registered as an extension, a call set up, hung up, and both
// tones checked — written once, so a test reads as what it is about.

/** A switch for a test file, started by the first test that asks (uvu drops errors thrown in hooks). */
export class LazySwitch {
  #up: Promise<BaresipSwitch> | undefined;
  readonly #start: () => Promise<BaresipSwitch>;

  constructor(opts: Parameters<typeof startSwitchForBaresip>[0] | (() => Promise<BaresipSwitch>)) {
    this.#start = typeof opts === "function" ? opts : () => startSwitchForBaresip(opts);
  }

  get(): Promise<BaresipSwitch> {
    this.#up ??= this.#start();
    return this.#up;
  }

  async stop(): Promise<void> {
    await (await this.#up?.catch(() => undefined))?.stop();
  }
}

export interface RegisteredPhoneOptions extends PhoneOptions {
  /** The extension the phone registers as, `sip:<ext>@<domain>`. */
  ext: string;
  domain: string;
  /** The outbound proxy URI (`BaresipSwitch.proxy`, or a NAT box's address). */
  proxy: string;
  /** Default: the extension's test password (`passwordOf(ext)`). */
  password?: string;
  answermode?: RegisterOptions["answermode"];
  params?: RegisterOptions["params"];
}

/** The phones one test file starts; every one is stopped by `stopAll`, whatever failed. */
export class Phones {
  readonly #all = new Set<BaresipPhone>();

  async start(opts: PhoneOptions): Promise<BaresipPhone> {
    const phone = await BaresipPhone.start(opts);
    this.#all.add(phone);
    return phone;
  }

  /** Starts a phone and registers it; fails with baresip's reason when the REGISTER is refused. */
  async registered(opts: RegisteredPhoneOptions): Promise<BaresipPhone> {
    const phone = await this.start(opts);
    const reg = await phone.register({
      aor: `sip:${opts.ext}@${opts.domain}`,
      password: opts.password ?? passwordOf(opts.ext),
      outboundProxy: opts.proxy,
      ...(opts.answermode !== undefined && { answermode: opts.answermode }),
      ...(opts.params !== undefined && { params: opts.params }),
    });
    assert.is(reg.type, "REGISTER_OK", `${phone.name} as ${opts.ext}: ${reg.param}`);
    return phone;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#all].map((p) => p.stop()));
    this.#all.clear();
  }
}

/** `caller` dials `uri`; resolves once both phones have the call up, as one dialog. */
export async function connect(
  caller: BaresipPhone,
  callee: BaresipPhone,
  uri: string,
  timeoutMs = 10_000,
): Promise<{ caller: BaresipEvent; callee: BaresipEvent }> {
  await caller.dial(uri);
  const [up, rung] = await Promise.all([
    caller.waitFor("CALL_ESTABLISHED", timeoutMs),
    callee.waitFor("CALL_ESTABLISHED", timeoutMs),
  ]);
  assert.is(up.id, rung.id, "both ends of one dialog (same Call-ID)");
  return { caller: up, callee: rung };
}

/** `by` hangs up; resolves with both phones' CALL_CLOSED events. */
export async function hangUp(
  by: BaresipPhone,
  other: BaresipPhone,
  timeoutMs = 5000,
): Promise<[BaresipEvent, BaresipEvent]> {
  await by.hangup();
  return Promise.all([by.waitFor("CALL_CLOSED", timeoutMs), other.waitFor("CALL_CLOSED", timeoutMs)]);
}

/**
 * Each phone heard the other's tone in the audio it decoded (read after CALL_CLOSED: sndfile
 * finalises its WAV when the call's audio stream goes away).
 */
export function assertHeardBothWays(a: BaresipPhone, toneA: number, b: BaresipPhone, toneB: number): void {
  const heardByA = whyNotHeard(a.recordedWav(), toneB, toneA);
  const heardByB = whyNotHeard(b.recordedWav(), toneA, toneB);
  assert.ok(heardByA === undefined, `${a.name} (should hear ${b.name}'s ${toneB} Hz): ${heardByA}`);
  assert.ok(heardByB === undefined, `${b.name} (should hear ${a.name}'s ${toneA} Hz): ${heardByB}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
