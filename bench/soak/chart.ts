/** A small SVG line chart per series, stacked, sharing the time axis: no dependency needed. */
export interface Series {
  readonly title: string;
  readonly unit: string;
  readonly points: readonly (readonly [number, number])[];
}

const W = 760;
const H = 150;
const PAD = { left: 70, right: 20, top: 26, bottom: 26 };

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function panel(s: Series, y0: number, tMax: number): string {
  const vals = s.points.map((p) => p[1]);
  const vMax = Math.max(1e-9, ...vals) * 1.1;
  const x = (t: number) => PAD.left + ((W - PAD.left - PAD.right) * t) / Math.max(1, tMax);
  const y = (v: number) => y0 + PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / vMax);
  const path = s.points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
    .join(" ");
  const last = vals.at(-1) ?? 0;
  const min = Math.min(...vals);
  const max = Math.max(...vals);
  return [
    `<text x="${PAD.left}" y="${y0 + 16}" font-size="13" font-weight="bold">${s.title} (${s.unit}) — min ${fmt(min)}, max ${fmt(max)}, last ${fmt(last)}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y(vMax)}" x2="${PAD.left}" y2="${y(0)}" stroke="#999"/>`,
    `<text x="${PAD.left - 6}" y="${y(vMax) + 4}" font-size="11" text-anchor="end">${fmt(vMax)}</text>`,
    `<text x="${PAD.left - 6}" y="${y(0) + 4}" font-size="11" text-anchor="end">0</text>`,
    `<text x="${W - PAD.right}" y="${y(0) + 16}" font-size="11" text-anchor="end">${fmt(tMax)} s</text>`,
    `<path d="${path}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>`,
  ].join("\n");
}

export function svgChart(title: string, series: readonly Series[]): string {
  const tMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const height = 30 + series.length * H;
  const body = series.map((s, i) => panel(s, 30 + i * H, tMax)).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif">
<title>${title}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="15" font-weight="bold">${title}</text>
${body}
</svg>
`;
}
