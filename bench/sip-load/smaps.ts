// Resident memory of one process by kind of mapping, from /proc/PID/smaps: glibc's main arena
// ([heap], brk), anonymous mappings (V8's heap spaces, glibc's per-thread arenas, thread stacks,
// large mallocs), and file-backed ones (node itself, shared libraries, SQLite's -shm).
import { readFileSync } from "node:fs";

export interface SmapsBreakdown {
  /** glibc's main malloc arena (brk). */
  brkKb: number;
  /** Anonymous private mappings: V8's heap, other arenas, large malloc'd blocks, stacks. */
  anonKb: number;
  /** File-backed mappings (binaries, libraries, SQLite's shared memory file). */
  fileKb: number;
  /**
   * Pages freed with MADV_FREE (V8 discards unused heap pages that way): still counted in RSS until
   * the kernel needs the memory, then dropped without a write-back.
   */
  lazyFreeKb: number;
  /** Anonymous mappings' resident kB by the mapping's size class, to tell V8 pages from arenas. */
  anonBySize: Record<string, number>;
}

export function smapsBreakdown(pid: number): SmapsBreakdown {
  const text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  const out: SmapsBreakdown = { brkKb: 0, anonKb: 0, fileKb: 0, lazyFreeKb: 0, anonBySize: {} };
  let name = "";
  let sizeKb = 0;
  for (const line of text.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1] ?? "";
      continue;
    }
    const size = /^Size:\s+(\d+)/.exec(line);
    if (size) {
      sizeKb = Number(size[1]);
      continue;
    }
    const lazy = /^LazyFree:\s+(\d+)/.exec(line);
    if (lazy) {
      out.lazyFreeKb += Number(lazy[1]);
      continue;
    }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (!rss) continue;
    const kb = Number(rss[1]);
    if (name === "[heap]") out.brkKb += kb;
    else if (name === "" || name.startsWith("[anon")) {
      out.anonKb += kb;
      const cls =
        sizeKb >= 65536 ? "≥64MB" : sizeKb >= 16384 ? "16–64MB" : sizeKb >= 1024 ? "1–16MB" : "<1MB";
      out.anonBySize[cls] = (out.anonBySize[cls] ?? 0) + kb;
    } else out.fileKb += kb;
  }
  return out;
}
