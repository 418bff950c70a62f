import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type MediaOptions, MediaRelay, type StreamStats } from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtcpRr, rtp, sleep, until } from "./helpers.js";

async function eventually(cond: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await sleep(10);
  return cond();
}

// The kernel fast path on loopback, in this network namespace: nftables forwards a stream
// once both phones' sources are latched, and the relay's sockets no longer see its packets.
// Needs root (CAP_NET_ADMIN) and the nft command, like the relay it tests.

interface Call {
  relay: MediaRelay;
  a: Endpoint;
  b: Endpoint;
  toA: number;
  toB: number;
  done(): Promise<void>;
}

async function call(
  opts: MediaOptions = {},
  sdpA: Partial<Parameters<typeof phoneSdp>[0]> = {},
): Promise<Call> {
  const relay = new MediaRelay({ ...portRange(), kernel: "auto", sweepIntervalMs: 100, defaults: opts });
  assert.ok(await relay.kernelReady, "kernel path unavailable: this test needs root and nftables");
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  const offer = await relay.offer("K", "ft", phoneSdp({ port: a.port, ...sdpA }));
  const answer = await relay.answer("K", "tt", phoneSdp({ port: b.port, ...sdpA }));
  return {
    relay,
    a,
    b,
    toA: mPorts(answer)[0]!,
    toB: mPorts(offer)[0]!,
    async done() {
      a.close();
      b.close();
      await relay.close();
    },
  };
}

async function stream(relay: MediaRelay, leg: number): Promise<StreamStats> {
  return (await relay.query("K")).legs[leg]!.streams[0]!;
}

/** Both phones send one packet: both sources latch, and the flow goes to the kernel. */
async function latchBoth(c: Call): Promise<void> {
  await c.a.send(rtp(1, 0), c.toA);
  await c.b.send(rtp(1, 0), c.toB);
  await c.a.waitFor(1);
  await c.b.waitFor(1);
  assert.ok(
    await eventually(async () => (await stream(c.relay, 0)).forwarding === "kernel"),
    "not installed",
  );
}

function tableExists(name: string, family = "ip"): boolean {
  try {
    execFileSync("nft", ["list", "table", family, name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("latched both ways: the kernel forwards, the relay's sockets see nothing, counters reach the stats", async () => {
  const c = await call();
  try {
    await latchBoth(c);
    const before = await stream(c.relay, 0);
    for (let i = 2; i < 22; i++) {
      await c.a.send(rtp(i, i * 160), c.toA);
      await c.b.send(rtp(i, i * 160), c.toB);
    }
    await c.b.waitFor(21);
    await c.a.waitFor(21);
    // What arrived came from the relay port facing each phone, as with userspace forwarding.
    assert.ok(c.b.received.every((r) => r.from.port === c.toB && r.from.address === "127.0.0.1"));
    assert.ok(c.a.received.every((r) => r.from.port === c.toA));
    assert.is(c.b.received[20]!.msg.readUInt16BE(2), 21, "payload untouched");
    const sa = await stream(c.relay, 0);
    const sb = await stream(c.relay, 1);
    assert.is(sa.userspacePackets, before.userspacePackets, "the relay's socket received none of them");
    assert.is(sa.kernelPackets, 20);
    assert.is(sb.kernelPackets, 20);
    assert.is(sa.packets, 21);
    assert.is(sa.bytes, 21 * 172);
    assert.is(sa.kernelMisses, 0);
    assert.ok(sa.idleMs !== null && sa.idleMs < 1000);
  } finally {
    await c.done();
  }
});

test("delete and close: packets go back to userspace, then nowhere; the table is gone", async () => {
  const c = await call();
  const table = c.relay.kernelTable;
  try {
    assert.ok(table !== undefined && tableExists(table));
    await latchBoth(c);
    await c.relay.delete("K");
    await c.a.send(rtp(2, 160), c.toA);
    await sleep(50);
    assert.is(c.b.received.length, 1, "no forwarding after delete");
  } finally {
    await c.done();
  }
  assert.not.ok(tableExists(table!), "table deleted at close");
});

test("an element gone behind the relay's back (expired): removal still clears the rest in one repair", async () => {
  const c = await call();
  const table = c.relay.kernelTable!;
  try {
    await latchBoth(c);
    // The dead man's switch fired for one end only: the removal transaction would fail on it.
    execFileSync("nft", [
      "delete",
      "element",
      "ip",
      table,
      "zones",
      `{ 127.0.0.1 . ${c.a.port} . ${c.toA} }`,
    ]);
    await c.relay.delete("K");
    const left = execFileSync("nft", ["-j", "list", "table", "ip", table]).toString();
    assert.not.match(left, /"elem"/, "elements left in the table");
  } finally {
    await c.done();
  }
});

test("re-INVITE to hold (c=0.0.0.0): the kernel stops forwarding to the held phone; resume re-latches", async () => {
  const c = await call();
  try {
    await latchBoth(c);
    await c.relay.offer("K", "tt", phoneSdp({ port: c.b.port, address: "0.0.0.0", version: 2 }));
    await c.relay.answer("K", "ft", phoneSdp({ port: c.a.port, version: 2 }));
    assert.is((await stream(c.relay, 0)).forwarding, "userspace");
    await c.a.send(rtp(2, 160), c.toA);
    await sleep(50);
    assert.is(c.b.received.length, 1, "nothing sent to the held phone");
    await c.relay.offer("K", "tt", phoneSdp({ port: c.b.port, version: 3 }));
    await c.relay.answer("K", "ft", phoneSdp({ port: c.a.port, version: 3 }));
    await latchBoth(c);
    await c.a.send(rtp(4, 480), c.toA);
    await c.b.waitFor(3);
  } finally {
    await c.done();
  }
});

test("learn: a phone sending from a new port is re-latched and the flow reinstalled for it", async () => {
  const c = await call({ latching: "learn" });
  const moved = await Endpoint.open();
  try {
    await latchBoth(c);
    await moved.send(rtp(2, 160), c.toA);
    await c.b.waitFor(2);
    assert.ok(await eventually(async () => (await stream(c.relay, 0)).forwarding === "kernel"));
    const userspace = (await stream(c.relay, 0)).userspacePackets;
    await c.b.send(rtp(2, 160), c.toB);
    await moved.waitFor(1);
    await moved.send(rtp(3, 320), c.toA);
    await c.b.waitFor(3);
    assert.is(c.a.received.length, 1, "the old port gets nothing");
    const s = await stream(c.relay, 0);
    assert.is(s.userspacePackets, userspace, "forwarded by the kernel after the re-latch");
    assert.equal(s.endpoint, { address: "127.0.0.1", port: moved.port });
  } finally {
    moved.close();
    await c.done();
  }
});

test("lock: another source is not forwarded by the kernel", async () => {
  const c = await call({ latching: "lock", relearnAfterMs: 0 });
  const intruder = await Endpoint.open();
  try {
    await latchBoth(c);
    await intruder.send(rtp(9, 0), c.toA);
    await sleep(50);
    assert.is(c.b.received.length, 1);
  } finally {
    intruder.close();
    await c.done();
  }
});

test("RTCP on its own ports gets its own kernel flow; with rtcp-mux it rides the RTP flow", async () => {
  const c = await call();
  const rtcpA = await Endpoint.open(c.a.port + 1).catch(() => undefined);
  const rtcpB = await Endpoint.open(c.b.port + 1).catch(() => undefined);
  try {
    if (rtcpA === undefined || rtcpB === undefined)
      throw new Error("RTCP ports of the test phones are taken");
    await latchBoth(c);
    await rtcpA.send(rtcpRr(1), c.toA + 1);
    await rtcpB.send(rtcpRr(2), c.toB + 1);
    await rtcpB.waitFor(1);
    await rtcpA.waitFor(1);
    assert.ok(
      await eventually(async () => (await stream(c.relay, 0)).rtcpForwarding === "kernel"),
      "RTCP flow not installed",
    );
    for (let i = 0; i < 3; i++) await rtcpA.send(rtcpRr(1), c.toA + 1);
    await rtcpB.waitFor(4);
    assert.is(rtcpB.received[3]!.from.port, c.toB + 1);
    const s = await stream(c.relay, 0);
    assert.is(s.rtcpPackets, 4);
    assert.is(s.userspacePackets, 2, "one RTP, one RTCP before latching; the rest in the kernel");
  } finally {
    rtcpA?.close();
    rtcpB?.close();
    await c.done();
  }
  const m = await call({}, { mediaLines: ["a=sendrecv", "a=rtcp-mux"] });
  try {
    await latchBoth(m);
    const rr = rtcpRr(7);
    await m.a.send(rr, m.toA);
    await m.b.waitFor(2);
    assert.is(m.b.received[1]!.msg.readUInt8(1), 201, "muxed RTCP forwarded on the RTP port");
    assert.is((await stream(m.relay, 0)).userspacePackets, 1);
  } finally {
    await m.done();
  }
});

test("media timeout reads the kernel's counters: a kernel-forwarded call stays, a silent one ends", async () => {
  // 2 s: the timeout must outlast the flow's installation (an nft run), which takes most of a
  // second when the machine is loaded
  const c = await call({ mediaTimeoutMs: 2000 });
  const ended: string[] = [];
  c.relay.delegate = { onMediaTimeout: (id) => ended.push(id) };
  try {
    await latchBoth(c);
    const until_ = Date.now() + 4400; // more than twice the timeout
    let seq = 2;
    while (Date.now() < until_) {
      await c.a.send(rtp(seq, seq * 160), c.toA);
      seq++;
      await sleep(40);
    }
    assert.equal(ended, [], "kept alive by packets only the kernel saw");
    assert.is((await stream(c.relay, 0)).userspacePackets, 1);
    assert.ok(await until(() => ended.length === 1, 6000), "silent call not timed out");
  } finally {
    await c.done();
  }
});

test("media timeout waits for an installation in flight: the kernel forwards before `nft` returns", async () => {
  // Worst timing, as on a loaded machine: `nft` commits the flow (the kernel forwards at once)
  // but its process returns 1.5 s later, longer than the media timeout.
  const dir = mkdtempSync(join(tmpdir(), "centrex-slow-nft-"));
  const slowNft = join(dir, "nft");
  writeFileSync(slowNft, '#!/bin/sh\nnft "$@"\nrc=$?\nsleep 1.5\nexit $rc\n', { mode: 0o755 });
  const relay = new MediaRelay({
    ...portRange(),
    kernel: "auto",
    nftCommand: slowNft,
    sweepIntervalMs: 100,
    defaults: { mediaTimeoutMs: 1000 },
  });
  const ended: string[] = [];
  relay.delegate = { onMediaTimeout: (id) => ended.push(id) };
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    assert.ok(await relay.kernelReady, "kernel path unavailable");
    const offer = await relay.offer("K", "ft", phoneSdp({ port: a.port }));
    const answer = await relay.answer("K", "tt", phoneSdp({ port: b.port }));
    const toA = mPorts(answer)[0]!;
    const toB = mPorts(offer)[0]!;
    await a.send(rtp(1, 0), toA);
    await b.send(rtp(1, 0), toB);
    let seq = 2;
    const talk = setInterval(() => void a.send(rtp(seq, seq++ * 160), toA).catch(() => {}), 40);
    let s: StreamStats | undefined;
    try {
      const installed = await eventually(async () => {
        if (ended.length > 0) return true;
        s = (await relay.query("K")).legs[0]!.streams[0]!;
        return s.forwarding === "kernel" && s.kernelPackets > 0;
      }, 15_000);
      assert.ok(installed, "never installed");
    } finally {
      clearInterval(talk);
    }
    assert.equal(ended, [], "timed out while its packets went through the kernel");
    assert.ok(s!.kernelPackets > 0, "the kernel forwarded them");
  } finally {
    a.close();
    b.close();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("IPv6: a relay bound to ::1 forwards in an ip6 table of its own; counters and delete as with IPv4", async () => {
  const relay = new MediaRelay({ ...portRange(), bindAddress: "::1", kernel: "auto", sweepIntervalMs: 100 });
  const a = await Endpoint.open(0, "::1");
  const b = await Endpoint.open(0, "::1");
  let table: string | undefined;
  try {
    assert.ok(await relay.kernelReady, "IPv6 kernel path unavailable");
    table = relay.kernelTable;
    assert.ok(relay.kernelTable !== undefined && tableExists(relay.kernelTable, "ip6"), "ip6 table");
    assert.not.ok(tableExists(relay.kernelTable!, "ip"), "no IPv4 table for an IPv6 relay");
    const offer = await relay.offer("K", "ft", phoneSdp({ port: a.port, address: "::1" }));
    const answer = await relay.answer("K", "tt", phoneSdp({ port: b.port, address: "::1" }));
    assert.match(offer, /c=IN IP6 ::1/);
    const toA = mPorts(answer)[0]!;
    const toB = mPorts(offer)[0]!;
    await a.send(rtp(1, 0), toA);
    await b.send(rtp(1, 0), toB);
    await a.waitFor(1);
    await b.waitFor(1);
    const s = async (): Promise<StreamStats> => (await relay.query("K")).legs[0]!.streams[0]!;
    assert.ok(await eventually(async () => (await s()).forwarding === "kernel"), "not installed");
    const before = await s();
    for (let i = 2; i < 12; i++) {
      await a.send(rtp(i, i * 160), toA);
      await b.send(rtp(i, i * 160), toB);
    }
    await b.waitFor(11);
    await a.waitFor(11);
    assert.ok(
      b.received.every((r) => r.from.port === toB && r.from.address === "::1"),
      "from the relay port",
    );
    assert.is(b.received[10]!.msg.readUInt16BE(2), 11, "payload untouched");
    const after = await s();
    assert.is(after.userspacePackets, before.userspacePackets, "the relay's socket received none of them");
    assert.is(after.kernelPackets, 10);
    assert.is(after.bytes, 11 * 172, "IPv6 + UDP headers (48 bytes) taken off the kernel's byte count");
    await relay.delete("K");
    await a.send(rtp(12, 12 * 160), toA);
    await sleep(50);
    assert.is(b.received.length, 11, "no forwarding after delete");
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
  assert.not.ok(tableExists(table!, "ip6"), "table deleted at close");
});

test("no nft here: one log line, and the relay forwards in userspace", async () => {
  const lines: string[] = [];
  const logger = {
    warn: (msg: unknown) => lines.push(String(msg)),
    info: () => {},
    debug: () => {},
    error: () => {},
    child: () => logger,
  };
  const relay = new MediaRelay({
    ...portRange(),
    kernel: "auto",
    nftCommand: "/nonexistent/nft",
    logger: logger as never,
  });
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    assert.is(await relay.kernelReady, false);
    assert.is(lines.length, 1);
    assert.match(lines[0]!, /kernel forwarding unavailable, forwarding in userspace: .*nft/);
    await relay.offer("K", "ft", phoneSdp({ port: a.port }));
    const toA = mPorts(await relay.answer("K", "tt", phoneSdp({ port: b.port })))[0]!;
    await a.send(rtp(1, 0), toA);
    await b.waitFor(1);
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test.run();
