// The per-pod phase waterfall of one rollout as SVG: a row per new pod, its phases
// (schedule, image pull, start, ready) as coloured segments on a shared time axis. The
// same reading as RenderWaterfall in src/rollout/report.cc, which prints it as text.

import { svg, h } from "./dom";
import { formatSeconds, parseTime } from "./format";
import type { PodTimeline, Rollout } from "./rollout_types";

export const PHASES = [
  { name: "schedule", label: "schedule" },
  { name: "image_pull", label: "image pull" },
  { name: "start", label: "start" },
  { name: "ready", label: "ready" },
] as const;

interface Segment {
  phase: (typeof PHASES)[number]["name"];
  from: number;
  to: number;
}

// Each phase starts where the one before ended; an unfinished phase runs to `now`.
function segments(pod: PodTimeline, now: number): Segment[] {
  const t = (v: string | null) => parseTime(v);
  const created = t(pod.created);
  const scheduled = t(pod.scheduled);
  const pullStarted = t(pod.pull_started);
  const pullFinished = t(pod.pull_finished);
  const started = t(pod.started);
  const ready = t(pod.ready);
  const out: Segment[] = [];
  if (created !== null) out.push({ phase: "schedule", from: created, to: scheduled ?? ready ?? now });
  if (pullStarted !== null && !pod.image_present) {
    out.push({ phase: "image_pull", from: pullStarted, to: pullFinished ?? now });
  }
  if (scheduled !== null) {
    const pulled = Math.max(pullFinished ?? scheduled, scheduled);
    out.push({ phase: "start", from: pulled, to: started ?? now });
  }
  if (started !== null) out.push({ phase: "ready", from: started, to: ready ?? now });
  return out.filter((s) => s.to >= s.from);
}

const ROW = 22;
const NAME_WIDTH = 260;
const BAR_WIDTH = 560;
const TOTAL_WIDTH = 140;
const AXIS = 24;

export function renderWaterfall(rollout: Rollout, now = Date.now()): Element {
  const pods = rollout.pods ?? [];
  if (pods.length === 0) return h("p", { class: "empty" }, "No new pods recorded for this rollout.");

  const start = parseTime(rollout.start) ?? now;
  let from = start;
  let to = parseTime(rollout.end) ?? now;
  const rows = pods.map((pod) => ({ pod, segments: segments(pod, Math.min(now, to)) }));
  for (const { segments: s } of rows) {
    for (const seg of s) {
      from = Math.min(from, seg.from);
      to = Math.max(to, seg.to);
    }
  }
  const span = Math.max(to - from, 1000);
  const x = (ms: number) => NAME_WIDTH + ((ms - from) / span) * BAR_WIDTH;

  const width = NAME_WIDTH + BAR_WIDTH + TOTAL_WIDTH;
  const height = AXIS + rows.length * ROW + 4;
  const chart = svg("svg", {
    class: "waterfall",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `phase waterfall of ${pods.length} pods`,
    "data-pods": pods.length,
  });

  for (let i = 0; i <= 4; i++) {
    const gx = NAME_WIDTH + (i / 4) * BAR_WIDTH;
    chart.append(
      svg("line", { class: "grid", x1: gx, x2: gx, y1: AXIS - 6, y2: height }),
      svg("text", { class: "axis", x: gx, y: AXIS - 10, "text-anchor": i === 4 ? "end" : "middle" },
        `+${formatSeconds((span * i) / 4 / 1000)}`),
    );
  }

  rows.forEach(({ pod, segments: segs }, i) => {
    const y = AXIS + i * ROW;
    const row = svg("g", { class: "pod", "data-pod": pod.name, "data-state": pod.state });
    row.append(svg("text", { class: "name", x: NAME_WIDTH - 8, y: y + 15, "text-anchor": "end" }, pod.name));
    for (const seg of segs) {
      const x0 = x(seg.from);
      const rect = svg("rect", {
        class: `phase ${seg.phase}`,
        "data-phase": seg.phase,
        x: x0,
        y: y + 4,
        width: Math.max(x(seg.to) - x0, 1),
        height: ROW - 8,
      });
      rect.append(svg("title", {}, `${pod.name}: ${seg.phase} ${formatSeconds((seg.to - seg.from) / 1000)}`));
      row.append(rect);
    }
    const ready = parseTime(pod.ready);
    let total = ready !== null ? formatSeconds(pod.phases_seconds.total) : pod.state;
    if (pod.problems.length > 0) total += ` (${pod.problems[pod.problems.length - 1].reason})`;
    row.append(svg("text", { class: "total", x: NAME_WIDTH + BAR_WIDTH + 8, y: y + 15 }, total));
    chart.append(row);
  });

  const legend = h("div", { class: "legend" },
    ...PHASES.map((p) => h("span", { class: `swatch ${p.name}` }, p.label)));
  return h("figure", { class: "waterfall-figure" }, chart, legend);
}
