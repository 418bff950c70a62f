import { test } from "uvu";
import * as assert from "uvu/assert";
import { whyNotHeard } from "./helpers/audio.js";
import { BaresipPhone, type BaresipSwitch, startSwitchForBaresip } from "./helpers/baresip.js";
import { passwordOf } from "./helpers/passwords.js";

// The media fast path end to end: two baresip phones call through the switch with its
// default media settings (kernel: auto). Once both phones' RTP has latched, nftables forwards
// it; each phone must still hear the other's tone, the relay's sockets must have seen only
// the first packets, and the call's media statistics (logged at hang-up) must carry the
// kernel's counters. Then the same call where the kernel path is unavailable (no `nft` on
// the switch's PATH): one log line, and userspace forwards everything.
// Needs root (CAP_NET_ADMIN) for nftables, like a production relay using the kernel path.
const DOMAIN = "pbx.test";
const TONE_A = 1000;
const TONE_B = 2000;
const phones = new Set<BaresipPhone>();
const switches = new Set<BaresipSwitch>();

interface LegMedia {
  tag: string;
  packets: number;
  userspacePackets: number;
  kernelPackets: number;
}

async function talk(sw: BaresipSwitch, callee: string): Promise<LegMedia[]> {
  const a = await BaresipPhone.start({ name: "A", tone: TONE_A });
  phones.add(a);
  const b = await BaresipPhone.start({ name: "B", tone: TONE_B });
  phones.add(b);
  const regA = await a.register({
    aor: `sip:201@${DOMAIN}`,
    password: passwordOf("201"),
    outboundProxy: sw.proxy,
  });
  const regB = await b.register({
    aor: `sip:${callee}@${DOMAIN}`,
    password: passwordOf(callee),
    outboundProxy: sw.proxy,
  });
  assert.is(regA.type, "REGISTER_OK", `A: ${regA.param}`);
  assert.is(regB.type, "REGISTER_OK", `B: ${regB.param}`);
  await a.dial(`sip:${callee}@${DOMAIN}`);
  const [up] = await Promise.all([
    a.waitFor("CALL_ESTABLISHED", 10_000),
    b.waitFor("CALL_ESTABLISHED", 10_000),
  ]);
  await new Promise((r) => setTimeout(r, 4000)); // talk: ~200 packets each way
  await a.hangup();
  await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
  const heardByA = whyNotHeard(a.recordedWav(), TONE_B, TONE_A);
  const heardByB = whyNotHeard(b.recordedWav(), TONE_A, TONE_B);
  assert.ok(heardByA === undefined, `A (should hear B's ${TONE_B} Hz): ${heardByA}`);
  assert.ok(heardByB === undefined, `B (should hear A's ${TONE_A} Hz): ${heardByB}`);
  let stats: { legs: LegMedia[] } | undefined;
  for (let i = 0; i < 50 && stats === undefined; i++) {
    stats = sw.sw
      .logs()
      .split("\n")
      .filter((l) => l.includes('"event":"media-stats"') && l.includes(String(up.id)))
      .map((l) => JSON.parse(l) as { legs: LegMedia[] })[0];
    if (stats === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(stats !== undefined, "no media-stats line for the call");
  return stats.legs;
}

test.after.each(async () => {
  await Promise.all([...phones].map((p) => p.stop()));
  phones.clear();
});

test.after(async () => {
  await Promise.all([...switches].map((s) => s.stop()));
});

test("kernel path: both tones cross, the relay's sockets see only the first packets, counters in the call's stats", async () => {
  const sw = await startSwitchForBaresip({
    domain: DOMAIN,
    extensions: [
      ["201", passwordOf("201")],
      ["202", passwordOf("202")],
    ],
  });
  switches.add(sw);
  // The relay opens its table while the switch starts; the line may follow "started".
  await sw.sw.waitForLog(/kernel forwarding (on|unavailable)/, 10_000);
  assert.match(
    sw.sw.logs(),
    /kernel forwarding on/,
    "kernel path unavailable: this test needs root and nftables",
  );
  const legs = await talk(sw, "202");
  assert.is(legs.length, 2);
  for (const leg of legs) {
    // 4 s of 20 ms packetisation: ~200 packets from each phone, all but the first few in the kernel.
    assert.ok(leg.kernelPackets >= 150, `leg ${leg.tag}: only ${leg.kernelPackets} packets in the kernel`);
    // The flow is installed by one `nft` run after both sources latched: ~100 ms on a quiet
    // machine (≤ 5 packets), up to ~600 ms seen on a loaded one. At most the first second.
    assert.ok(
      leg.userspacePackets <= 50,
      `leg ${leg.tag}: ${leg.userspacePackets} packets reached the relay's sockets`,
    );
    assert.ok(leg.packets >= leg.kernelPackets, "the call's packet count includes the kernel's");
  }
});

test("kernel path unavailable (no nft): one log line, userspace forwards, both tones cross", async () => {
  const path = (process.env.PATH ?? "")
    .split(":")
    .filter((d) => !/\/sbin$/.test(d))
    .join(":");
  const sw = await startSwitchForBaresip({
    domain: DOMAIN,
    extensions: [
      ["201", passwordOf("201")],
      ["203", passwordOf("203")],
    ],
    env: { ...process.env, PATH: path },
  });
  switches.add(sw);
  await sw.sw.waitForLog(/kernel forwarding (on|unavailable)/, 10_000);
  const lines = sw.sw.logs().match(/kernel forwarding unavailable, forwarding in userspace: [^"]*/g) ?? [];
  assert.is(lines.length, 1, sw.sw.logs());
  assert.match(lines[0]!, /nft/);
  const legs = await talk(sw, "203");
  for (const leg of legs) {
    assert.is(leg.kernelPackets, 0);
    assert.ok(leg.userspacePackets >= 150, `leg ${leg.tag}: ${leg.userspacePackets} packets`);
  }
});

test.run();
