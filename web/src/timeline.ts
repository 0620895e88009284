// The Explore timeline: profiles and their total value per time bucket
// (GET /api/v1/series) as SVG bars over the selected range. Dragging across it selects
// a narrower range; each bar's title gives its time, profile count and total.

import { h, svg } from "./dom";
import { formatTime, formatValue, isoTime, parseTime } from "./format";

export interface SeriesPoint {
  time: string;
  profiles: number;
  total: number;
}

export interface Series {
  sample_type: string;
  unit: string;
  step_seconds: number;
  points: SeriesPoint[];
}

const WIDTH = 1000;
const HEIGHT = 90;
const BOTTOM = 18;

// A step giving about 100 buckets, rounded to a duration people read easily.
export function stepFor(rangeMs: number): string {
  const steps = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800];
  const want = rangeMs / 1000 / 100;
  // Past a week per bucket, whole days (the server allows at most 10,000 buckets).
  const s = steps.find((x) => x >= want) ?? Math.ceil(want / 86400) * 86400;
  if (s % 86400 === 0) return `${s / 86400}d`;
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

export function renderTimeline(series: Series, from: number, to: number, onSelect: (from: string, to: string) => void): Element {
  const chart = svg("svg", {
    class: "timeline", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img",
    "aria-label": "profiles over time", "data-buckets": series.points.length,
    "data-profiles": series.points.reduce((n, p) => n + p.profiles, 0),
  });
  const span = Math.max(to - from, 1);
  const x = (t: number) => ((t - from) / span) * WIDTH;
  const stepMs = series.step_seconds * 1000;
  const top = Math.max(1, ...series.points.map((p) => p.total));
  const plot = HEIGHT - BOTTOM;
  chart.append(svg("line", { class: "axis", x1: 0, x2: WIDTH, y1: plot + 0.5, y2: plot + 0.5 }));
  for (const p of series.points) {
    const t = parseTime(p.time);
    if (t === null) continue;
    const barHeight = Math.max(2, (p.total / top) * (plot - 4));
    chart.append(svg("rect", {
      class: "bar", x: x(t), y: plot - barHeight, width: Math.max(1, x(t + stepMs) - x(t) - 1), height: barHeight,
    }, svg("title", {}, `${formatTime(p.time)}: ${p.profiles} profile${p.profiles === 1 ? "" : "s"}, ${formatValue(p.total, series.unit)}`)));
  }
  chart.append(
    svg("text", { class: "axis", x: 2, y: HEIGHT - 4 }, formatTime(isoTime(from))),
    svg("text", { class: "axis", x: WIDTH - 2, y: HEIGHT - 4, "text-anchor": "end" }, formatTime(isoTime(to))),
  );
  // Drag to select.
  const brush = svg("rect", { class: "brush", x: 0, y: 0, width: 0, height: plot, visibility: "hidden" });
  chart.append(brush);
  let start: number | null = null;
  const at = (e: MouseEvent) => {
    const rect = chart.getBoundingClientRect();
    return Math.min(WIDTH, Math.max(0, ((e.clientX - rect.left) / rect.width) * WIDTH));
  };
  chart.addEventListener("mousedown", (e) => {
    start = at(e);
    brush.setAttribute("visibility", "visible");
    brush.setAttribute("x", String(start));
    brush.setAttribute("width", "0");
  });
  chart.addEventListener("mousemove", (e) => {
    if (start === null) return;
    const now = at(e);
    brush.setAttribute("x", String(Math.min(start, now)));
    brush.setAttribute("width", String(Math.abs(now - start)));
  });
  const finish = (e: MouseEvent) => {
    if (start === null) return;
    const a = Math.min(start, at(e));
    const b = Math.max(start, at(e));
    start = null;
    brush.setAttribute("visibility", "hidden");
    if (b - a < 3) return;  // a click, not a drag
    const t = (px: number) => from + (px / WIDTH) * span;
    onSelect(isoTime(Math.floor(t(a))), isoTime(Math.ceil(t(b))));
  };
  chart.addEventListener("mouseup", finish);
  chart.addEventListener("mouseleave", (e) => {
    if (start !== null) finish(e);
  });
  const total = series.points.reduce((n, p) => n + p.profiles, 0);
  return h("figure", { class: "timeline-figure" }, chart,
    h("figcaption", {}, `${total} profile${total === 1 ? "" : "s"}; bars: ${series.sample_type || "total"} per ${formatStep(series.step_seconds)}. Drag to zoom in.`));
}

function formatStep(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
