// Bench-only preload (`node --import …/memory-probe.mjs`, run.ts --mem-detail): on SIGWINCH the
// server writes what its own runtime says about its memory — process.memoryUsage() and V8's heap
// spaces — to CENTREX_MEMPROBE_DIR/probe-N.json, for run.ts to set beside /proc/PID/smaps.
// SIGWINCH is ignored by default, so the signal is harmless to a server started without it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";

const dir = process.env.CENTREX_MEMPROBE_DIR;
let n = 0;
if (dir) {
  process.on("SIGWINCH", () => {
    const file = join(dir, `probe-${n++}.json`);
    // Experiment only (NODE_OPTIONS=--expose-gc and CENTREX_MEMPROBE_GC=1): what a full GC frees.
    // Plain gc(): on Node 20 the options form (`{ type: "major", … }`) collects nothing.
    if (process.env.CENTREX_MEMPROBE_GC === "1") globalThis.gc?.();
    const report = {
      memoryUsage: process.memoryUsage(),
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics(),
    };
    writeFileSync(file, JSON.stringify(report));
  });
}
