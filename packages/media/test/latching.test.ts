import { test } from "uvu";
import * as assert from "uvu/assert";
import { type LatchingMode, MediaRelay } from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtp, sleep } from "./helpers.js";

interface Setup {
  relay: MediaRelay;
  a: Endpoint;
  b: Endpoint;
  /** A second socket of "phone A": a wrong source, or A after a network change. */
  a2: Endpoint;
  toA: number;
  toB: number;
  done(): Promise<void>;
}

/** A announces a port it does not send from (NAT), so only latching can find it. */
async function setup(latching: LatchingMode, relearnAfterMs = 0): Promise<Setup> {
  const relay = new MediaRelay(portRange());
  const a = await Endpoint.open();
  const a2 = await Endpoint.open();
  const b = await Endpoint.open();
  const natted = await Endpoint.open();
  const offer = await relay.offer("L", "ft", phoneSdp({ port: natted.port }), { latching, relearnAfterMs });
  const answer = await relay.answer("L", "tt", phoneSdp({ port: b.port }));
  return {
    relay,
    a,
    b,
    a2,
    toA: mPorts(answer)[0]!,
    toB: mPorts(offer)[0]!,
    async done() {
      for (const e of [a, a2, b, natted]) e.close();
      await relay.close();
    },
  };
}

test("lock (strict source): latches the first source; the socket, connected to it, never sees another port", async () => {
  const s = await setup("lock");
  try {
    await s.a.send(rtp(1, 0), s.toA);
    await s.b.waitFor(1);
    await s.b.send(rtp(1, 0), s.toB);
    await s.a.waitFor(1);
    assert.is(s.a.received[0]!.from.port, s.toA, "B's media reached A's real (latched) port");
    await s.a2.send(rtp(2, 160), s.toA);
    await s.a2.send(rtp(3, 320), s.toA);
    await sleep(50);
    const q = await s.relay.query("L");
    // connect()ed to the latched source: the kernel drops the others before the relay reads them.
    assert.is(q.legs[0]!.streams[0]!.strictDrops, 0);
    assert.is(q.legs[0]!.streams[0]!.packets, 1);
    assert.ok(q.legs[0]!.streams[0]!.latched);
    assert.equal(q.legs[0]!.streams[0]!.endpoint, { address: "127.0.0.1", port: s.a.port });
    assert.is(s.b.received.length, 1, "the intruder's packets were not forwarded");
  } finally {
    await s.done();
  }
});

test("lock then re-learn: after the locked source is silent for relearnAfterMs, a new one is accepted", async () => {
  const s = await setup("lock", 400);
  try {
    await s.a.send(rtp(1, 0), s.toA);
    await s.b.waitFor(1);
    await s.a2.send(rtp(2, 160), s.toA);
    await sleep(40);
    assert.is(s.b.received.length, 1, "too early: still locked");
    // Re-learning opens the socket again at the first sweep (every 250 ms) after 400 ms of silence.
    await sleep(700);
    // Handover: the phone now sends from its new network address.
    await s.a2.send(rtp(3, 320), s.toA);
    await s.b.waitFor(2);
    await s.b.send(rtp(1, 0), s.toB);
    await s.a2.waitFor(1);
    assert.is(s.a.received.length, 0, "the old address no longer gets media");
    const q = await s.relay.query("L");
    assert.equal(q.legs[0]!.streams[0]!.endpoint, { address: "127.0.0.1", port: s.a2.port });
  } finally {
    await s.done();
  }
});

test("re-offer with a new address re-learns at once", async () => {
  const s = await setup("lock");
  try {
    await s.a.send(rtp(1, 0), s.toA);
    await s.b.waitFor(1);
    await s.relay.offer("L", "ft", phoneSdp({ port: s.a2.port, version: 2 }));
    await s.relay.answer("L", "tt", phoneSdp({ port: s.b.port, version: 2 }));
    await s.b.send(rtp(1, 0), s.toB);
    await s.a2.waitFor(1);
    assert.is(s.a.received.length, 0, "media goes to the new SDP address before any packet");
    await s.a2.send(rtp(2, 160), s.toA);
    await s.b.waitFor(2);
  } finally {
    await s.done();
  }
});

test("learn: follows the latest source without drops; trust-address: sends to the SDP address only", async () => {
  const s = await setup("learn");
  try {
    await s.a.send(rtp(1, 0), s.toA);
    await s.a2.send(rtp(2, 160), s.toA);
    await s.b.waitFor(2);
    await s.b.send(rtp(1, 0), s.toB);
    await s.a2.waitFor(1);
    assert.is((await s.relay.query("L")).legs[0]!.streams[0]!.strictDrops, 0);
  } finally {
    await s.done();
  }
  const t = await setup("trust-address");
  try {
    await t.a.send(rtp(1, 0), t.toA);
    await t.b.waitFor(1);
    await t.b.send(rtp(1, 0), t.toB);
    await sleep(50);
    assert.is(t.a.received.length, 0, "A's real port is ignored: the SDP said otherwise");
    const q = await t.relay.query("L");
    assert.not.ok(q.legs[0]!.streams[0]!.latched);
  } finally {
    await t.done();
  }
});

test.run();
