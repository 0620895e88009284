// A rollout's pods' CPU and memory over time (GET /api/v1/resources): one SVG line per
// pod, old ReplicaSets' pods in one colour and the new ReplicaSet's in another, with the
// rollout's start and end marked, so a new version's extra CPU or memory shows at a glance.

import { h, svg } from "./dom";
import { formatSeconds, formatValue, parseTime } from "./format";

export interface ResourcePoint {
  time: string;
  cpu_cores?: number;
  memory_working_set_bytes?: number;
}

export interface ResourceSeries {
  pod: string;
  container: string;
  replicaset: string;
  points: ResourcePoint[];
}

const WIDTH = 700;
const HEIGHT = 150;
const LEFT = 60;
const TOP = 8;
const BOTTOM = 20;

type Metric = "cpu_cores" | "memory_working_set_bytes";

// Per pod: the metric summed over its containers at each time.
function perPod(series: ResourceSeries[], metric: Metric): Map<string, { replicaset: string; points: Map<number, number> }> {
  const pods = new Map<string, { replicaset: string; points: Map<number, number> }>();
  for (const s of series) {
    if (!s.container) continue;  // the pod's network entry
    let pod = pods.get(s.pod);
    if (!pod) {
      pod = { replicaset: s.replicaset, points: new Map() };
      pods.set(s.pod, pod);
    }
    for (const p of s.points) {
      const t = parseTime(p.time);
      const v = p[metric];
      if (t !== null && v !== undefined) pod.points.set(t, (pod.points.get(t) ?? 0) + v);
    }
  }
  return pods;
}

export function renderResourceChart(series: ResourceSeries[], metric: Metric, newReplicaSet: string,
  start: number, end: number | null): Element {
  const label = metric === "cpu_cores" ? "CPU (cores)" : "Memory (working set)";
  const pods = perPod(series, metric);
  const all = [...pods.values()].flatMap((p) => [...p.points.entries()]);
  if (all.length === 0) return h("p", { class: "empty", "data-empty": metric }, `${label}: no samples of these pods.`);
  const t0 = Math.min(...all.map(([t]) => t), start);
  const t1 = Math.max(...all.map(([t]) => t), end ?? start);
  const top = Math.max(...all.map(([, v]) => v)) * 1.1 || 1;
  const x = (t: number) => LEFT + ((t - t0) / Math.max(t1 - t0, 1)) * (WIDTH - LEFT - 8);
  const y = (v: number) => TOP + (1 - v / top) * (HEIGHT - TOP - BOTTOM);
  const unit = metric === "cpu_cores" ? "" : "bytes";
  const show = (v: number) => (metric === "cpu_cores" ? v.toPrecision(2) : formatValue(v, unit));
  const chart = svg("svg", {
    class: "resources", width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
    "aria-label": label, "data-metric": metric, "data-pods": pods.size,
  });
  for (const v of [0, top / 2, top]) {
    chart.append(svg("line", { class: "grid", x1: LEFT, x2: WIDTH - 8, y1: y(v), y2: y(v) }),
      svg("text", { class: "axis", x: LEFT - 6, y: y(v) + 4, "text-anchor": "end" }, show(v)));
  }
  for (const [t, name] of [[start, "start"], [end, "end"]] as Array<[number | null, string]>) {
    if (t === null) continue;
    chart.append(svg("line", { class: `marker ${name}`, x1: x(t), x2: x(t), y1: TOP, y2: HEIGHT - BOTTOM }),
      svg("text", { class: "axis", x: x(t) + 3, y: TOP + (name === "end" ? 22 : 10) }, `rollout ${name}`));
  }
  chart.append(svg("text", { class: "axis", x: LEFT, y: HEIGHT - 5 }, "0s"),
    svg("text", { class: "axis", x: WIDTH - 8, y: HEIGHT - 5, "text-anchor": "end" }, `+${formatSeconds((t1 - t0) / 1000)}`));
  for (const [pod, data] of pods) {
    const points = [...data.points.entries()].sort((a, b) => a[0] - b[0]);
    const side = data.replicaset === newReplicaSet ? "new" : "old";
    const d = points.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
    chart.append(svg("path", { class: `pod ${side}`, d, "data-pod": pod }, svg("title", {}, `${pod} (${side})`)),
      ...(points.length === 1 ? [svg("circle", { class: `pod ${side}`, cx: x(points[0][0]), cy: y(points[0][1]), r: 2 })] : []));
  }
  return h("figure", { class: "resources-figure" }, h("figcaption", {}, label), chart);
}
