import type { ServerResponse } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LiveFeed } from "../src/console/live-feed.js";
import type { LiveSnapshot, LiveState } from "../src/console/live-state.js";

// The console's event stream sends states in the order they were read: a new subscriber's
// first read and the timer's next one must not cross, or an older state (a call still up)
// is written after a newer one (the call gone) and the page shows a call that has ended.

/** A live state whose reads take the given times (ms), in turn, and say which read they were. */
function slowState(delays: number[]): LiveState {
  let n = 0;
  return {
    snapshot: async () => {
      const i = n++;
      await new Promise((r) => setTimeout(r, delays[i] ?? 0));
      return { read: i } as unknown as LiveSnapshot;
    },
  } as unknown as LiveState;
}

function stream(): ServerResponse & { written: string[]; end(): void } {
  const closers: (() => void)[] = [];
  const res = {
    written: [] as string[],
    writableEnded: false,
    write(chunk: string) {
      res.written.push(chunk);
      return true;
    },
    on(event: string, cb: () => void) {
      if (event === "close") closers.push(cb);
      return res;
    },
    end() {
      res.writableEnded = true;
      for (const c of closers) c();
    },
  };
  return res as unknown as ServerResponse & { written: string[]; end(): void };
}

test("a slow first read is written before the timer's newer one, never after it", async () => {
  // Read 0 (the subscriber's first) takes 60 ms; the timer fires at 10 ms (read 1, quick).
  const feed = new LiveFeed(slowState([60, 0, 0, 0, 0, 0]), { intervalMs: 10, keepaliveMs: 60_000 });
  const res = stream();
  feed.subscribe(res, undefined);
  await new Promise((r) => setTimeout(r, 150));
  feed.close();
  const reads = res.written
    .filter((w) => w.startsWith("event: state"))
    .map((w) => (JSON.parse(w.split("data: ")[1]!) as { read: number }).read);
  assert.ok(reads.length >= 2, `states written: ${reads.join(",")}`);
  assert.equal(
    reads,
    [...reads].sort((a, b) => a - b),
    `states written in the order they were read: ${reads.join(",")}`,
  );
  assert.is(reads[0], 0, "the first read first");
});

test.run();
