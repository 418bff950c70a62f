import { test } from "uvu";
import * as assert from "uvu/assert";
import { isHold, parseSdp, rewriteSdp, SdpParseError } from "../src/index.js";

const OFFER = [
  "v=0",
  "o=alice 2890844526 7 IN IP4 192.0.2.10",
  "s=-",
  "c=IN IP4 192.0.2.10",
  "t=0 0",
  "a=ice-ufrag:F7gI",
  "a=ice-pwd:x9cml/YzichV2+XlhiMu8g",
  "a=x-unknown:keep me",
  "m=audio 49170 RTP/SAVP 0 101",
  "c=IN IP4 192.0.2.11",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=rtcp:49171 IN IP4 192.0.2.11",
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
  "a=candidate:1 1 UDP 2130706431 192.0.2.11 49170 typ host",
  "a=sendrecv",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "m=audio 49180 RTP/AVP 8",
  "a=rtcp-mux",
  "a=rtcp:49180",
  "",
].join("\r\n");

test("parses connection, ports, rtcp, mux, direction, telephone-event per m= line", () => {
  const sdp = parseSdp(OFFER);
  assert.is(sdp.originVersion, 7n);
  assert.is(sdp.media.length, 3);
  const [a, v, b] = sdp.media;
  assert.is(a!.address, "192.0.2.11");
  assert.is(a!.port, 49170);
  assert.is(a!.rtcpPort, 49171);
  assert.is(a!.rtcpAddress, "192.0.2.11");
  assert.is(a!.telephoneEventPt, 101);
  assert.is(a!.clockRates.get(0), 8000);
  assert.is(v!.port, 0);
  assert.is(v!.clockRates.get(96), 90000);
  assert.is(b!.address, "192.0.2.10", "session-level c= applies");
  assert.ok(b!.rtcpMux);
  assert.is(b!.telephoneEventPt, null);
  assert.not.ok(isHold(a!));
});

test("rewrite points c=, m=, a=rtcp and o= at the relay, keeps the rest verbatim, CRLF", () => {
  const out = rewriteSdp(parseSdp(OFFER), {
    address: "127.0.0.1",
    ports: [30000, 30002, 30004],
    originVersion: 8n,
    removeIce: true,
  });
  const lines = out.split("\r\n");
  assert.ok(out.endsWith("\r\n"));
  assert.not.ok(out.replace(/\r\n/g, "").includes("\n"), "no bare LF");
  assert.is(lines[1], "o=alice 2890844526 8 IN IP4 127.0.0.1");
  assert.is(lines[3], "c=IN IP4 127.0.0.1");
  assert.ok(lines.includes("a=x-unknown:keep me"));
  assert.ok(lines.includes("m=audio 30000 RTP/SAVP 0 101"));
  assert.ok(lines.includes("a=rtcp:30001 IN IP4 127.0.0.1"));
  assert.ok(lines.includes("m=video 0 RTP/AVP 96"), "rejected m= line stays port 0");
  assert.ok(lines.includes("m=audio 30004 RTP/AVP 8"));
  assert.ok(lines.includes("a=rtcp:30004"), "muxed a=rtcp follows the RTP port");
  assert.ok(
    lines.includes(
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
    ),
  );
  assert.ok(lines.includes("a=fmtp:101 0-16") && lines.includes("a=rtpmap:101 telephone-event/8000"));
  assert.not.ok(out.includes("ice-ufrag") || out.includes("ice-pwd") || out.includes("a=candidate"));
  assert.not.ok(out.includes("192.0.2."), "no endpoint address leaks");
  const kept = rewriteSdp(parseSdp(OFFER), {
    address: "::1",
    ports: [1, 2, 3],
    originVersion: 7n,
    removeIce: false,
  });
  assert.ok(kept.includes("a=ice-ufrag:F7gI") && kept.includes("a=candidate:1 1 UDP"));
  assert.ok(kept.includes("c=IN IP6 ::1"));
});

test("hold: sendonly, inactive, and the c=0.0.0.0 form (kept as is)", () => {
  const base = OFFER.replace("a=sendrecv", "a=sendonly");
  assert.ok(isHold(parseSdp(base).media[0]!));
  assert.ok(isHold(parseSdp(OFFER.replace("a=sendrecv", "a=inactive")).media[0]!));
  const old = OFFER.replace("c=IN IP4 192.0.2.11", "c=IN IP4 0.0.0.0");
  const parsed = parseSdp(old);
  assert.ok(isHold(parsed.media[0]!));
  const out = rewriteSdp(parsed, {
    address: "127.0.0.1",
    ports: [30000, 0, 30004],
    originVersion: 8n,
    removeIce: true,
  });
  assert.ok(out.includes("c=IN IP4 0.0.0.0"));
  const session = parseSdp(OFFER.replace("a=sendrecv\r\n", "").replace("t=0 0", "t=0 0\r\na=inactive"));
  assert.is(session.media[2]!.direction, "inactive", "session-level direction applies");
});

test("malformed SDP is refused with the line", () => {
  assert.throws(
    () => parseSdp(""),
    (e: unknown) => e instanceof SdpParseError,
  );
  assert.throws(() => parseSdp("v=1\r\n"), /line 1/);
  assert.throws(() => parseSdp("v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\nbogus\r\n"), /line 3/);
  assert.throws(() => parseSdp("v=0\r\ns=-\r\n"), /o= line/);
  assert.throws(() => parseSdp("v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n"), /m= line/);
});

test.run();
