import { test } from "uvu";
import * as assert from "uvu/assert";
import { type BaresipSwitch, startSwitchForBaresip } from "./helpers/baresip.js";
import { assertHeardBothWays, connect, hangUp, Phones, sleep } from "./helpers/baresip-calls.js";
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
const phones = new Phones();
const switches = new Set<BaresipSwitch>();

interface LegMedia {
  tag: string;
  packets: number;
  userspacePackets: number;
  kernelPackets: number;
}

async function talk(sw: BaresipSwitch, callee: string): Promise<LegMedia[]> {
  const a = await phones.registered({ name: "A", tone: TONE_A, ext: "201", domain: DOMAIN, proxy: sw.proxy });
  const b = await phones.registered({
    name: "B",
    tone: TONE_B,
    ext: callee,
    domain: DOMAIN,
    proxy: sw.proxy,
  });
  const { caller: up } = await connect(a, b, `sip:${callee}@${DOMAIN}`);
  await sleep(4000); // talk: ~200 packets each way
  await hangUp(a, b);
  assertHeardBothWays(a, TONE_A, b, TONE_B);
  // One call per switch here, so the first media-stats line is this call's.
  const line = await sw.sw.logLine(/"event":"media-stats"/);
  assert.ok(line?.includes(String(up.id)), `no media-stats line for the call: ${line}`);
  return (JSON.parse(line!) as { legs: LegMedia[] }).legs;
}

test.after.each(() => phones.stopAll());

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
