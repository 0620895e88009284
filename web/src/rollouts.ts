// Rollouts: the list (GET /api/v1/rollouts, filtered by namespace, deployment and outcome)
// and one rollout's detail page with its pod phase waterfall and replicas over time
// (GET /api/v1/rollouts/{id}). Both redraw every 2 s while a rollout they show is running.

import { getJson } from "./api";
import { h } from "./dom";
import { formatSeconds, formatTime, parseTime } from "./format";
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
  const { rollouts } = await getJson<{ rollouts: Rollout[] }>("/api/v1/rollouts", params);
  const title = h("h1", {}, "Rollouts");
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

export async function renderRolloutDetail(state: ViewState): Promise<Node> {
  const id = state.id ?? "";
  const r = await getJson<Rollout>(`/api/v1/rollouts/${encodeURIComponent(id)}`);
  const reportUrl = `/api/v1/rollouts/${encodeURIComponent(id)}/report?format=text`;
  const facts: Array<[string, Node | string]> = [
    ["Outcome", outcomeBadge(r.outcome)],
    ["Started", formatTime(r.start)],
    ["Duration", r.duration_seconds === null ? "running" : formatSeconds(r.duration_seconds)],
    ["Pods ready", `${r.pods_ready}/${r.pods_total} (desired ${r.desired})`],
    ["ReplicaSets", `${r.old_replicasets.join(", ") || "-"} → ${r.new_replicaset || "-"}`],
  ];
  if (r.message) facts.push(["Message", r.message]);
  return h("section", { class: "rollout", "data-id": r.id, "data-refresh": RUNNING.has(r.outcome) ? REFRESH_MS : undefined },
    h("p", { class: "crumbs" }, h("a", { href: hrefFor({ view: "rollouts" }) }, "Rollouts"), " / ", r.id),
    h("h1", {}, `${r.namespace}/${r.deployment} revision ${r.revision}`),
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, "Pod phases"),
    renderWaterfall(r),
    h("h2", {}, "Replicas"),
    renderProgressChart(r.progress ?? [], parseTime(r.end) ?? Date.now()),
    h("p", { class: "links" },
      "Report: ", h("a", { href: reportUrl, "data-link": "report-text" }, "text"), " · ",
      h("a", { href: reportUrl.replace("format=text", "format=json") }, "JSON"),
      " — or ", h("code", {}, `kubectl kprof rollout report deploy/${r.deployment} -n ${r.namespace} --revision ${r.revision}`)),
  );
}
