import { connect } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type ControlServer,
  MediaNodePool,
  MediaNodeUnavailableError,
  MediaRelay,
  RemoteMediaController,
  startControlServer,
} from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtp, until } from "./helpers.js";

async function node(opts: ConstructorParameters<typeof MediaRelay>[0] = {}): Promise<{
  relay: MediaRelay;
  server: ControlServer;
  client: RemoteMediaController;
}> {
  const relay = new MediaRelay({ ...portRange(), ...opts });
  const server = await startControlServer({ controller: relay, address: "127.0.0.1", port: 0 });
  const client = new RemoteMediaController({
    host: "127.0.0.1",
    port: server.address().port,
    timeoutMs: 1000,
  });
  return { relay, server, client };
}

test("remote controller: offer/answer/query/list/delete over JSON lines, media flows, errors keep their code", async () => {
  const n = await node();
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    await n.client.ping();
    const offer = await n.client.offer("R1", "ft", phoneSdp({ port: a.port }), { latching: "lock" });
    const answer = await n.client.answer("R1", "tt", phoneSdp({ port: b.port }));
    await a.send(rtp(1, 0), mPorts(answer)[0]!);
    await b.waitFor(1);
    await b.send(rtp(1, 0), mPorts(offer)[0]!);
    await a.waitFor(1);
    const stats = await n.client.query("R1");
    assert.is(stats.legs[0]!.streams[0]!.packets, 1);
    assert.is(stats.legs[1]!.tag, "tt");
    assert.equal(await n.client.list(), ["R1"]);
    try {
      await n.client.query("nope");
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, "unknown-call");
    }
    try {
      await n.client.offer("R2", "ft", "v=0\r\nnot sdp\r\n");
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, "sdp-parse");
    }
    assert.ok(await n.client.delete("R1"));
    assert.is(n.relay.pool.available, n.relay.pool.size);
  } finally {
    a.close();
    b.close();
    await n.client.close();
    await n.server.close();
    await n.relay.close();
  }
});

test("control server answers garbage with a JSON error and pushes media-timeout events to clients", async () => {
  const n = await node({ defaults: { mediaTimeoutMs: 100 }, sweepIntervalMs: 20 });
  const raw = connect(n.server.address().port, "127.0.0.1");
  let rawText = "";
  raw.setEncoding("utf8");
  raw.on("data", (d: string) => {
    rawText += d;
  });
  try {
    raw.write('not json\n{"id":5,"command":"explode"}\n');
    assert.ok(await until(() => rawText.split("\n").length > 2));
    const [l1, l2] = rawText.split("\n").map((l) => (l ? JSON.parse(l) : null));
    assert.is(l1.ok, false);
    assert.is(l1.code, "protocol");
    assert.equal([l2.id, l2.ok, l2.code], [5, false, "protocol"]);
    const timeouts: string[] = [];
    n.client.delegate = { onMediaTimeout: (id) => timeouts.push(id) };
    await n.client.offer("T1", "ft", phoneSdp({ port: 40000 }));
    assert.ok(await until(() => timeouts.length > 0, 2000));
    assert.equal(timeouts, ["T1"]);
    assert.ok(rawText.includes('"event":"media-timeout"'), "every connected client is told");
  } finally {
    raw.destroy();
    await n.client.close();
    await n.server.close();
    await n.relay.close();
  }
});

test("node pool: spreads calls, fails over when a node's server is closed, re-anchors its re-offers", async () => {
  const n1 = await node();
  const n2 = await node();
  const pool = new MediaNodePool([n1.client, n2.client], { retryDownAfterMs: 60_000 });
  try {
    await pool.offer("P1", "ft", phoneSdp({ port: 40000 }));
    await pool.offer("P2", "ft", phoneSdp({ port: 40000 }));
    assert.equal([n1.relay.callCount, n2.relay.callCount], [1, 1], "least-loaded spreading");
    const onN1 = (await n1.relay.list())[0]!;
    const n1Port = n1.server.address().port;
    await n1.server.close();
    // The node is gone: its port now refuses connections.
    const dead = new RemoteMediaController({ host: "127.0.0.1", port: n1Port, timeoutMs: 500 });
    await dead.ping().then(
      () => assert.unreachable(),
      (e) => assert.instance(e, MediaNodeUnavailableError),
    );
    await dead.close();
    for (let i = 3; i <= 6; i++) await pool.offer(`P${i}`, "ft", phoneSdp({ port: 40000 }));
    assert.is(n2.relay.callCount, 5, "new calls anchored on the surviving node");
    assert.equal(pool.up, [false, true]);
    const reoffer = await pool.offer(onN1, "ft", phoneSdp({ port: 40000, version: 2 }));
    assert.ok(mPorts(reoffer)[0]! > 0);
    assert.is(n2.relay.callCount, 6, "the dead node's call was re-anchored on re-offer");
    assert.is((await pool.list()).length, 6);
    assert.ok(await pool.delete("P3"));
    assert.is(n2.relay.callCount, 5);
  } finally {
    await pool.close();
    await n2.server.close();
    await n1.relay.close();
    await n2.relay.close();
  }
});

test("node pool: all nodes down → MediaNodeUnavailableError", async () => {
  const dead = new RemoteMediaController({ host: "127.0.0.1", port: 1, timeoutMs: 300 });
  const pool = new MediaNodePool([dead]);
  try {
    await pool.offer("X", "ft", phoneSdp({ port: 40000 })).then(
      () => assert.unreachable(),
      (e) => assert.instance(e, MediaNodeUnavailableError),
    );
  } finally {
    await pool.close();
  }
});

test.run();
