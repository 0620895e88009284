// The flame graph: FlameData drawn on a canvas (so 100,000 frames stay cheap), as a
// flame (root at the bottom) or an icicle (root on top). Clicking a frame zooms to it,
// clicking the root or an ancestor zooms out; a search highlights matching frames and
// greys the rest; a focused function is outlined wherever it appears; the tooltip gives
// total and self with their shares of the whole and of the zoomed frame. Diff trees are
// coloured by how much each frame grew (red) or shrank (green).
//
// For tests and benchmarks the canvas carries data-drawn (frames drawn), data-zoom (the
// zoomed frame's name) and data-matched (frames matching the search), and the graph is
// registered in window.kprofFlames[id] with frames(), frameCenter(), stats().

import { FlameData } from "./flame_data";
import { formatValue, percent } from "./format";
import { h } from "./dom";

const ROW = 18;
const FONT = "12px 'Liberation Sans', 'DejaVu Sans', sans-serif";
const MIN_WIDTH = 0.5;  // css px: narrower subtrees are not drawn
const LABEL_MIN = 28;  // css px: narrower frames get no label

export type FlameMode = "flame" | "icicle";

export interface FlameOptions {
  id: string;
  mode: FlameMode;
  zoomPath?: string[];
  search?: string;
  focus?: string;
  onZoom?: (path: string[]) => void;
  onSelect?: (name: string) => void;  // a frame clicked with the Alt key
}

interface DrawnFrame {
  index: number;
  x: number;
  y: number;
  w: number;
}

declare global {
  interface Window {
    kprofFlames?: Record<string, FlameGraph>;
    kprofFlame?: FlameGraph;
  }
}

export class FlameGraph {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private zoom = 0;
  private matcher: RegExp | null = null;
  private matched = new Uint8Array(0);
  private drawn: DrawnFrame[] = [];
  private hover = -1;
  private drawnWidth = -1;
  private lastDrawMs = 0;
  private firstDrawMs = 0;
  private readonly created = performance.now();

  constructor(
    readonly data: FlameData,
    private options: FlameOptions,
  ) {
    this.canvas = h("canvas", { class: "flame", "data-id": options.id, "data-mode": options.mode });
    this.tooltip = h("div", { class: "flame-tooltip", role: "tooltip", hidden: "" });
    this.element = h("div", { class: "flame-box" }, this.canvas, this.tooltip);
    if (options.zoomPath?.length) this.zoom = data.find(options.zoomPath);
    this.setSearch(options.search ?? "", false);
    this.canvas.addEventListener("click", (e) => this.onClick(e));
    this.canvas.addEventListener("mousemove", (e) => this.onMove(e));
    this.canvas.addEventListener("mouseleave", () => this.showTooltip(-1, 0, 0));
    // Drawn once attached and sized, and again whenever the box changes width (not
    // height: drawing sets the height). Stops observing once the graph left the page.
    const observer = new ResizeObserver(() => {
      if (!this.element.isConnected) {
        observer.disconnect();
        return;
      }
      if (this.element.clientWidth !== this.drawnWidth) this.draw();
    });
    observer.observe(this.element);
    window.kprofFlames ??= {};
    window.kprofFlames[options.id] = this;
    if (options.id === "main") window.kprofFlame = this;
  }

  get mode(): FlameMode {
    return this.options.mode;
  }

  setMode(mode: FlameMode): void {
    this.options.mode = mode;
    this.canvas.dataset.mode = mode;
    this.draw();
  }

  // Case-insensitive substring, or a regex when written /like this/.
  setSearch(text: string, redraw = true): void {
    this.matcher = null;
    if (text) {
      const re = /^\/(.+)\/$/.exec(text);
      try {
        this.matcher = new RegExp(re ? re[1] : text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
      } catch {
        this.matcher = null;  // an unfinished regex matches nothing yet
      }
    }
    const names = new Uint8Array(this.data.names.length);
    if (this.matcher) this.data.names.forEach((n, i) => (names[i] = this.matcher!.test(n) ? 1 : 0));
    this.matched = names;
    if (redraw) this.draw();
  }

  // Share of the root's total in frames matching the search (outermost matches only).
  matchedShare(): number {
    if (!this.matcher) return 0;
    let sum = 0;
    for (let i = 0; i < this.data.count; ) {
      if (this.matched[this.data.nameId[i]]) {
        sum += this.data.value[i];
        i = this.data.end[i];
      } else {
        i++;
      }
    }
    return this.data.value[0] ? sum / this.data.value[0] : 0;
  }

  setFocus(name: string | undefined): void {
    this.options.focus = name;
    this.draw();
  }

  zoomTo(index: number): number {
    this.zoom = index;
    const start = performance.now();
    this.draw();
    this.options.onZoom?.(this.data.pathOf(index));
    return performance.now() - start;
  }

  draw(): void {
    const start = performance.now();
    const cssWidth = this.element.clientWidth;
    if (cssWidth === 0) return;  // not attached yet
    this.drawnWidth = cssWidth;
    const d = this.data;
    const rows = d.maxDepth + 1;
    const cssHeight = rows * ROW;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(cssWidth * ratio);
    this.canvas.height = Math.round(cssHeight * ratio);
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${cssHeight}px`;
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    const charWidth = ctx.measureText("abcdefghijklmnopqrstuvwxyz").width / 26;
    const z = this.zoom;
    const x0 = d.offset[z];
    const scale = d.width[z] > 0 ? cssWidth / d.width[z] : 0;
    const rowY = (depth: number) => (this.options.mode === "icicle" ? depth * ROW : (rows - 1 - depth) * ROW);
    const drawn: DrawnFrame[] = [];
    const searching = this.matcher !== null;
    let matchedFrames = 0;
    const frame = (i: number, x: number, w: number, ancestor: boolean) => {
      const y = rowY(d.depth[i]);
      const isMatch = searching && this.matched[d.nameId[i]] === 1;
      if (isMatch) matchedFrames++;
      ctx.fillStyle = this.color(i, searching && !isMatch, ancestor);
      ctx.fillRect(x, y, Math.max(w - 1, 0.5), ROW - 1);
      if (this.options.focus && d.name(i) === this.options.focus) {
        ctx.strokeStyle = "#1d2330";
        ctx.lineWidth = 2;
        ctx.strokeRect(x + 1, y + 1, Math.max(w - 3, 0.5), ROW - 3);
      }
      if (w >= LABEL_MIN) {
        const label = fit(d.name(i), (w - 6) / charWidth);
        if (label) {
          ctx.fillStyle = searching && !isMatch ? "#5b6270" : "#1d2330";
          ctx.fillText(label, x + 3, y + ROW / 2);
        }
      }
      drawn.push({ index: i, x, y, w });
    };
    // The zoomed frame's ancestors span the whole width.
    for (let a = d.parent[z]; a >= 0; a = d.parent[a]) frame(a, 0, cssWidth, true);
    for (let i = z; i < d.end[z]; ) {
      const w = d.width[i] * scale;
      if (w < MIN_WIDTH) {
        i = d.end[i];  // too narrow, and so is everything under it
        continue;
      }
      frame(i, (d.offset[i] - x0) * scale, w, false);
      i++;
    }
    this.drawn = drawn;
    this.canvas.dataset.drawn = String(drawn.length);
    this.canvas.dataset.zoom = d.name(z);
    this.canvas.dataset.matched = String(matchedFrames);
    this.lastDrawMs = performance.now() - start;
    if (!this.firstDrawMs) this.firstDrawMs = performance.now() - this.created;
  }

  private color(i: number, dim: boolean, ancestor: boolean): string {
    if (dim) return "#e4e6eb";
    const d = this.data;
    if (d.base) {
      const before = d.base[i] * d.baseScale;
      const after = d.value[i];
      const change = (after - before) / Math.max(before, after, 1e-12);  // -1 … 1
      const t = Math.min(1, Math.abs(change) * 1.5);
      if (Math.abs(change) < 0.02) return "#d5d9e0";
      // White-ish to full red or green.
      return change > 0
        ? `rgb(${235 - 10 * t}, ${215 - 170 * t}, ${215 - 170 * t})`
        : `rgb(${215 - 170 * t}, ${235 - 60 * t}, ${215 - 150 * t})`;
    }
    if (this.matched[d.nameId[i]] === 1) return "#e85ad8";
    const hue = packageHue(d.name(i));
    return ancestor ? `hsl(${hue}, 45%, 82%)` : `hsl(${hue}, 70%, ${62 + (d.nameId[i] % 7) * 2}%)`;
  }

  private hit(e: MouseEvent): number {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    // Frames are drawn in preorder and never overlap: the last one containing the point.
    for (let k = this.drawn.length - 1; k >= 0; k--) {
      const f = this.drawn[k];
      if (x >= f.x && x < f.x + f.w && y >= f.y && y < f.y + ROW) return f.index;
    }
    return -1;
  }

  private onClick(e: MouseEvent): void {
    const i = this.hit(e);
    if (i < 0) return;
    if (e.altKey) {
      this.options.onSelect?.(this.data.name(i));
      return;
    }
    this.zoomTo(i === this.zoom ? Math.max(this.data.parent[i], 0) : i);
  }

  private onMove(e: MouseEvent): void {
    const i = this.hit(e);
    const rect = this.element.getBoundingClientRect();
    this.showTooltip(i, e.clientX - rect.left, e.clientY - rect.top);
  }

  private showTooltip(i: number, x: number, y: number): void {
    this.canvas.style.cursor = i >= 0 ? "pointer" : "";
    if (i < 0) {
      this.tooltip.hidden = true;
      this.hover = -1;
      return;
    }
    if (i !== this.hover) {
      this.hover = i;
      this.tooltip.replaceChildren(...this.describe(i));
    }
    this.tooltip.hidden = false;
    const maxX = this.element.clientWidth - this.tooltip.offsetWidth - 4;
    this.tooltip.style.left = `${Math.max(0, Math.min(x + 14, maxX))}px`;
    this.tooltip.style.top = `${y + 16}px`;
  }

  private describe(i: number): Node[] {
    const d = this.data;
    const unit = d.meta.unit;
    const root = d.value[0];
    const lines: Node[] = [h("div", { class: "name" }, d.name(i))];
    const row = (label: string, value: string) => h("div", {}, h("span", { class: "k" }, label), value);
    if (d.base && d.baseSelf) {
      const scale = d.baseScale;
      const before = d.base[i] * scale;
      lines.push(
        row("Total", `${formatValue(before, unit)} → ${formatValue(d.value[i], unit)} (${signed(d.value[i] - before, unit)})`),
        row("Self", `${formatValue(d.baseSelf[i] * scale, unit)} → ${formatValue(d.self[i], unit)}`),
        row("Share", `${percent(before, d.base[0] * scale)} → ${percent(d.value[i], root)}`),
      );
      if (scale !== 1) lines.push(h("div", { class: "note" }, `base values ×${scale.toPrecision(3)} to match the comparison`));
      return lines;
    }
    lines.push(
      row("Total", `${formatValue(d.value[i], unit)} (${percent(d.value[i], root)}${this.zoom ? `, ${percent(d.value[i], d.value[this.zoom])} of zoomed` : ""})`),
      row("Self", `${formatValue(d.self[i], unit)} (${percent(d.self[i], root)})`),
    );
    return lines;
  }

  // ---- hooks for tests and benchmarks ----

  frames(): Array<{ name: string; x: number; y: number; w: number; depth: number; value: number }> {
    return this.drawn.map((f) => ({
      name: this.data.name(f.index),
      x: f.x,
      y: f.y,
      w: f.w,
      depth: this.data.depth[f.index],
      value: this.data.value[f.index],
    }));
  }

  // The page coordinates of the middle of the widest drawn frame named `name`.
  frameCenter(name: string): { x: number; y: number } | null {
    let best: DrawnFrame | null = null;
    for (const f of this.drawn) {
      if (this.data.name(f.index) === name && (!best || f.w > best.w)) best = f;
    }
    if (!best) return null;
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + best.x + best.w / 2, y: rect.top + best.y + ROW / 2 };
  }

  stats(): { nodes: number; drawn: number; firstDrawMs: number; lastDrawMs: number; drawMs: number } {
    return {
      nodes: this.data.count,
      drawn: this.drawn.length,
      firstDrawMs: this.firstDrawMs,
      lastDrawMs: this.lastDrawMs,
      drawMs: this.lastDrawMs,
    };
  }

  // Zoom to the widest frame named `name` and return the redraw time in ms.
  zoomToName(name: string): number {
    const found = this.data.outermost(name);
    if (found.length === 0) return -1;
    const widest = found.reduce((a, b) => (this.data.width[b] > this.data.width[a] ? b : a));
    return this.zoomTo(widest);
  }
}

// A zoom path in the URL: frame names joined by ";", each percent-encoded so a name
// holding ";" survives.
export function joinZoom(path: string[]): string {
  return path.map((name) => encodeURIComponent(name)).join(";");
}

export function splitZoom(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(";").map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}

// "github.com/x/y/pkg.(*T).Method" → a hue from the package path, so one package's
// frames share a colour (as pprof's graphs do).
function packageHue(name: string): number {
  const slash = name.lastIndexOf("/");
  const dot = name.indexOf(".", slash + 1);
  const pkg = dot > 0 ? name.slice(0, dot) : name;
  let hash = 0;
  for (let k = 0; k < pkg.length; k++) hash = (hash * 31 + pkg.charCodeAt(k)) | 0;
  return 10 + (Math.abs(hash) % 50);  // warm: red … yellow
}

function fit(text: string, chars: number): string {
  const n = Math.floor(chars);
  if (n >= text.length) return text;
  if (n < 3) return "";
  return text.slice(0, n - 1) + "…";
}

function signed(value: number, unit: string): string {
  return (value >= 0 ? "+" : "−") + formatValue(Math.abs(value), unit);
}
