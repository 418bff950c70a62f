import { test } from "uvu";
import * as assert from "uvu/assert";
import { startRelayWorkers } from "../src/index.js";
import { withoutTsx } from "../src/worker-relay.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtp } from "./helpers.js";

test("workers forked from compiled code drop the parent's tsx loader flags, keep the others", () => {
  assert.equal(
    withoutTsx([
      "--import",
      "tsx",
      "--max-semi-space-size=16",
      "--import=tsx",
      "--loader",
      "tsx/esm",
      "--trace-gc",
    ]),
    ["--max-semi-space-size=16", "--trace-gc"],
  );
  assert.equal(withoutTsx(["--import", "./other.mjs", "--require=tsx/cjs"]), ["--import", "./other.mjs"]);
});

test("worker processes: calls spread over workers owning disjoint port slices; media flows; a dead worker is skipped", async () => {
  const range = portRange(400);
  const relay = await startRelayWorkers({ ...range, workers: 2, timeoutMs: 3000 });
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  try {
    const offers: number[] = [];
    for (let i = 0; i < 4; i++)
      offers.push(mPorts(await relay.controller.offer(`W${i}`, "ft", phoneSdp({ port: a.port })))[0]!);
    const mid = range.portMin + 200;
    assert.is(offers.filter((p) => p < mid).length, 2, "two calls in the first worker's slice");
    assert.is(offers.filter((p) => p >= mid).length, 2, "two in the second's");
    const pids = relay.workers.map((w) => w.child.pid);
    assert.is(new Set(pids).size, 2);
    assert.is.not(pids[0], process.pid);
    const answer = await relay.controller.answer("W0", "tt", phoneSdp({ port: b.port }));
    await a.send(rtp(1, 0), mPorts(answer)[0]!);
    await b.waitFor(1);
    await b.send(rtp(1, 0), offers[0]!);
    await a.waitFor(1);
    assert.is((await relay.controller.query("W0")).legs[0]!.streams[0]!.packets, 1);
    relay.workers[0]!.child.kill("SIGKILL");
    await new Promise((r) => relay.workers[0]!.child.once("exit", r));
    for (let i = 4; i < 8; i++) await relay.controller.offer(`W${i}`, "ft", phoneSdp({ port: a.port }));
    assert.equal(
      await relay.workers[1]!.list().then((l) => l.length),
      6,
      "new calls went to the live worker",
    );
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test.run();
