import { test } from "uvu";
import * as assert from "uvu/assert";
import { MediaRelay } from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtp, sleep, until } from "./helpers.js";

test("stats: loss from a sequence gap, reordering, jitter from irregular timestamps, DTMF counted", async () => {
  const relay = new MediaRelay(portRange());
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    await relay.offer("S", "ft", phoneSdp({ port: a.port }));
    const toA = mPorts(await relay.answer("S", "tt", phoneSdp({ port: b.port })))[0]!;
    // Sequence 65530.. wraps past 0: 20 packets expected, 3 lost (65534, 2, 3), 1 reordered.
    const seqs = [65530, 65531, 65532, 65533, 65535, 0, 1, 4, 5, 6, 8, 7, 9, 10, 11, 12, 13];
    let ts = 1000;
    for (const seq of seqs) {
      // Timestamps advance by 160 but sends are not paced: arrival ≠ timestamp clock → jitter.
      ts += seq % 3 === 0 ? 480 : 160;
      await a.send(rtp(seq, ts), toA);
    }
    await a.send(rtp(14, ts, 101, 16), toA);
    await b.waitFor(seqs.length + 1);
    const st = (await relay.query("S")).legs[0]!.streams[0]!;
    assert.is(st.packets, 18);
    assert.is(st.bytes, 17 * 172 + 16);
    assert.is(st.expected, 21);
    assert.is(st.lost, 3);
    assert.is(st.reordered, 1);
    assert.is(st.dtmfPackets, 1);
    assert.ok(st.jitter > 0, `jitter ${st.jitter}`);
    assert.ok(st.jitterMs > 0);
    assert.ok(st.idleMs !== null && st.idleMs < 2000);
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test("malformed packets (not version 2, too short) are counted and not forwarded", async () => {
  const relay = new MediaRelay(portRange());
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    await relay.offer("M", "ft", phoneSdp({ port: a.port }));
    const toA = mPorts(await relay.answer("M", "tt", phoneSdp({ port: b.port })))[0]!;
    await a.send(Buffer.from("hello world, not rtp"), toA);
    await a.send(Buffer.from([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]), toA);
    await a.send(rtp(2, 160), toA);
    await b.waitFor(1);
    await sleep(30);
    assert.is(b.received.length, 1);
    const st = (await relay.query("M")).legs[0]!.streams[0]!;
    assert.is(st.malformed, 2);
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test("media timeout: silent call reported once through the delegate, ports released; hold waits longer", async () => {
  const timedOut: string[] = [];
  const relay = new MediaRelay({
    ...portRange(),
    defaults: { mediaTimeoutMs: 250, holdTimeoutMs: 900 },
    sweepIntervalMs: 20,
    delegate: { onMediaTimeout: (id) => timedOut.push(id) },
  });
  const a = await Endpoint.open();
  try {
    await relay.offer("quiet", "ft", phoneSdp({ port: 40000 }));
    await relay.offer("talking", "ft", phoneSdp({ port: a.port }));
    const toA = mPorts(await relay.answer("talking", "tt", phoneSdp({ port: 40010 })))[0]!;
    await relay.offer("held", "ft", phoneSdp({ port: 40020, mediaLines: ["a=sendonly"] }));
    const end = Date.now() + 500;
    let seq = 0;
    while (Date.now() < end) {
      await a.send(rtp(seq++, seq * 160), toA);
      await sleep(20);
    }
    assert.equal(timedOut, ["quiet"]);
    assert.equal((await relay.list()).sort(), ["held", "talking"]);
    assert.ok(
      await until(() => timedOut.includes("held"), 1500),
      "held call times out after the hold timeout",
    );
    assert.ok(await until(() => timedOut.includes("talking"), 1000));
    assert.is(timedOut.length, 3);
    assert.is(relay.callCount, 0);
    assert.is(relay.pool.available, relay.pool.size);
  } finally {
    a.close();
    await relay.close();
  }
});

test.run();
