// Diff: a baseline and a comparison selection (each a label selector and time range;
// or the before and after of a rollout) as a red/green flame graph (GET
// /api/v1/diff?format=flame) and the table of the biggest changes (GET /api/v1/diff).
// Frames are as wide as both sides together; red grew, green shrank.

import { ApiError, getJson, errorNotice, isInputError } from "./api";
import { flameToolbar, formState, loadServices, selectionFields, selectionParams, serviceFields, withDefaults, type Service } from "./controls";
import { h, onEnter } from "./dom";
import { FlameGraph, joinZoom, splitZoom, type FlameMode } from "./flame";
import { FlameData, type FlameJson, type FlameMeta } from "./flame_data";
import { formatTime, formatValue, parseTime } from "./format";
import { apiUrl, pprofBar, shellQuote, tokenNote } from "./pprof_links";
import type { Rollout } from "./rollout_types";
import { navigate, patchState, type ViewState } from "./state";

interface DiffRow {
  name: string;
  base_flat: number;
  flat: number;
  delta_flat: number;
  base_cum: number;
  cum: number;
  delta_cum: number;
}

interface DiffSide {
  total: number;
  seconds: number;
  profiles: { merged: number; matched: number; partial: boolean };
}

interface DiffJson {
  sample_type: string;
  unit: string;
  normalize: string;
  base_scale: number;
  base: DiffSide;
  comparison: DiffSide;
  rows: DiffRow[];
}

interface DiffFlame extends DiffJson {
  flame: FlameJson & { meta: FlameMeta };
}

export interface ReportProfiles {
  type: string;
  before: { from: string; to: string; query: string; profiles: number };
  after: { from: string; to: string; query: string; profiles: number };
  note: string;
}

const NORMALIZE = [
  ["total", "shares of each side's total"],
  ["per-second", "per second of profile"],
  ["none", "raw values"],
];

// The view state that compares a rollout's old pods before it with its new pods after it.
export function rolloutDiffState(p: ReportProfiles): ViewState {
  return {
    view: "diff", type: p.type, service: "",
    base_query: p.before.query, base_from: p.before.from, base_to: p.before.to,
    query: p.after.query, from: p.after.from, to: p.after.to,
    normalize: p.type === "cpu" ? "per-second" : "total",
  };
}

export function diffParams(state: ViewState): Record<string, string> {
  const params: Record<string, string> = { ...selectionParams(state) };
  for (const key of ["base_query", "base_from", "base_to"]) if (state[key]) params[key] = state[key];
  params.normalize = state.normalize || "total";
  return params;
}

// `go tool pprof -diff_base BASE COMPARISON` on the two merge URLs.
export function diffCommand(state: ViewState): string {
  const base = selectionParams(state, "base_");
  const comparison = selectionParams(state);
  const normalize = (state.normalize || "total") === "total" ? "-normalize " : "";
  return `go tool pprof -http=: ${normalize}-diff_base ${shellQuote(apiUrl("/api/v1/merge", base))} ` +
    shellQuote(apiUrl("/api/v1/merge", comparison));
}

export async function renderDiff(raw: ViewState): Promise<Node> {
  const services = await loadServices();
  const state = withDefaults(raw, services);
  if (!raw.base_from && !raw.base_to) {
    state.base_from = "now-2h";
    state.base_to = "now-1h";
  }
  if (state.base_query === undefined) state.base_query = state.query ?? "";
  const picker = rolloutPicker(state);
  const params = diffParams(state);
  const section = h("section", { class: "diff" }, h("h1", {}, "Diff"), diffForm(state, services));
  // Each side's newest profile first (metadata only), so an empty side is said plainly
  // instead of being a 404 from the diff.
  const newest = (prefix: string) =>
    getJson<{ profiles: unknown[] }>("/api/v1/profiles", { ...selectionParams(state, prefix), limit: "1" })
      .then((r) => r.profiles.length > 0);
  let hasBase = false;
  let hasComparison = false;
  try {
    [hasBase, hasComparison] = await Promise.all([newest("base_"), newest(""), picker.then((node) => section.append(node))]);
  } catch (e) {
    if (!isInputError(e)) throw e;
    section.append(errorNotice(e));
    return section;
  }
  if (!hasBase || !hasComparison) {
    const side = !hasBase ? (!hasComparison ? "either side" : "the baseline") : "the comparison";
    section.append(h("p", { class: "empty", "data-empty": "diff" },
      `No ${state.type} profiles in ${side}. Pick ranges and selectors that hold profiles, or a rollout below the form.`));
    return section;
  }
  // One request: the report's rows and both call trees joined.
  let report: DiffFlame;
  try {
    report = await getJson<DiffFlame>("/api/v1/diff", { ...params, format: "flame", limit: "100" });
  } catch (e) {
    if (isInputError(e)) {
      section.append(errorNotice(e));
      return section;
    }
    if (e instanceof ApiError && e.status === 404) {
      section.append(h("p", { class: "empty", "data-empty": "diff" }, `Nothing to compare: ${e.message}. Widen a range or change a selector.`));
      return section;
    }
    throw e;
  }
  const data = new FlameData(report.flame, report.flame.meta);
  section.append(
    h("p", { class: "summary", "data-base-profiles": report.base.profiles.merged, "data-profiles": report.comparison.profiles.merged },
      `Baseline: ${report.base.profiles.merged} profiles, ${formatValue(report.base.total, report.unit)}; ` +
      `comparison: ${report.comparison.profiles.merged} profiles, ${formatValue(report.comparison.total, report.unit)} ` +
      `${report.sample_type}. Compared as ${NORMALIZE.find((n) => n[0] === report.normalize)?.[1] ?? report.normalize}.`),
    pprofBar({
      download: apiUrl("/api/v1/diff", { ...params, format: "pprof" }),
      filename: `${state.type}-diff.pb.gz`,
      command: diffCommand(state),
      note: tokenNote() ?? (params.normalize === "per-second"
        ? "go tool pprof has no per-second comparison: the command compares raw values; the download is per second."
        : undefined),
    }),
  );
  const mode: FlameMode = state.mode === "icicle" ? "icicle" : "flame";
  const graph = new FlameGraph(data, {
    id: "main", mode, zoomPath: splitZoom(state.zoom), search: state.search,
    onZoom: (path) => patchState({ zoom: joinZoom(path) }),
  });
  section.append(
    flameToolbar(graph, state,
      h("span", { class: "legend" }, h("span", { class: "swatch grew" }, "grew"), h("span", { class: "swatch shrank" }, "shrank"),
        h("span", { class: "hint" }, "Width: both sides together"))),
    graph.element,
    h("h2", {}, "Biggest changes"),
    changesTable(report, (name) => graph.zoomToName(name), state.sort ?? "delta_flat"),
  );
  return section;
}

function diffForm(state: ViewState, services: Service[]): HTMLFormElement {
  const normalize = h("select", { name: "normalize" });
  for (const [value, label] of NORMALIZE) {
    const option = h("option", { value }, label);
    option.selected = (state.normalize || "total") === value;
    normalize.append(option);
  }
  const form = h("form", { class: "selection diff-form" },
    h("div", {}, serviceFields(state, services), " ", h("label", {}, "Compare as ", normalize)),
    h("div", { class: "side base" }, h("strong", {}, "Baseline "), selectionFields(state, "base_")),
    h("div", { class: "side comparison" }, h("strong", {}, "Comparison "), selectionFields(state)),
    h("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    navigate(formState(form, { view: "diff" }, ["service", "base_query", "query"]));
  });
  return form;
}

// The view state comparing the pods of two revisions (each rollout's new ReplicaSet),
// each over the time its pods ran: from its rollout's start until the next rollout of
// that Deployment ended (or now).
export function revisionDiffState(base: Rollout, comparison: Rollout, all: Rollout[], type: string): ViewState {
  const side = (r: Rollout) => {
    const t = (x: Rollout) => parseTime(x.start) ?? 0;
    const next = all
      .filter((x) => x.namespace === r.namespace && x.deployment === r.deployment && t(x) > t(r))
      .sort((a, b) => t(a) - t(b))[0];
    return {
      query: `{namespace="${r.namespace}",replicaset="${r.new_replicaset}"}`,
      from: r.start,
      to: next?.end ?? "now",
    };
  };
  const a = side(base);
  const b = side(comparison);
  return {
    view: "diff", type, service: "", base_query: a.query, base_from: a.from, base_to: a.to,
    query: b.query, from: b.from, to: b.to, normalize: type === "cpu" ? "per-second" : "total",
  };
}

// Rollouts as diff sources: one rollout's old pods before it against its new pods after
// it, or the pods of two revisions against each other.
async function rolloutPicker(state: ViewState): Promise<Node> {
  let rollouts: Rollout[] = [];
  try {
    rollouts = (await getJson<{ rollouts: Rollout[] }>("/api/v1/rollouts", { limit: "100" })).rollouts;
  } catch {
    return h("span");  // rollouts are optional here
  }
  if (rollouts.length === 0) return h("span");
  const label = (r: Rollout) => `${r.namespace}/${r.deployment} revision ${r.revision} (${formatTime(r.start)})`;
  const options = (name: string, first: string, selected?: string) => {
    const select = h("select", { name, "aria-label": name }, h("option", { value: "" }, first));
    for (const r of rollouts) {
      const option = h("option", { value: r.id }, label(r));
      option.selected = selected === r.id;
      select.append(option);
    }
    return select;
  };
  const picker = options("rollout", "Compare a rollout's before and after…", state.rollout);
  const status = h("span", { class: "status" });
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    status.textContent = "loading…";
    try {
      const report = await getJson<{ profiles: ReportProfiles[] }>(`/api/v1/rollouts/${encodeURIComponent(picker.value)}/report`);
      const p = report.profiles.find((x) => x.type === state.type && !x.note) ?? report.profiles.find((x) => !x.note);
      if (!p) {
        status.textContent = "this rollout has no profiles on both sides yet";
        return;
      }
      navigate({ ...rolloutDiffState(p), rollout: picker.value });
    } catch (e) {
      status.textContent = (e as Error).message;
    }
  });
  const baseRevision = options("base_revision", "baseline revision…", state.base_revision);
  const revision = options("revision", "comparison revision…", state.revision);
  const revisions = h("form", { class: "revisions" }, "or the pods of ", baseRevision, " against ", revision, " ",
    h("button", { type: "submit" }, "Compare revisions"));
  revisions.addEventListener("submit", (e) => {
    e.preventDefault();
    const a = rollouts.find((r) => r.id === baseRevision.value);
    const b = rollouts.find((r) => r.id === revision.value);
    if (!a || !b) {
      status.textContent = "pick two revisions";
      return;
    }
    navigate({ ...revisionDiffState(a, b, rollouts, state.type || "cpu"), base_revision: a.id, revision: b.id });
  });
  return h("div", { class: "rollout-picker" }, picker, " ", revisions, " ", status);
}

function changesTable(report: DiffJson, onPick: (name: string) => void, initialSort: string): HTMLElement {
  const table = h("table", { class: "data changes", "data-table": "changes" });
  let sort = ["delta_flat", "delta_cum", "name"].includes(initialSort) ? initialSort : "delta_flat";
  const unit = report.unit;
  const show = (v: number) => (report.normalize === "total" ? `${(v * 100).toFixed(2)}%` : formatValue(v, unit));
  const draw = () => {
    const rows = [...report.rows].sort((a, b) =>
      sort === "name" ? a.name.localeCompare(b.name) : Math.abs(b[sort as "delta_flat"]) - Math.abs(a[sort as "delta_flat"]));
    const head = h("tr", {}, ...[["base_flat", "Flat before"], ["flat", "Flat after"], ["delta_flat", "Δ flat"],
      ["delta_cum", "Δ cum"], ["name", "Function"]].map(([key, label]) => {
      const th = h("th", { "data-sort": key }, label + (key === sort ? " ▼" : ""));
      if (key === "delta_flat" || key === "delta_cum" || key === "name") {
        th.addEventListener("click", () => {
          sort = key;
          patchState({ sort: key });
          draw();
        });
      }
      return th;
    }));
    const body = h("tbody", {}, ...rows.map((r) => {
      const tr = h("tr", { "data-name": r.name, class: r.delta_flat > 0 ? "grew" : r.delta_flat < 0 ? "shrank" : undefined, tabindex: 0 },
        h("td", { class: "num" }, show(r.base_flat)), h("td", { class: "num" }, show(r.flat)),
        h("td", { class: "num delta" }, (r.delta_flat > 0 ? "+" : "") + show(r.delta_flat)),
        h("td", { class: "num delta" }, (r.delta_cum > 0 ? "+" : "") + show(r.delta_cum)),
        h("td", { class: "fn" }, r.name));
      tr.addEventListener("click", () => onPick(r.name));
      onEnter(tr);
      return tr;
    }));
    table.replaceChildren(h("thead", {}, head), body);
  };
  draw();
  return table;
}
