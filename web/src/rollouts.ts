// Rollouts: the list (GET /api/v1/rollouts, filtered by namespace, deployment and outcome)
// and one rollout's detail page with its pod phase waterfall and replicas over time
// (GET /api/v1/rollouts/{id}), its pods' CPU and memory, old against new
// (GET /api/v1/resources), and once it has ended the report's before/after profile
// comparison (GET /api/v1/rollouts/{id}/report). Both redraw every 2 s while a rollout
// they show is running.

import { getJson, errorNotice, isInputError } from "./api";
import { diffCommand, diffParams, rolloutDiffState, type ReportProfiles } from "./diff";
import { h } from "./dom";
import { formatSeconds, formatTime, formatValue, isoTime, parseTime, percent } from "./format";
import { apiUrl, pprofBar, tokenNote } from "./pprof_links";
import { renderResourceChart, type ResourceSeries } from "./resource_chart";
import { stepFor } from "./timeline";
import type { Rollout } from "./rollout_types";
import { hrefFor, navigate, type ViewState } from "./state";
import { renderProgressChart } from "./progress_chart";
import { PHASES, renderWaterfall } from "./waterfall";

const OUTCOMES = ["in_progress", "paused", "complete", "failed", "superseded"];
const RUNNING = new Set(["in_progress", "paused"]);
const REFRESH_MS = 2000;

const PHASE_LABEL: Record<string, string> = Object.fromEntries(PHASES.map((p) => [p.name, p.label]));

function outcomeBadge(outcome: string): HTMLElement {
  return h("span", { class: `outcome ${outcome}` }, outcome.replace("_", " "));
}

export async function renderRolloutList(state: ViewState): Promise<Node> {
  const params: Record<string, string> = {};
  for (const key of ["namespace", "deployment", "outcome"]) if (state[key]) params[key] = state[key];
  const title = h("h1", {}, "Rollouts");
  let rollouts: Rollout[];
  try {
    rollouts = (await getJson<{ rollouts: Rollout[] }>("/api/v1/rollouts", params)).rollouts;
  } catch (e) {
    if (!isInputError(e)) throw e;
    return h("section", { class: "rollouts" }, title, filterForm(state), errorNotice(e));
  }
  const running = rollouts.some((r) => RUNNING.has(r.outcome));
  if (rollouts.length === 0) {
    const filtered = Object.keys(params).length > 0;
    return h("section", { class: "rollouts" }, title, filterForm(state),
      h("p", { class: "empty", "data-empty": "rollouts" }, filtered
        ? "No rollouts match."
        : "No rollouts recorded yet. The server records Deployment rollouts while it watches a cluster (--kubeconfig)."));
  }
  const header = h("tr", {}, ...["Deployment", "Revision", "Outcome", "Start", "Duration", "Pods ready", "Slowest phase"]
    .map((name) => h("th", {}, name)));
  const rows = rollouts.map((r) =>
    h("tr", { "data-id": r.id },
      h("td", {}, h("a", { href: hrefFor({ view: "rollout", id: r.id }) }, `${r.namespace}/${r.deployment}`)),
      h("td", { class: "num" }, String(r.revision)),
      h("td", {}, outcomeBadge(r.outcome)),
      h("td", {}, formatTime(r.start)),
      h("td", { class: "num" }, formatSeconds(r.duration_seconds)),
      h("td", { class: "num" }, `${r.pods_ready}/${r.pods_total}`),
      h("td", {}, r.slowest
        ? `${PHASE_LABEL[r.slowest.slowest_phase] ?? r.slowest.slowest_phase} ${formatSeconds(r.slowest.slowest_phase_seconds)}`
        : "-"),
    ));
  return h("section", { class: "rollouts", "data-refresh": running ? REFRESH_MS : undefined }, title,
    filterForm(state),
    h("table", { class: "data" }, h("thead", {}, header), h("tbody", {}, ...rows)));
}

// Namespace, deployment and outcome, kept in the URL like every view state.
function filterForm(state: ViewState): HTMLFormElement {
  const field = (name: string, placeholder: string) =>
    h("input", { name, placeholder, value: state[name] ?? "", size: 14 });
  const outcome = h("select", { name: "outcome" },
    ...["", ...OUTCOMES].map((o) => {
      const option = h("option", { value: o }, o ? o.replace("_", " ") : "any outcome");
      option.selected = (state.outcome ?? "") === o;
      return option;
    }));
  const form = h("form", { class: "filters" },
    field("namespace", "namespace"), " ", field("deployment", "deployment"), " ", outcome, " ",
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next: ViewState = { view: "rollouts" };
    for (const [key, value] of new FormData(form)) if (typeof value === "string" && value) next[key] = value;
    navigate(next);
  });
  return form;
}

interface Usage {
  pods: number;
  samples: number;
  cpu_cores_mean: number;
  cpu_cores_max: number;
  memory_working_set_bytes_mean: number;
  memory_working_set_bytes_max: number;
}

interface ProfileComparison extends ReportProfiles {
  unit: string;
  sample_type: string;
  normalized: string;
  grew: FunctionChange[];
  shrank: FunctionChange[];
}

interface FunctionChange {
  function: string;
  share_before: number;
  share_after: number;
  before: number;
  after: number;
}

interface Report {
  resources: { before: Usage; after: Usage } | null;
  profiles: ProfileComparison[];
  notes: string[];
}

const WINDOW_MS = 10 * 60 * 1000;  // the report's default window

export async function renderRolloutDetail(state: ViewState): Promise<Node> {
  const id = state.id ?? "";
  const r = await getJson<Rollout>(`/api/v1/rollouts/${encodeURIComponent(id)}`);
  const running = RUNNING.has(r.outcome);
  const start = parseTime(r.start) ?? Date.now();
  const end = parseTime(r.end);
  const from = start - WINDOW_MS;
  const to = Math.min(Date.now(), (end ?? Date.now()) + WINDOW_MS);
  const replicasets = [...r.old_replicasets, r.new_replicaset].filter(Boolean);
  const [resources, report] = await Promise.all([
    replicasets.length
      ? getJson<{ series: ResourceSeries[] }>("/api/v1/resources", {
        namespace: r.namespace, replicaset: replicasets.join(","), from: isoTime(from), to: isoTime(to),
        step: stepFor(to - from),
      }).catch(() => null)
      : null,
    running ? null : getJson<Report>(`/api/v1/rollouts/${encodeURIComponent(id)}/report`).catch(() => null),
  ]);
  const reportUrl = `/api/v1/rollouts/${encodeURIComponent(id)}/report?format=text`;
  const facts: Array<[string, Node | string]> = [
    ["Outcome", outcomeBadge(r.outcome)],
    ["Started", formatTime(r.start)],
    ["Duration", r.duration_seconds === null ? "running" : formatSeconds(r.duration_seconds)],
    ["Pods ready", `${r.pods_ready}/${r.pods_total} (desired ${r.desired})`],
    ["ReplicaSets", `${r.old_replicasets.join(", ") || "-"} → ${r.new_replicaset || "-"}`],
  ];
  if (r.message) facts.push(["Message", r.message]);
  return h("section", { class: "rollout", "data-id": r.id, "data-refresh": running ? REFRESH_MS : undefined },
    h("p", { class: "crumbs" }, h("a", { href: hrefFor({ view: "rollouts" }) }, "Rollouts"), " / ", r.id),
    h("h1", {}, `${r.namespace}/${r.deployment} revision ${r.revision}`),
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, "Pod phases"),
    renderWaterfall(r),
    h("h2", {}, "Replicas"),
    renderProgressChart(r.progress ?? [], end ?? Date.now()),
    h("h2", {}, "Resources: old pods against new"),
    resourcesSection(r, resources?.series ?? null, report, start, end),
    h("h2", {}, "Profiles: before against after"),
    profilesSection(r, report, running),
    h("p", { class: "links" },
      "Report: ", h("a", { href: reportUrl, "data-link": "report-text" }, "text"), " · ",
      h("a", { href: reportUrl.replace("format=text", "format=json") }, "JSON"),
      " — or ", h("code", {}, `kubectl kprof rollout report deploy/${r.deployment} -n ${r.namespace} --revision ${r.revision}`)),
  );
}

function resourcesSection(r: Rollout, series: ResourceSeries[] | null, report: Report | null, start: number, end: number | null): Node {
  if (!series || series.length === 0) {
    return h("p", { class: "empty", "data-empty": "resources" },
      "No resource samples of these pods: the server samples pods' CPU and memory through the kubelet (--resources-interval).");
  }
  const legend = h("div", { class: "legend" }, h("span", { class: "line old" }, "old pods"), h("span", { class: "line new" }, "new pods"));
  const box = h("div", { class: "resources-box" },
    renderResourceChart(series, "cpu_cores", r.new_replicaset, start, end),
    renderResourceChart(series, "memory_working_set_bytes", r.new_replicaset, start, end), legend);
  const usage = report?.resources;
  if (usage) {
    const row = (label: string, f: (u: Usage) => string) =>
      h("tr", {}, h("th", {}, label), h("td", { class: "num" }, f(usage.before)), h("td", { class: "num" }, f(usage.after)));
    box.append(h("table", { class: "data usage" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "before (old pods)"), h("th", {}, "after (new pods)"))),
      h("tbody", {},
        row("pods", (u) => String(u.pods)),
        row("CPU mean / max (cores)", (u) => pair(u.cpu_cores_mean, u.cpu_cores_max, (v) => v.toFixed(3))),
        row("memory mean / max", (u) => pair(u.memory_working_set_bytes_mean, u.memory_working_set_bytes_max,
          (v) => formatValue(v, "bytes"))))));
  }
  return box;
}

// "mean / max"; the report writes -1 for what was not measured (no samples on that side).
function pair(mean: number, max: number, show: (v: number) => string): string {
  const one = (v: number) => (v < 0 ? "-" : show(v));
  return `${one(mean)} / ${one(max)}`;
}

function profilesSection(r: Rollout, report: Report | null, running: boolean): Node {
  if (running) return h("p", { class: "empty" }, "The comparison appears once the rollout has ended.");
  if (!report) return h("p", { class: "empty" }, "The report could not be computed.");
  const box = h("div", { class: "comparisons" }, ...report.notes.map((n) => h("p", { class: "note" }, n)));
  for (const p of report.profiles) {
    const block = h("div", { class: "comparison", "data-type": p.type }, h("h3", {}, p.type));
    if (p.note) {
      block.append(h("p", { class: "empty" }, p.note));
      box.append(block);
      continue;
    }
    const state = rolloutDiffState(p);
    const per = p.normalized === "per_pod_second" ? "per pod-second" : "per pod";
    const changes = (title: string, list: FunctionChange[]) =>
      h("table", { class: "data changes" },
        h("thead", {}, h("tr", {}, h("th", {}, title), h("th", {}, "share before"), h("th", {}, "share after"), h("th", {}, `before ${per}`), h("th", {}, `after ${per}`))),
        h("tbody", {}, ...list.map((f) => h("tr", { "data-name": f.function },
          h("td", { class: "fn" }, f.function), h("td", { class: "num" }, percent(f.share_before, 1)),
          h("td", { class: "num" }, percent(f.share_after, 1)), h("td", { class: "num" }, formatValue(f.before, p.unit)),
          h("td", { class: "num" }, formatValue(f.after, p.unit))))));
    block.append(
      h("p", { class: "summary" }, `${p.before.profiles} profiles of the old pods (${formatTime(p.before.from)} – ${formatTime(p.before.to)}) ` +
        `against ${p.after.profiles} of the new pods (${formatTime(p.after.from)} – ${formatTime(p.after.to)}). `,
        h("a", { href: hrefFor(state), "data-link": "open-diff" }, "Open as a diff flame graph")),
      changes("grew", p.grew), changes("shrank", p.shrank),
      pprofBar({
        download: apiUrl("/api/v1/diff", { ...diffParams(state), format: "pprof" }),
        filename: `${r.deployment}-${r.revision}-${p.type}-diff.pb.gz`,
        command: diffCommand(state),
        note: tokenNote(),
      }));
    box.append(block);
  }
  if (report.profiles.length === 0 && report.notes.length === 0) box.append(h("p", { class: "empty" }, "No profiles of these pods."));
  return box;
}
