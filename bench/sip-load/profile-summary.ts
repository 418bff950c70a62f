// Top self-time functions of one or more V8 .cpuprofile files (node --cpu-prof).
//   npx tsx bench/sip-load/profile-summary.ts FILE_OR_DIR... [--top 30] [--own]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

function profileFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p)) if (f.endsWith(".cpuprofile")) files.push(join(p, f));
    } else files.push(p);
  }
  return files;
}

/** Self time per function (summed over profiles), biggest first. Idle and GC are listed as such. */
export function hotSpots(
  paths: readonly string[],
  root: string,
  top = 30,
  ownCode = false,
): { totalMs: number; spots: HotSpot[] } {
  const self = new Map<string, { name: string; where: string; us: number }>();
  let totalUs = 0;
  for (const file of profileFiles(paths)) {
    const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const byId = new Map<number, CpuNode>();
    const parent = new Map<number, number>();
    for (const n of prof.nodes) {
      byId.set(n.id, n);
      for (const c of n.children ?? []) parent.set(c, n.id);
    }
    const own = (n: CpuNode): CpuNode => {
      if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(garbage collector)")
        return n;
      for (let cur: CpuNode | undefined = n; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
        if (cur.callFrame.url.includes("/packages/")) return cur;
      }
      return n;
    };
    for (let i = 0; i < prof.samples.length; i++) {
      const sampled = byId.get(prof.samples[i] ?? -1);
      const node = sampled && ownCode ? own(sampled) : sampled;
      const dt = prof.timeDeltas[i] ?? 0;
      if (!node || dt <= 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || "(anonymous)";
      if (name === "(idle)") continue;
      const file = url.startsWith("file://") ? relative(root, url.slice(7)) : url;
      const where = file ? `${file}:${lineNumber + 1}` : "";
      const key = `${name}@${where}`;
      const e = self.get(key) ?? { name, where, us: 0 };
      e.us += dt;
      self.set(key, e);
      totalUs += dt;
    }
  }
  const spots = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: (100 * e.us) / totalUs }));
  return { totalMs: totalUs / 1000, spots };
}

export function hotSpotTable(paths: readonly string[], root: string, top = 30, ownCode = false): string {
  const { totalMs, spots } = hotSpots(paths, root, top, ownCode);
  const lines = [
    `Busy samples: ${(totalMs / 1000).toFixed(2)} s (idle excluded)${ownCode ? ", each booked to the innermost centrex frame" : ""}`,
    "",
    "| self ms | % | function | where |",
    "| ---: | ---: | --- | --- |",
  ];
  for (const s of spots) {
    lines.push(`| ${s.selfMs.toFixed(0)} | ${s.percent.toFixed(1)} | \`${s.name}\` | ${s.where} |`);
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const t = args.indexOf("--top");
  const top = t >= 0 ? Number(args[t + 1]) : 30;
  const paths = args.filter((a, i) => !a.startsWith("--") && (t < 0 || i !== t + 1));
  console.log(hotSpotTable(paths, process.cwd(), top, args.includes("--own")));
}
