// Explore: one selection (service, type, label selector, time range) shown as a timeline
// of profiles, the merged flame graph, a sortable top table whose rows focus the graph,
// and a sandwich of the focused function's callers and callees. Everything the user
// changes (zoom, search, focus, sort, flame or icicle) is kept in the URL.
//
// Data: GET /api/v1/profiles?limit=1 (is there anything; its sample types), then
// /api/v1/series, the labels and one /api/v1/merge?format=flame&top=N (the flame graph
// and the top table) together.

import { ApiError, getJson, errorNotice, isInputError } from "./api";
import {
  flameToolbar, formState, labelPickers, loadLabelValues, loadServices, selectionFields, selectionParams, serviceFields, withDefaults,
  type Service,
} from "./controls";
import { h, onEnter } from "./dom";
import { FlameGraph, joinZoom, splitZoom, type FlameMode } from "./flame";
import { FlameData, type FlameJson, type FlameMeta } from "./flame_data";
import { formatValue, percent, resolveTime } from "./format";
import { apiUrl, pprofBar, shellQuote, tokenNote } from "./pprof_links";
import { navigate, patchState, type ViewState } from "./state";
import { renderTimeline, stepFor, type Series } from "./timeline";

export interface TopRow {
  name: string;
  flat: number;
  flat_percent: number;
  cum: number;
  cum_percent: number;
}

interface Top {
  sample_type: string;
  unit: string;
  total: number;
  profiles: ProfileCount;
  rows: TopRow[];
}

interface ProfileCount {
  merged: number;
  matched: number;
  partial: boolean;
}

interface MergeFlame {
  profiles: ProfileCount;
  top: Top;
  flame: FlameJson & { meta: FlameMeta };
}

interface ProfileMeta {
  sample_types: Array<{ type: string; unit: string }>;
}

const TOP_LIMIT = "5000";  // every function of a typical service: sorting by cum needs them all
const TOP_ROWS_SHOWN = 200;
// Call-tree nodes asked for: enough for every path of most services (the canvas draws
// 30,000 nodes in tens of milliseconds); the server sums the lightest into "other".
const MAX_NODES = "32768";

export async function renderExplore(raw: ViewState): Promise<Node> {
  const services = await loadServices();
  if (services.length === 0) {
    return h("section", { class: "explore" }, h("h1", {}, "Explore"),
      h("p", { class: "empty", "data-empty": "profiles" },
        "No profiles stored yet. Point kprof agent or kube-profefe at this server, or upload one: " +
        "curl --data-binary @cpu.pb.gz 'http://…/api/v1/profiles?service=NAME&type=cpu'"));
  }
  const state = withDefaults(raw, services);
  const params = selectionParams(state);
  const from = resolveTime(state.from) ?? Date.now() - 3_600_000;
  const to = resolveTime(state.to) ?? Date.now();
  // The newest matching profile first (cheap, metadata only): an empty selection is an
  // empty state, not a 404 from the merge.
  let latest: { profiles: ProfileMeta[] };
  try {
    latest = await getJson<{ profiles: ProfileMeta[] }>("/api/v1/profiles", { ...params, limit: "1" });
  } catch (e) {
    if (!isInputError(e)) throw e;
    return h("section", { class: "explore" }, h("h1", {}, "Explore"), selectionForm(state, services, []), errorNotice(e));
  }
  // Then the timeline, the labels and one merge for both the flame graph and the top table.
  let [series, merged, labels] = await Promise.all([
    getJson<Series>("/api/v1/series", { ...params, step: stepFor(to - from) }),
    latest.profiles.length > 0
      ? orNothing(getJson<MergeFlame>("/api/v1/merge", { ...params, format: "flame", max_nodes: MAX_NODES, top: TOP_LIMIT }))
      : null,
    loadLabelValues(params),
  ]);
  // The series' default value is the last sample type; the merge follows the profile's
  // default_sample_type (alloc_space for allocs). Draw both with the same one.
  if (merged && !state.sample_index && series.sample_type !== merged.flame.meta.sample_type) {
    series = await getJson<Series>("/api/v1/series",
      { ...params, step: stepFor(to - from), sample_index: merged.flame.meta.sample_type });
  }
  const form = selectionForm(state, services, latest.profiles[0]?.sample_types ?? []);
  const section = h("section", { class: "explore" }, h("h1", {}, "Explore"), form, labelPickers(labels, form),
    renderTimeline(series, from, to, (f, t) => navigate({ ...state, from: f, to: t })));
  if (!merged) {
    section.append(h("p", { class: "empty", "data-empty": "selection" },
      `No ${state.type} profiles${state.service ? ` of ${state.service}` : ""} match in this range. ` +
      "Widen the range or change the selector."));
    return section;
  }
  const data = new FlameData(merged.flame, merged.flame.meta);
  section.append(
    summary(merged.profiles, data),
    pprofBar({
      download: apiUrl("/api/v1/merge", params),
      filename: `${state.service || "all"}-${state.type}.pb.gz`,
      command: `go tool pprof -http=: ${shellQuote(apiUrl("/api/v1/merge", params))}`,
      note: tokenNote(),
    }),
  );
  const view = new ExploreGraphs(state, data, merged.top);
  section.append(view.element);
  return section;
}

async function orNothing<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function selectionForm(state: ViewState, services: Service[], sampleTypes: ProfileMeta["sample_types"]): HTMLFormElement {
  const sample = h("select", { name: "sample_index" }, h("option", { value: "" }, "default value"));
  for (const t of sampleTypes) {
    const option = h("option", { value: t.type }, `${t.type} (${t.unit})`);
    option.selected = state.sample_index === t.type;
    sample.append(option);
  }
  const form = h("form", { class: "selection" },
    serviceFields(state, services), " ", h("label", {}, "Value ", sample), " ",
    selectionFields(state), " ", h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    // A new selection starts unzoomed and unfocused.
    const next = formState(form, { view: "explore", mode: state.mode ?? "" });
    if (!next.mode) delete next.mode;
    navigate(next);
  });
  return form;
}

function summary(count: ProfileCount, data: FlameData): HTMLElement {
  const shown = data.meta.full_nodes && data.meta.nodes && data.meta.full_nodes > data.meta.nodes
    ? ` · ${data.meta.nodes} of ${data.meta.full_nodes} call-tree nodes (the lightest are summed into "other")`
    : ` · ${data.count} call-tree nodes`;
  return h("p", { class: "summary", "data-merged": count.merged },
    `${count.merged} of ${count.matched} profiles merged`,
    count.partial ? " (the newest ones; narrow the range for all)" : "",
    ` · total ${formatValue(data.meta.total, data.meta.unit)} ${data.meta.sample_type}`, shown);
}

// The flame graph, its toolbar, the top table and the sandwich, wired together.
class ExploreGraphs {
  readonly element: HTMLElement;
  private readonly graph: FlameGraph;
  private readonly sandwich = h("div", { class: "sandwich" });
  private readonly table = h("table", { class: "data top", "data-table": "top" });
  private sort: keyof TopRow;
  private descending: boolean;
  private focus: string | undefined;

  constructor(
    state: ViewState,
    private readonly data: FlameData,
    private readonly top: Top,
  ) {
    this.focus = state.focus || undefined;
    const [sortKey, order] = (state.sort ?? "flat").split(":");
    this.sort = (["name", "flat", "flat_percent", "cum", "cum_percent"].includes(sortKey) ? sortKey : "flat") as keyof TopRow;
    this.descending = order !== "asc";
    this.graph = new FlameGraph(data, {
      id: "main",
      mode: state.mode === "icicle" ? "icicle" : "flame",
      zoomPath: splitZoom(state.zoom),
      search: state.search,
      focus: this.focus,
      onZoom: (path) => patchState({ zoom: joinZoom(path) }),
      onSelect: (name) => this.setFocus(name),
    });
    this.element = h("div", { class: "graphs" }, flameToolbar(this.graph, state,
      h("span", { class: "hint" }, "Click a frame to zoom, Alt-click it to see its callers and callees.")), this.graph.element,
      h("div", { class: "below" }, h("div", { class: "top-box" }, h("h2", {}, "Top functions"), this.table), this.sandwich));
    this.renderTable();
    this.renderSandwich();
  }

  private setFocus(name: string | undefined): void {
    this.focus = name;
    this.graph.setFocus(name);
    patchState({ focus: name });
    this.renderTable();
    this.renderSandwich();
  }

  private renderTable(): void {
    const unit = this.top.unit;
    const rows = [...this.top.rows].sort((a, b) => {
      const x = a[this.sort];
      const y = b[this.sort];
      const order = typeof x === "string" ? x.localeCompare(y as string) : (x as number) - (y as number);
      return (this.descending ? -order : order) || b.cum - a.cum || a.name.localeCompare(b.name);
    });
    const columns: Array<[keyof TopRow, string]> = [
      ["flat", "Flat"], ["flat_percent", "Flat %"], ["cum", "Cum"], ["cum_percent", "Cum %"], ["name", "Function"],
    ];
    const head = h("tr", {}, ...columns.map(([key, label]) => {
      const th = h("th", { "data-sort": key, "aria-sort": key === this.sort ? (this.descending ? "descending" : "ascending") : undefined },
        label + (key === this.sort ? (this.descending ? " ▼" : " ▲") : ""));
      th.addEventListener("click", () => {
        this.descending = key === this.sort ? !this.descending : key !== "name";
        this.sort = key;
        patchState({ sort: `${key}${this.descending ? "" : ":asc"}` });
        this.renderTable();
      });
      return th;
    }));
    const body = h("tbody", {}, ...rows.slice(0, TOP_ROWS_SHOWN).map((row) => {
      const tr = h("tr", { "data-name": row.name, class: row.name === this.focus ? "focused" : undefined, tabindex: 0 },
        h("td", { class: "num" }, formatValue(row.flat, unit)),
        h("td", { class: "num" }, `${row.flat_percent.toFixed(2)}%`),
        h("td", { class: "num" }, formatValue(row.cum, unit)),
        h("td", { class: "num" }, `${row.cum_percent.toFixed(2)}%`),
        h("td", { class: "fn" }, row.name));
      tr.addEventListener("click", () => this.setFocus(row.name === this.focus ? undefined : row.name));
      onEnter(tr);
      return tr;
    }));
    const caption = rows.length > TOP_ROWS_SHOWN ? h("caption", {}, `${TOP_ROWS_SHOWN} of ${rows.length} functions`) : null;
    this.table.replaceChildren(...(caption ? [caption] : []), h("thead", {}, head), body);
  }

  private renderSandwich(): void {
    const name = this.focus;
    if (!name) {
      this.sandwich.replaceChildren(h("p", { class: "empty" }, "Click a row to focus a function: its frames are outlined in the graph and its callers and callees shown here."));
      return;
    }
    const callers = this.data.callersTree(name);
    const callees = this.data.calleesTree(name);
    const clear = h("button", { type: "button", class: "small" }, "Clear");
    clear.addEventListener("click", () => this.setFocus(undefined));
    const meta = this.data.meta;
    const graph = (id: string, tree: FlameJson, mode: FlameMode) =>
      new FlameGraph(new FlameData(tree, { ...meta, total: tree.value }), { id, mode }).element;
    this.sandwich.replaceChildren(
      h("h2", {}, "Sandwich: ", h("code", { "data-focus": name }, name), " ", clear),
      h("p", { class: "summary" }, `${formatValue(callers.value, meta.unit)} cumulative (${percent(callers.value, meta.total)}), ` +
        `${formatValue(callers.self, meta.unit)} self`),
      h("h3", {}, "Callers"), graph("callers", callers, "flame"),
      h("h3", {}, "Callees"), graph("callees", callees, "icicle"));
  }
}
