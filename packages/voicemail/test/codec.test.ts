import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  chooseMedia,
  DtmfReceiver,
  decodeG711,
  dtmfPayloads,
  encodeG711,
  parseRtp,
  parseVoicemailCode,
  VoicemailRefusal,
  writeRtp,
} from "../src/index.js";

test("G.711 µ-law and A-law: a sine survives encode/decode within the codec's step", () => {
  const n = 800;
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  for (const law of ["mu", "a"] as const) {
    const back = decodeG711(law, encodeG711(law, s));
    let err = 0;
    let sig = 0;
    for (let i = 0; i < n; i++) {
      err += ((back[i] ?? 0) - (s[i] ?? 0)) ** 2;
      sig += (s[i] ?? 0) ** 2;
    }
    const snr = 10 * Math.log10(sig / err);
    assert.ok(snr > 30, `${law}-law SNR ${snr.toFixed(1)} dB`);
  }
  // Reference points of G.711: µ-law 0xFF is 0, 0x80 the largest positive; A-law 0xD5 is +8.
  assert.is(decodeG711("mu", Uint8Array.from([0xff]))[0], 0);
  assert.is(decodeG711("mu", Uint8Array.from([0x80]))[0], 32124);
  assert.is(decodeG711("a", Uint8Array.from([0xd5]))[0], 8);
  assert.is(encodeG711("mu", Int16Array.from([0]))[0], 0xff);
  assert.is(encodeG711("a", Int16Array.from([0]))[0], 0xd5);
});

test("RTP: written and parsed back; CSRCs, extension and padding skipped; junk refused", () => {
  const p = writeRtp(
    { payloadType: 8, marker: true, sequence: 65535, timestamp: 2 ** 32 - 1, ssrc: 42 },
    Buffer.from([1, 2, 3]),
  );
  const r = parseRtp(p);
  assert.equal(r && { ...r, payload: [...r.payload] }, {
    payloadType: 8,
    marker: true,
    sequence: 65535,
    timestamp: 2 ** 32 - 1,
    ssrc: 42,
    payload: [1, 2, 3],
  });
  const ext = Buffer.concat([
    Buffer.from([0x91, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
    Buffer.alloc(4),
    Buffer.from([0xbe, 0xde, 0, 1]),
    Buffer.alloc(4),
    Buffer.from([9]),
  ]);
  assert.equal([...(parseRtp(ext)?.payload ?? [])], [9]);
  const padded = Buffer.from([0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7, 0, 2]);
  assert.equal([...(parseRtp(padded)?.payload ?? [])], [7]);
  assert.is(parseRtp(Buffer.from("hello world!")), undefined);
  assert.is(parseRtp(Buffer.alloc(4)), undefined);
});

test("RFC 4733: one key press (updates and three end packets) is one key", () => {
  const rx = new DtmfReceiver();
  const keys: string[] = [];
  for (const [ts, key] of [
    [1000, "7"],
    [2000, "#"],
  ] as const) {
    for (const payload of dtmfPayloads(key)) {
      const k = rx.receive(ts, payload);
      if (k !== undefined) keys.push(k);
    }
  }
  assert.equal(keys, ["7", "#"]);
  assert.is(rx.receive(3000, Buffer.from([16, 0, 0, 0])), undefined, "events above 15 are not keys");
});

test("SDP: PCMU preferred, PCMA taken, telephone-event found; no G.711 is 488", () => {
  const offer = (m: string, extra = "") =>
    `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n${m}\r\n${extra}`;
  const c = chooseMedia(offer("m=audio 4000 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000\r\n"));
  assert.equal(c, { address: "127.0.0.9", port: 4000, payloadType: 0, law: "mu", dtmfPayloadType: 101 });
  assert.is(chooseMedia(offer("m=audio 4000 RTP/AVP 8")).law, "a");
  assert.throws(
    () => chooseMedia(offer("m=audio 4000 RTP/AVP 9")),
    (e: unknown) => e instanceof VoicemailRefusal && e.status === 488,
  );
  assert.throws(
    () => chooseMedia("v=0\r\n"),
    (e: unknown) => e instanceof VoicemailRefusal && e.status === 488,
  );
});

test("feature codes: *98 listens, *97*<ext> leaves a message; a PIN-looking string is neither", () => {
  assert.equal(parseVoicemailCode("*98"), { kind: "retrieve" });
  assert.equal(parseVoicemailCode("*97*202"), { kind: "deposit", extension: "202" });
  assert.equal(parseVoicemailCode("*97*202#"), { kind: "deposit", extension: "202" });
  assert.is(parseVoicemailCode("*9720202"), undefined);
  assert.is(parseVoicemailCode("*97*"), undefined);
  assert.is(parseVoicemailCode("98"), undefined);
});

test.run();
