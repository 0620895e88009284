// Form pieces shared by Explore and Diff: service and profile type (from
// GET /api/v1/services), a label selector, and a time range with presets. Values are the
// view state's strings and go to the API as they are ("now-1h", RFC 3339, …).

import { getJson } from "./api";
import { h } from "./dom";
import type { ViewState } from "./state";

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

// The form's fields as view state: empty fields are left out, presets are not state.
export function formState(form: HTMLFormElement, base: ViewState): ViewState {
  const next: ViewState = { ...base };
  for (const [key, value] of new FormData(form)) {
    if (typeof value !== "string" || key.endsWith("preset")) continue;
    if (value.trim()) next[key] = value.trim();
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
