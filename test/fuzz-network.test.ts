/**
 * A network fuzzer against a live switch: mutations of the RFC 4475 torture messages and of a
 * realistic call flow (REGISTER, INVITE with SDP — SDES a=crypto included —, ACK, BYE, CANCEL,
 * OPTIONS, responses), SIP and SDP, over UDP and TCP. Runs inside its own network namespace
 * (the switch is fed messages it did not build). Asserts: the process never dies, logs no
 * unexpected error (a caught exception in the parser or a handler is a bug), and its memory
 * comes back to the baseline once the transactions the fuzz opened have expired.
 *
 * Config overrides, with their reasons:
 * - `security.allow: [127.0.0.1]`: one source sending thousands of broken messages is exactly
 *   what the flood limit bans; the fuzz must reach the parser, not the ban list.
 * - `sip.timers.t1: 50`: transactions left by the fuzz expire in 64*T1 = 3.2 s instead of 32 s,
 *   so "memory back to baseline" is checked within the test's time.
 */

import dgram from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startSwitch } from "./helpers/centrex.js";
import { NETNS, runInNetns } from "./helpers/netns.js";
import { createTenant } from "./helpers/store-tenant.js";

const ITERATIONS = Number(process.env.CENTREX_FUZZ_ITERATIONS ?? 30_000);
const MAX_SECONDS = 60;
const SEED = 0x4475_f00d;
const RFC4475 = "/work/shared/data/rfc4475";

/** mulberry32: deterministic, so a failing run reproduces from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SDP = [
  "v=0",
  "o=- 20518 0 IN IP4 127.0.0.2",
  "s=-",
  "c=IN IP4 127.0.0.2",
  "t=0 0",
  "m=audio 40000 RTP/SAVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32",
  "a=sendrecv",
  "",
].join("\r\n");

function message(lines: string[], body = ""): string {
  return `${lines.join("\r\n")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** One call's messages as a desk phone and the switch exchange them (the shapes captured from SIPp and baresip runs). */
function callFlow(port: number): string[] {
  const via = (b: string) => `Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK${b};rport`;
  const dialog = ["From: <sip:201@pbx.test>;tag=a1", "To: <sip:202@pbx.test>", "Call-ID: flow-1@127.0.0.2"];
  return [
    message([
      "REGISTER sip:pbx.test SIP/2.0",
      via("r1"),
      "Max-Forwards: 70",
      "From: <sip:201@pbx.test>;tag=r1",
      "To: <sip:201@pbx.test>",
      "Call-ID: reg-1@127.0.0.2",
      "CSeq: 2 REGISTER",
      "Contact: <sip:201@127.0.0.2:5062>;expires=60",
      'Authorization: Digest username="201",realm="pbx.test",nonce="AAAA",uri="sip:pbx.test",response="0123456789abcdef0123456789abcdef",algorithm=MD5,qop=auth,nc=00000001,cnonce="c"',
      "User-Agent: Yealink SIP-T46U 108.86.0.20",
    ]),
    message(
      [
        `INVITE sip:202@pbx.test:${port} SIP/2.0`,
        via("i1"),
        "Max-Forwards: 70",
        ...dialog,
        "CSeq: 1 INVITE",
        "Contact: <sip:201@127.0.0.2:5062>",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER",
        "Supported: replaces, timer",
        "Session-Expires: 1800",
        "Content-Type: application/sdp",
      ],
      SDP,
    ),
    message(["ACK sip:202@127.0.0.2:5064 SIP/2.0", via("a1"), "Max-Forwards: 70", ...dialog, "CSeq: 1 ACK"]),
    message(["BYE sip:202@127.0.0.2:5064 SIP/2.0", via("b1"), "Max-Forwards: 70", ...dialog, "CSeq: 2 BYE"]),
    message(["CANCEL sip:202@pbx.test SIP/2.0", via("i1"), "Max-Forwards: 70", ...dialog, "CSeq: 1 CANCEL"]),
    message([
      "OPTIONS sip:pbx.test SIP/2.0",
      via("o1"),
      "Max-Forwards: 70",
      "From: <sip:201@pbx.test>;tag=o1",
      "To: <sip:pbx.test>",
      "Call-ID: opt-1",
      "CSeq: 1 OPTIONS",
    ]),
    message(
      [
        "SIP/2.0 200 OK",
        "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKproxy1;rport=5060",
        ...dialog.slice(0, 1),
        "To: <sip:202@pbx.test>;tag=b2",
        "Call-ID: flow-1@127.0.0.2",
        "CSeq: 1 INVITE",
        "Contact: <sip:202@127.0.0.2:5064>",
        "Content-Type: application/sdp",
      ],
      SDP,
    ),
    message([
      "SIP/2.0 180 Ringing",
      "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKproxy1;rport=5060",
      ...dialog,
      "CSeq: 1 INVITE",
    ]),
  ];
}

const SPECIAL = Buffer.from('\r\n \t;,:="<>@%?&\\/0123456789.*[]\x00\xff');
const SDP_LINES = [
  "m=audio 0 RTP/AVP",
  "m=audio 99999999999 RTP/AVP 0",
  "m=video 40002 RTP/AVP 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110",
  "c=IN IP6 ::ffff:127.0.0.1",
  "c=IN IP4 999.1.1.1",
  "c=IN IP4",
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:",
  "a=crypto:x",
  "a=rtcp:abc",
  "a=rtpmap:",
  "o=",
  "v=1",
];

/** Mutates SIP (lines, bytes, lengths) and, when there is a body, SDP (lines swapped for hostile ones). */
function mutate(src: Buffer, corpus: readonly Buffer[], rnd: () => number): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(src);
  for (let round = 1 + pick(3); round > 0; round--) {
    const lines = () => b.toString("latin1").split("\r\n");
    switch (pick(9)) {
      case 0:
        for (let i = 1 + pick(4); i > 0 && b.length > 0; i--) {
          const j = pick(b.length);
          b[j] = (b[j] as number) ^ (1 << pick(8));
        }
        break;
      case 1:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 2: {
        const l = lines();
        const i = pick(l.length);
        l.splice(i, 0, l[i] ?? "");
        b = Buffer.from(l.join("\r\n"), "latin1");
        break;
      }
      case 3: {
        const at = pick(b.length + 1);
        const fill = ["9", "a", ";", ",", " ", "%", "<"][pick(7)] as string;
        b = Buffer.concat([b.subarray(0, at), Buffer.from(fill.repeat(1 + pick(3000))), b.subarray(at)]);
        break;
      }
      case 4: {
        const at = pick(b.length + 1);
        const ins = Buffer.alloc(1 + pick(8));
        for (let i = 0; i < ins.length; i++)
          ins[i] = rnd() < 0.6 ? (SPECIAL[pick(SPECIAL.length)] as number) : pick(256);
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 5: {
        const l = lines().filter((x) => !/^content-length/i.test(x) || rnd() < 0.5);
        if (rnd() < 0.5) l.splice(1, 0, `Content-Length: ${[0, 1, 99999, -1, 4294967296][pick(5)]}`);
        b = Buffer.from(l.join("\r\n"), "latin1");
        break;
      }
      case 6: {
        const l = lines();
        const sdpAt = l.findIndex((x) => x.startsWith("v=0"));
        if (sdpAt < 0) break;
        l.splice(
          sdpAt + 1 + pick(Math.max(1, l.length - sdpAt - 1)),
          pick(2),
          SDP_LINES[pick(SDP_LINES.length)]!,
        );
        b = Buffer.from(l.join("\r\n"), "latin1");
        break;
      }
      case 7: {
        const other = (corpus[pick(corpus.length)] as Buffer).toString("latin1").split("\r\n");
        const l = lines();
        l.splice(1 + pick(Math.max(1, l.length - 1)), 0, other[pick(other.length)] ?? "");
        b = Buffer.from(l.join("\r\n"), "latin1");
        break;
      }
      default: {
        const l = lines();
        if (l.length > 2) l.splice(1 + pick(l.length - 1), 1);
        b = Buffer.from(l.join("\r\n"), "latin1");
      }
    }
  }
  return b;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (NETNS === undefined) {
  test("network fuzzing of a live switch (own network namespace)", async () => {
    assert.is(await runInNetns(import.meta.filename, 240_000), 0);
  });
  test.run();
} else {
  test("mutated SIP and SDP over UDP and TCP: no crash, no unexpected error, memory back to baseline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "centrex-fuzz-"));
    const config = join(dir, "centrex.yaml");
    writeFileSync(config, 'security:\n  allow: ["127.0.0.1"]\nsip:\n  timers:\n    t1: 50\n');
    const sw = await startSwitch({
      db: await createTenant("pbx.test", ["201", "202"]),
      args: ["--config", config],
    });
    const pid = sw.child.pid!;
    const corpus = [
      ...readdirSync(RFC4475)
        .filter((f) => f.endsWith(".dat"))
        .sort()
        .map((f) => readFileSync(join(RFC4475, f))),
      ...callFlow(sw.port).map((m) => Buffer.from(m, "latin1")),
    ];
    const rnd = prng(SEED);
    const udp = dgram.createSocket("udp4");
    udp.on("message", () => undefined);
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
    let tcp: net.Socket | undefined;
    const tcpSend = async (b: Buffer) => {
      if (tcp === undefined || tcp.destroyed) {
        const s = net.connect({ port: sw.port, host: "127.0.0.1" });
        s.on("error", () => undefined);
        s.on("data", () => undefined);
        await new Promise<void>((r) => {
          s.once("connect", () => r());
          s.once("close", () => r());
        });
        tcp = s;
      }
      if (!tcp.destroyed) tcp.write(b);
    };
    try {
      // One round of `n` mutated messages, alternating UDP and TCP.
      const round = async (n: number): Promise<number> => {
        const t0 = Date.now();
        let done = 0;
        while (done < n && Date.now() - t0 < MAX_SECONDS * 1000) {
          const src = corpus[Math.floor(rnd() * corpus.length)] as Buffer;
          const m = mutate(src, corpus, rnd);
          if (done % 2 === 0) udp.send(m.subarray(0, 65_000), sw.port, "127.0.0.1");
          else await tcpSend(m);
          done++;
          if (done % 200 === 0) {
            await sleep(20); // let the switch drain its socket: the fuzz is about content, not rate
            assert.is(sw.child.exitCode, null, `switch died after ${done} iterations`);
          }
        }
        tcp?.destroy();
        await sleep(6000); // 64*T1 = 3.2 s: every transaction opened by the round has ended
        return done;
      };
      // Two first rounds bring the process to its working size (JIT, pools, heap): the baseline.
      for (const m of corpus) udp.send(m, sw.port, "127.0.0.1");
      const warm = (await round(ITERATIONS / 3)) + (await round(ITERATIONS / 3));
      const baseline = rssKb(pid);
      const t0 = Date.now();
      const done = warm + (await round(ITERATIONS));
      const seconds = (Date.now() - t0) / 1000;
      const after = rssKb(pid);
      console.log(
        `network fuzz: ${done} iterations (UDP and TCP) in ${seconds.toFixed(1)} s, seed ${SEED.toString(16)};` +
          ` RSS after the warm-up round ${Math.round(baseline / 1024)} MiB, after the main round ${Math.round(after / 1024)} MiB`,
      );
      assert.is(sw.child.exitCode, null, "the switch died");
      const unexpected = sw
        .logs()
        .split("\n")
        .filter((l) => /"level":(50|60)/.test(l));
      assert.equal(unexpected, [], "errors logged while fuzzing");
      // A leak grows with the iterations: three times the warm-up's messages must not grow the process.
      assert.ok(after <= baseline + 16 * 1024, `memory grew: ${baseline} kB before, ${after} kB after`);
    } finally {
      udp.close();
      tcp?.destroy();
      await sw.stop();
    }
    assert.is(sw.child.exitCode, 0, "clean exit after the fuzz");
  });
  test.run();
}
