// Live JS heap of a node process, via --heapsnapshot-signal: writing a snapshot runs a full GC
// first, so the RSS read right after it and the snapshot's summed self sizes leave garbage out.
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

interface Snapshot {
  snapshot: { meta: { node_fields: string[] } };
  nodes: number[];
}

/** Sends `signal` to `pid`, waits for the snapshot in `dir`, returns the live heap bytes and deletes it. */
export async function liveHeapBytes(
  pid: number,
  dir: string,
  signal: NodeJS.Signals = "SIGUSR2",
): Promise<number> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, signal);
  const deadline = Date.now() + 60_000;
  let file: string | undefined;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await sleep(250);
    file ??= readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (file === undefined) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === lastSize) break; // written and no longer growing
    lastSize = size;
  }
  if (file === undefined) throw new Error(`no heap snapshot from ${pid} in ${dir}`);
  const path = join(dir, file);
  const snap = JSON.parse(readFileSync(path, "utf8")) as Snapshot;
  rmSync(path, { force: true });
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const selfSize = fields.indexOf("self_size");
  let total = 0;
  for (let i = selfSize; i < snap.nodes.length; i += stride) total += snap.nodes[i] ?? 0;
  return total;
}
