// Form pieces shared by Explore and Diff: service and profile type (from
// GET /api/v1/services), a label selector, and a time range with presets. Values are the
// view state's strings and go to the API as they are ("now-1h", RFC 3339, …).

import { getJson } from "./api";
import { h } from "./dom";
import type { FlameGraph, FlameMode } from "./flame";
import { percent } from "./format";
import { patchState, type ViewState } from "./state";

export interface Service {
  name: string;
  types: string[];
}

export const PRESETS = [
  { from: "now-5m", label: "Last 5 minutes" },
  { from: "now-15m", label: "Last 15 minutes" },
  { from: "now-1h", label: "Last hour" },
  { from: "now-6h", label: "Last 6 hours" },
  { from: "now-24h", label: "Last 24 hours" },
  { from: "now-7d", label: "Last 7 days" },
];
export const DEFAULT_FROM = "now-1h";
const TYPE_ORDER = ["cpu", "heap", "allocs", "goroutine", "block", "mutex", "threadcreate"];

export async function loadServices(): Promise<Service[]> {
  const { services } = await getJson<{ services: Service[] }>("/api/v1/services");
  return services;
}

// Fills in service and type when the state has none: the first service, and its CPU
// profiles if it has them.
export function withDefaults(state: ViewState, services: Service[]): ViewState {
  const out = { ...state };
  if (out.service === undefined && services.length) out.service = services[0].name;
  if (!out.type) out.type = typesOf(services, out.service ?? "")[0] ?? "cpu";
  if (!out.from) out.from = DEFAULT_FROM;
  if (!out.to) out.to = "now";
  return out;
}

export function typesOf(services: Service[], service: string): string[] {
  const set = new Set<string>();
  for (const s of services) if (!service || s.name === service) s.types.forEach((t) => set.add(t));
  return [...set].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(type: string): number {
  const i = TYPE_ORDER.indexOf(type);
  return i < 0 ? TYPE_ORDER.length : i;
}

function select(name: string, options: Array<[string, string]>, value: string): HTMLSelectElement {
  const el = h("select", { name });
  for (const [v, label] of options) {
    const option = h("option", { value: v }, label);
    option.selected = v === value;
    el.append(option);
  }
  return el;
}

// Service and type selects; the type list follows the chosen service.
export function serviceFields(state: ViewState, services: Service[]): HTMLElement {
  const service = select("service", [["", "all services"], ...services.map((s): [string, string] => [s.name, s.name])],
    state.service ?? "");
  const typeOptions = (svc: string) => typesOf(services, svc).map((t): [string, string] => [t, t]);
  let type = select("type", typeOptions(state.service ?? ""), state.type ?? "");
  service.addEventListener("change", () => {
    const next = select("type", typeOptions(service.value), type.value);
    type.replaceWith(next);
    type = next;
  });
  return h("span", { class: "fields" }, h("label", {}, "Service ", service), " ", h("label", {}, "Type ", type));
}

// A selector and a time range; `prefix` names the fields ("base_" for a diff's baseline).
export function selectionFields(state: ViewState, prefix = "", placeholder = '{namespace="prod"}'): HTMLElement {
  const query = h("input", {
    name: `${prefix}query`, value: state[`${prefix}query`] ?? "", placeholder, size: 34, spellcheck: "false",
    "aria-label": "label selector",
  });
  return h("span", { class: "fields" }, h("label", {}, "Labels ", query), " ", rangeFields(state, prefix));
}

export function rangeFields(state: ViewState, prefix = ""): HTMLElement {
  const fromName = `${prefix}from`;
  const toName = `${prefix}to`;
  const from = h("input", { name: fromName, value: state[fromName] ?? DEFAULT_FROM, size: 22, "aria-label": "from" });
  const to = h("input", { name: toName, value: state[toName] ?? "now", size: 22, "aria-label": "to" });
  const current = (state[toName] ?? "now") === "now" ? PRESETS.find((p) => p.from === (state[fromName] ?? DEFAULT_FROM)) : undefined;
  const preset = select(`${prefix}preset`, [...PRESETS.map((p): [string, string] => [p.from, p.label]), ["", "Custom range"]],
    current?.from ?? "");
  preset.addEventListener("change", () => {
    if (!preset.value) return;
    from.value = preset.value;
    to.value = "now";
  });
  const custom = () => (preset.value = PRESETS.some((p) => p.from === from.value) && to.value === "now" ? from.value : "");
  from.addEventListener("input", custom);
  to.addEventListener("input", custom);
  return h("span", { class: "range" }, preset, " ", h("label", {}, "from ", from), " ", h("label", {}, "to ", to));
}

// The form's fields as view state: empty fields are left out, except those whose empty
// value means something (`keep`: service "" is every service, base_query "" every pod);
// presets are not state.
export function formState(form: HTMLFormElement, base: ViewState, keep: string[] = ["service"]): ViewState {
  const next: ViewState = { ...base };
  for (const [key, value] of new FormData(form)) {
    if (typeof value !== "string" || key.endsWith("preset")) continue;
    if (value.trim() || keep.includes(key)) next[key] = value.trim();
    else delete next[key];
  }
  return next;
}

// The API parameters of a selection (service, type, query, from, to, sample_index).
export function selectionParams(state: ViewState, prefix = ""): Record<string, string> {
  const params: Record<string, string> = {};
  if (state.service) params.service = state.service;
  if (state.type) params.type = state.type;
  if (state.sample_index) params.sample_index = state.sample_index;
  for (const key of ["query", "from", "to"]) {
    const value = state[`${prefix}${key}`];
    if (value) params[key] = value;
  }
  return params;
}

const MAX_LABEL_PICKERS = 8;

// Label names of a selection and each one's values (GET /api/v1/labels,
// /api/v1/labels/{name}/values), for the label pickers. Failures leave them out.
export async function loadLabelValues(params: Record<string, string>): Promise<Array<[string, string[]]>> {
  const base: Record<string, string> = {};
  for (const key of ["service", "type", "from", "to"]) if (params[key]) base[key] = params[key];
  try {
    const { names } = await getJson<{ names: string[] }>("/api/v1/labels", base);
    return await Promise.all(names.slice(0, MAX_LABEL_PICKERS).map(async (name): Promise<[string, string[]]> => {
      const { values } = await getJson<{ values: string[] }>(`/api/v1/labels/${encodeURIComponent(name)}/values`, base);
      return [name, values];
    }));
  } catch {
    return [];
  }
}

// `selector` with the matcher for `name` replaced by name="value" (or removed when value
// is empty): '{a="1"}' + b=2 → '{a="1",b="2"}'. Text before the braces (a service
// name) is kept.
export function withMatcher(selector: string, name: string, value: string): string {
  const text = selector.trim();
  const open = text.indexOf("{");
  const prefix = open >= 0 ? text.slice(0, open) : text;
  const body = open >= 0 ? text.slice(open + 1, text.lastIndexOf("}") > open ? text.lastIndexOf("}") : undefined) : "";
  const matchers: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\" && quoted) {
      current += c + (body[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      matchers.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim()) matchers.push(current.trim());
  const kept = matchers.filter((m) => m && !new RegExp(`^${escapeRegExp(name)}\\s*(=|!=|=~|!~)`).test(m));
  if (value) kept.push(`${name}="${value.replace(/[\\"]/g, "\\$&")}"`);
  return kept.length ? `${prefix}{${kept.join(",")}}` : prefix;
}

// One select per label name; picking a value narrows the form's selector to it and
// submits the form.
export function labelPickers(labels: Array<[string, string[]]>, form: HTMLFormElement, prefix = ""): HTMLElement | null {
  if (labels.length === 0) return null;
  const query = form.elements.namedItem(`${prefix}query`) as HTMLInputElement | null;
  if (!query) return null;
  const current = (name: string) => {
    const m = new RegExp(`(?:^|[{,\\s])${escapeRegExp(name)}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(query.value);
    return m ? m[1].replace(/\\(.)/g, "$1") : "";
  };
  const pickers = labels.map(([name, values]) => {
    const select = h("select", { "data-label": name, "aria-label": `label ${name}` }, h("option", { value: "" }, `${name}: any`));
    for (const v of values) {
      const option = h("option", { value: v }, `${name}=${v}`);
      option.selected = current(name) === v;
      select.append(option);
    }
    select.addEventListener("change", () => {
      query.value = withMatcher(query.value, name, select.value);
      form.requestSubmit();
    });
    return select;
  });
  return h("div", { class: "label-pickers" }, h("span", { class: "hint" }, "Filter: "), ...pickers);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The toolbar over a flame graph: flame or icicle, a search with the share it matches,
// and Reset zoom; each change is drawn at once and recorded in the URL. `extras` follow
// (a hint, a legend).
export function flameToolbar(graph: FlameGraph, state: ViewState, ...extras: Node[]): HTMLElement {
  const modes = h("span", { class: "toggle", role: "group" });
  for (const mode of ["flame", "icicle"] as FlameMode[]) {
    const button = h("button", { type: "button", "data-mode": mode, "aria-pressed": String(graph.mode === mode) },
      mode === "flame" ? "Flame" : "Icicle");
    button.addEventListener("click", () => {
      graph.setMode(mode);
      for (const b of modes.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
      patchState({ mode: mode === "flame" ? undefined : mode });
    });
    modes.append(button);
  }
  const matched = h("span", { class: "matched", "data-matched-share": "" });
  const search = h("input", {
    type: "search", name: "search", placeholder: "Search functions (text or /regex/)", value: state.search ?? "", size: 32,
  });
  const showMatched = () => {
    matched.textContent = search.value ? `${percent(graph.matchedShare(), 1)} of total matches` : "";
  };
  search.addEventListener("input", () => {
    graph.setSearch(search.value);
    showMatched();
    patchState({ search: search.value });
  });
  showMatched();
  const reset = h("button", { type: "button", "data-action": "reset-zoom" }, "Reset zoom");
  reset.addEventListener("click", () => graph.zoomTo(0));
  return h("div", { class: "toolbar" }, modes, " ", search, " ", matched, " ", reset, ...extras);
}
