import { createSocket } from "node:dgram";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bindPair, PortPool, PortsExhaustedError } from "../src/index.js";
import { portRange } from "./helpers.js";

test("100,000 allocate/release cycles leave the pool whole", () => {
  const pool = new PortPool(20000, 20063);
  assert.is(pool.size, 32);
  const held: number[] = [];
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 100_000; i++) {
    if (held.length < pool.size && (held.length === 0 || rnd() % 2 === 0)) {
      const p = pool.take();
      assert.ok(p !== undefined);
      assert.ok(p % 2 === 0 && p >= 20000 && p <= 20062);
      if (held.includes(p)) assert.unreachable(`port ${p} handed out twice`);
      held.push(p);
    } else {
      const p = held.splice(rnd() % held.length, 1)[0]!;
      assert.ok(pool.release(p));
    }
  }
  for (const p of held) pool.release(p);
  assert.is(pool.available, pool.size);
  const all = new Set<number>();
  for (let i = 0; i < pool.size; i++) all.add(pool.take()!);
  assert.is(all.size, 32, "every pair is back exactly once");
  assert.is(pool.take(), undefined);
  assert.not.ok(pool.release(20001), "odd port is not a pair");
  assert.ok(pool.release(20000));
  assert.not.ok(pool.release(20000), "double release is refused");
});

test("binding skips a pair someone else holds, and fails cleanly when all are taken", async () => {
  const { portMin } = portRange();
  const squatter = createSocket("udp4");
  await new Promise<void>((r) => squatter.bind(portMin + 1, "127.0.0.1", () => r()));
  const pool = new PortPool(portMin, portMin + 3);
  const pair = await bindPair(pool, "127.0.0.1");
  assert.is(pair.port, portMin + 2, "the pair whose RTCP port is busy was skipped");
  assert.is(pair.rtp.address().port, portMin + 2);
  assert.is(pair.rtcp.address().port, portMin + 3);
  assert.ok(pool.isInUse(portMin + 2));
  assert.not.ok(pool.isInUse(portMin), "a pair that failed to bind goes back to the pool");
  try {
    await bindPair(pool, "127.0.0.1");
    assert.unreachable("should be exhausted");
  } catch (err) {
    assert.instance(err, PortsExhaustedError);
  }
  assert.is(pool.available, 1);
  pair.rtp.close();
  pair.rtcp.close();
  squatter.close();
});

test.run();
