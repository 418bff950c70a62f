import { createSocket } from "node:dgram";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MediaRelay, parseSdp } from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtcpRr, rtp, sleep } from "./helpers.js";

interface Phones {
  a: Endpoint;
  aRtcp: Endpoint;
  b: Endpoint;
  bRtcp: Endpoint;
}

async function phones(): Promise<Phones> {
  // Phones use port/port+1 only loosely here: RTCP ports are announced with a=rtcp.
  return {
    a: await Endpoint.open(),
    aRtcp: await Endpoint.open(),
    b: await Endpoint.open(),
    bRtcp: await Endpoint.open(),
  };
}

function closeAll(p: Phones): void {
  for (const e of Object.values(p)) e.close();
}

test("offer/answer anchors media: RTP and RTCP are relayed both ways, SDP points at the relay", async () => {
  const relay = new MediaRelay(portRange());
  const p = await phones();
  try {
    const offer = await relay.offer(
      "c1",
      "ft",
      phoneSdp({ port: p.a.port, mediaLines: [`a=rtcp:${p.aRtcp.port}`, "a=sendrecv"] }),
    );
    const [toB] = mPorts(offer);
    assert.ok(relay.pool.isInUse(toB!));
    assert.ok(offer.includes(`a=rtcp:${toB! + 1}`));
    assert.ok(offer.includes("a=rtpmap:101 telephone-event/8000"));
    const answer = await relay.answer(
      "c1",
      "tt",
      phoneSdp({ port: p.b.port, mediaLines: [`a=rtcp:${p.bRtcp.port}`, "a=sendrecv"] }),
    );
    const [toA] = mPorts(answer);
    assert.is.not(toA, toB);
    assert.ok(answer.includes("c=IN IP4 127.0.0.1"));

    await p.a.send(rtp(1, 160), toA!);
    await p.b.waitFor(1);
    assert.is(p.b.received[0]!.from.port, toB, "B hears A from the port B sends to (symmetric)");
    assert.is(p.b.received[0]!.msg.readUInt16BE(2), 1);
    await p.b.send(rtp(7, 160), toB!);
    await p.a.waitFor(1);
    assert.is(p.a.received[0]!.from.port, toA);

    await p.aRtcp.send(rtcpRr(), toA! + 1);
    await p.bRtcp.waitFor(1);
    assert.is(p.bRtcp.received[0]!.msg[1], 201);
    await p.bRtcp.send(rtcpRr(), toB! + 1);
    await p.aRtcp.waitFor(1);

    const stats = await relay.query("c1");
    assert.is(stats.legs[0]!.tag, "ft");
    assert.is(stats.legs[1]!.tag, "tt");
    assert.is(stats.legs[0]!.streams[0]!.packets, 1);
    assert.is(stats.legs[0]!.streams[0]!.rtcpPackets, 1);
    assert.is(stats.legs[0]!.streams[0]!.telephoneEventPt, 101);
    assert.equal(await relay.list(), ["c1"]);
    assert.ok(await relay.delete("c1"));
    assert.not.ok(relay.pool.isInUse(toA!) || relay.pool.isInUse(toB!), "ports released on delete");
    assert.is(relay.pool.available, relay.pool.size);
    assert.not.ok(await relay.delete("c1"));
  } finally {
    closeAll(p);
    await relay.close();
  }
});

test("re-INVITE reuses the call's ports and increments o= version; session refresh keeps it", async () => {
  const relay = new MediaRelay(portRange());
  try {
    const first = await relay.offer("c2", "ft", phoneSdp({ port: 40000, version: 1 }));
    await relay.answer("c2", "tt", phoneSdp({ port: 40010, version: 1 }));
    const v1 = parseSdp(first).originVersion;
    // The phone re-sends the same version (refresh): nothing changed, version stays.
    const refresh = await relay.offer("c2", "ft", phoneSdp({ port: 40000, version: 1 }));
    assert.equal(mPorts(refresh), mPorts(first));
    assert.is(parseSdp(refresh).originVersion, v1);
    // Hold re-INVITE with the same o= version (a buggy phone): we still increment.
    const hold = await relay.offer(
      "c2",
      "ft",
      phoneSdp({ port: 40000, version: 1, mediaLines: ["a=sendonly"] }),
    );
    assert.equal(mPorts(hold), mPorts(first), "same relay port on re-offer");
    assert.is(parseSdp(hold).originVersion, v1 + 1n);
    assert.ok(hold.includes("a=sendonly"), "direction passes through");
    const stats = await relay.query("c2");
    assert.ok(stats.legs[0]!.onHold);
    // The callee re-INVITEs (from its own tag): still the same ports.
    const back = await relay.offer("c2", "tt", phoneSdp({ port: 40010, version: 2 }));
    const answerBack = await relay.answer("c2", "ft", phoneSdp({ port: 40000, version: 3 }));
    assert.is(relay.pool.size - relay.pool.available, 2, "still only two pairs in use");
    assert.is.not(mPorts(back)[0], mPorts(answerBack)[0]);
  } finally {
    await relay.close();
  }
});

test("old-style hold c=0.0.0.0 is kept and marks the leg on hold; packets to it are not sent", async () => {
  const relay = new MediaRelay(portRange());
  const p = await phones();
  try {
    await relay.offer("c3", "ft", phoneSdp({ port: p.a.port }));
    const ans = await relay.answer("c3", "tt", phoneSdp({ port: p.b.port }));
    const toA = mPorts(ans)[0]!;
    const held = await relay.offer("c3", "ft", phoneSdp({ port: p.a.port, address: "0.0.0.0", version: 2 }));
    assert.ok(held.includes("c=IN IP4 0.0.0.0"));
    assert.ok(held.includes("o=phone 1234 2 IN IP4 127.0.0.1"), "origin rewritten, version kept");
    const heldAns = await relay.answer("c3", "tt", phoneSdp({ port: p.b.port, mediaLines: ["a=recvonly"] }));
    assert.is(mPorts(heldAns)[0], toA);
    const stats = await relay.query("c3");
    assert.ok(stats.legs[0]!.onHold && stats.legs[1]!.onHold);
    assert.is(stats.legs[0]!.streams[0]!.endpoint, null, "no destination for A while on hold");
    const toB = mPorts(held)[0]!;
    await p.b.send(rtp(1, 0), toB);
    const reached = async (): Promise<number> => (await relay.query("c3")).legs[1]!.streams[0]!.packets;
    let n = 0;
    for (let i = 0; i < 100 && n === 0; i++) {
      n = await reached();
      await sleep(5);
    }
    assert.is(n, 1, "B's packet reached the relay");
    await sleep(50);
    assert.is(p.a.received.length, 0, "but was not sent to the held A");
  } finally {
    closeAll(p);
    await relay.close();
  }
});

test("several m= lines get their own ports; a rejected one stays 0; crypto and telephone-event per leg", async () => {
  const relay = new MediaRelay(portRange());
  try {
    const crypto =
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32";
    const offerSdp = phoneSdp({
      port: 40000,
      mediaLines: [crypto],
      media: [["m=video 0 RTP/AVP 96"], ["m=audio 40004 RTP/AVP 8 100", "a=rtpmap:100 telephone-event/8000"]],
    });
    const out = await relay.offer("c4", "ft", offerSdp);
    const ports = mPorts(out);
    assert.is(ports.length, 3);
    assert.is(ports[1], 0);
    assert.ok(ports[0]! > 0 && ports[2]! > 0 && ports[0] !== ports[2]);
    assert.ok(out.includes(crypto), "a=crypto untouched");
    const ans = await relay.answer(
      "c4",
      "tt",
      phoneSdp({
        port: 40010,
        mediaLines: [crypto.replace("WVNf", "ABCD")],
        media: [["m=video 0 RTP/AVP 96"], ["m=audio 40014 RTP/AVP 8 97", "a=rtpmap:97 telephone-event/8000"]],
      }),
    );
    assert.is(mPorts(ans)[1], 0);
    assert.ok(ans.includes("a=rtpmap:97 telephone-event/8000"));
    const stats = await relay.query("c4");
    assert.is(stats.legs[0]!.streams.length, 2);
    assert.equal(
      stats.legs[0]!.streams.map((s) => s.telephoneEventPt),
      [101, 100],
    );
    assert.equal(
      stats.legs[1]!.streams.map((s) => s.telephoneEventPt),
      [101, 97],
      "each leg keeps its own telephone-event payload type",
    );
    assert.is(relay.pool.size - relay.pool.available, 4);
  } finally {
    await relay.close();
  }
});

test("rtcp-mux: RTCP on the RTP port is relayed to the RTP port when both ends agreed", async () => {
  const relay = new MediaRelay(portRange());
  const p = await phones();
  try {
    const offer = await relay.offer("c5", "ft", phoneSdp({ port: p.a.port, mediaLines: ["a=rtcp-mux"] }));
    assert.ok(offer.includes("a=rtcp-mux"));
    const ans = await relay.answer("c5", "tt", phoneSdp({ port: p.b.port, mediaLines: ["a=rtcp-mux"] }));
    const toA = mPorts(ans)[0]!;
    const toB = mPorts(offer)[0]!;
    await p.a.send(rtp(1, 0), toA);
    await p.a.send(rtcpRr(), toA);
    await p.b.waitFor(2);
    assert.is(p.b.received[1]!.msg[1], 201, "RTCP arrived muxed on B's RTP port");
    await p.b.send(rtcpRr(), toB);
    await p.a.waitFor(1);
    const stats = await relay.query("c5");
    assert.is(stats.legs[0]!.streams[0]!.rtcpPackets, 1);
    assert.is(stats.legs[0]!.streams[0]!.packets, 1);
    assert.ok(stats.legs[0]!.streams[0]!.rtcpMux);
  } finally {
    closeAll(p);
    await relay.close();
  }
});

test("errors: answer for an unknown call, offer from an unknown tag, bad SDP; 300 offer/delete cycles leak nothing", async () => {
  const relay = new MediaRelay({ ...portRange(40) });
  try {
    await relay.answer("nope", "t", phoneSdp({ port: 1 })).then(
      () => assert.unreachable(),
      (e: Error & { code?: string }) => assert.is(e.code, "unknown-call"),
    );
    await relay.offer("c6", "ft", phoneSdp({ port: 40000 }));
    await relay.offer("c6", "other", phoneSdp({ port: 40000 })).then(
      () => assert.unreachable(),
      (e: Error & { code?: string }) => assert.is(e.code, "offer-answer"),
    );
    await relay.offer("c7", "ft", "garbage").then(
      () => assert.unreachable(),
      (e: Error & { code?: string }) => assert.is(e.code, "sdp-parse"),
    );
    assert.is(relay.callCount, 1, "a refused offer creates no call");
    await relay.delete("c6");
    for (let i = 0; i < 300; i++) {
      await relay.offer(`k${i}`, "ft", phoneSdp({ port: 40000, media: [["m=audio 40002 RTP/AVP 0"]] }));
      if (i % 2 === 0)
        await relay.answer(`k${i}`, "tt", phoneSdp({ port: 40010, media: [["m=audio 40012 RTP/AVP 0"]] }));
      await relay.delete(`k${i}`);
    }
    assert.is(relay.pool.available, relay.pool.size);
    assert.is(relay.callCount, 0);
  } finally {
    await relay.close();
  }
});

test("IPv6: a relay bound to ::1 writes IP6 addresses and relays between udp6 endpoints", async () => {
  const relay = new MediaRelay({ ...portRange(), bindAddress: "::1" });
  const a = createSocket("udp6");
  const b = createSocket("udp6");
  try {
    await new Promise<void>((r) => a.bind(0, "::1", () => r()));
    await new Promise<void>((r) => b.bind(0, "::1", () => r()));
    const v6 = (port: number): string => phoneSdp({ port }).replace(/IN IP4 127\.0\.0\.1/g, "IN IP6 ::1");
    const offer = await relay.offer("v6", "ft", v6(a.address().port));
    assert.ok(offer.includes("c=IN IP6 ::1"));
    const answer = await relay.answer("v6", "tt", v6(b.address().port));
    const got = new Promise<Buffer>((r) => b.once("message", r));
    a.send(rtp(9, 0), mPorts(answer)[0]!, "::1");
    assert.is((await got).readUInt16BE(2), 9);
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test.run();
