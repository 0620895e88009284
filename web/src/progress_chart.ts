// A rollout's replica counts over time as SVG step lines: updated (new pods), ready and
// available against desired, from the `progress` points of GET /api/v1/rollouts/{id}
// (a point per change of the Deployment's counts).

import { h, svg } from "./dom";
import { formatSeconds, parseTime } from "./format";
import type { ProgressPoint } from "./rollout_types";

const SERIES = [
  { key: "updated", label: "updated" },
  { key: "ready", label: "ready" },
  { key: "available", label: "available" },
] as const;

const WIDTH = 700;
const HEIGHT = 160;
const LEFT = 36;
const TOP = 10;
const BOTTOM = 22;

export function renderProgressChart(points: ProgressPoint[], end: number): Element {
  const timed = points
    .map((p) => ({ ...p, t: parseTime(p.time) }))
    .filter((p): p is ProgressPoint & { t: number } => p.t !== null);
  if (timed.length === 0) return h("p", { class: "empty" }, "No progress recorded.");
  const from = timed[0].t;
  const to = Math.max(end, timed[timed.length - 1].t, from + 1000);
  const top = Math.max(1, ...timed.map((p) => Math.max(p.desired, p.total)));
  const x = (t: number) => LEFT + ((t - from) / (to - from)) * (WIDTH - LEFT - 8);
  const y = (v: number) => TOP + (1 - v / top) * (HEIGHT - TOP - BOTTOM);

  const chart = svg("svg", {
    class: "progress",
    width: WIDTH,
    height: HEIGHT,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": "replicas over time",
    "data-points": timed.length,
  });
  for (const v of new Set([0, timed[timed.length - 1].desired, top])) {
    chart.append(
      svg("line", { class: "grid", x1: LEFT, x2: WIDTH - 8, y1: y(v), y2: y(v) }),
      svg("text", { class: "axis", x: LEFT - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)),
    );
  }
  chart.append(
    svg("text", { class: "axis", x: LEFT, y: HEIGHT - 6 }, "0s"),
    svg("text", { class: "axis", x: WIDTH - 8, y: HEIGHT - 6, "text-anchor": "end" },
      `+${formatSeconds((to - from) / 1000)}`),
  );
  const step = (value: (p: ProgressPoint) => number) => {
    let d = "";
    timed.forEach((p, i) => {
      d += i === 0 ? `M${x(p.t)},${y(value(p))}` : `H${x(p.t)}V${y(value(p))}`;
    });
    return d + `H${x(to)}`;
  };
  for (const s of SERIES) chart.append(svg("path", { class: `series ${s.key}`, d: step((p) => p[s.key]) }));
  // Last, thin and dashed, so it stays visible where a series reaches it.
  chart.append(svg("path", { class: "desired", d: step((p) => p.desired) }));

  const legend = h("div", { class: "legend" },
    h("span", { class: "line desired" }, "desired"),
    ...SERIES.map((s) => h("span", { class: `line ${s.key}` }, s.label)));
  return h("figure", { class: "progress-figure" }, chart, legend);
}
