// Flame-graph smoothness of the kprof web UI on a real Go profile with 10,000+ flame-graph
// nodes (the workload's widetree allocs profile), against a peer in the same run and the
// same chromium: `go tool pprof -http`'s flame graph page (d3-flame-graph, SVG).
//
//   node bench/ui_flame_bench.mjs --kprof BIN --web-dir BUILD/web [--out results.json] \
//     [--reps 5] [--profile BUILD/bench-data/widetree.pb.gz] [--zoom main.wideB]
//
// bench/ui_flame_bench.sh makes the profile and runs this.
//
// Each repetition, peer and kprof in alternating order, each with a fresh server and a
// fresh page (1280x800):
//   load   ms from navigation start until the graph is drawn. kprof: canvas.flame gets
//          data-drawn. Peer: its page builds the SVG in an inline script, so the first
//          animation frame with g.frame elements ("frames"), and the end of d3's
//          entry animation ("settled": no element has a pending d3 transition).
//   hover  intervals of 60 animation frames while the real mouse sweeps the graph.
//   zoom   a real click on the --zoom frame (its shallowest occurrence). kprof: until the
//          canvas's data-zoom names it (its redraw is synchronous). Peer: until the click
//          handler returns (first animation frame after the click) and until its 750 ms
//          zoom animation has ended.
// All times are read in the page with performance.now(), so none of the driver's
// round trips are counted.
// Both pages hold the whole tree (the Explore page asks for up to 32,768 nodes); the node
// counts are reported with the frames each actually drew (both skip frames under ~1 px).
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const args = parseArgs(process.argv.slice(2));
process.env.KPROF_WEB_DIR = path.resolve(args["web-dir"]);
process.env.KPROF_BIN = path.resolve(args.kprof);
const { launch, newPage, startServer } = await import("../tests/ui/browser.mjs");

const PROFILE = path.resolve(args.profile ?? path.join(args["web-dir"], "..", "bench-data", "widetree.pb.gz"));
const REPS = Number(args.reps ?? 5);
const ZOOM = args.zoom ?? "main.wideB";
const KPROF_READY_MS = 30000;
const PEER_READY_MS = 120000;
const HOVER_FRAMES = 60;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) usage(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const need of ["kprof", "web-dir"]) if (!out[need]) usage(`--${need} is required`);
  return out;
}

function usage(why) {
  console.error(`ui_flame_bench: ${why}\nusage: node bench/ui_flame_bench.mjs --kprof BIN --web-dir DIR ` +
    "[--profile FILE] [--out FILE] [--reps N] [--zoom FUNCTION]");
  process.exit(2);
}

// Distinct stacks and flame-graph nodes (distinct root-to-frame paths, by function name)
// of the profile, as `go tool pprof -traces` prints them.
function profileShape(file) {
  const text = execFileSync("go", ["tool", "pprof", "-traces", file], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] }).toString();
  const stacks = new Set();
  const nodes = new Set();
  const flush = (frames) => {
    if (frames.length === 0) return;
    const rootFirst = frames.reverse();
    stacks.add(rootFirst.join(";"));
    for (let i = 1; i <= rootFirst.length; i++) nodes.add(rootFirst.slice(0, i).join(";"));
  };
  let frames = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("-----")) {
      if (frames) flush(frames);
      frames = [];
      continue;
    }
    if (frames === null || !line.trim() || /^\s*\S+:\s/.test(line)) continue;  // header, tags
    const tokens = line.trim().replace(/ \(inline\)$/, "").split(/\s+/);
    frames.push(tokens[tokens.length - 1]);
  }
  if (frames) flush(frames);
  return { stacks: stacks.size, flameNodes: nodes.size };
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The peer: pprof's web UI on a free port, run from GOTOOLDIR directly (what `go tool
// pprof` execs) so that stopping it stops the server itself. Resolves once it answers.
async function startPeer() {
  const tool = path.join(execFileSync("go", ["env", "GOTOOLDIR"]).toString().trim(), "pprof");
  const port = await freePort();
  const proc = spawn(tool, ["-no_browser", `-http=127.0.0.1:${port}`, PROFILE], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  let exited = null;
  proc.stderr.on("data", (chunk) => (log = (log + chunk).slice(-2000)));
  const exit = new Promise((resolve) => proc.on("exit", (code) => resolve((exited = code ?? "signal"))));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (exited !== null) throw new Error(`go tool pprof exited (${exited}): ${log}`);
    if (Date.now() > deadline) {
      proc.kill("SIGTERM");
      throw new Error(`go tool pprof did not answer on ${url}: ${log}`);
    }
    try {
      // "/" only redirects: an answer without making pprof build a report.
      await fetch(url + "/", { redirect: "manual" });
      break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (exited === null) proc.kill("SIGTERM");
      await exit;
    },
  };
}

// Runs in the page before its own scripts: records, on performance.now()'s clock
// (0 = navigation start), when the graph is drawn, clicks, and zoom redraws.
function recorder(side) {
  const B = (window.__bench = { t: {}, zooms: [] });
  const svgSelector = "svg.d3-flame-graph";
  const pending = (svg) => [...svg.querySelectorAll("*")].some((e) => e.__transition);
  // Peer: poll each animation frame until the SVG has frames, their count is stable and
  // d3 has no transition pending.
  B.watchSvg = (key) => {
    let last = -1;
    const tick = () => {
      const svg = document.querySelector(svgSelector);
      const n = svg ? svg.querySelectorAll("g.frame").length : 0;
      if (n > 0 && B.t[key + "Frames"] === undefined) B.t[key + "Frames"] = performance.now();
      if (n > 0 && n === last && !pending(svg)) {
        B.t[key + "Settled"] = performance.now();
        B[key + "Count"] = n;
        return;
      }
      last = n;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  if (side === "peer") B.watchSvg("load");
  if (side === "kprof") {
    new MutationObserver((records) => {
      const now = performance.now();
      if (B.t.drawn === undefined) {
        const canvas = document.querySelector("canvas.flame[data-drawn]");
        if (!canvas) return;
        B.t.drawn = now;
        B.drawnCount = Number(canvas.getAttribute("data-drawn"));
        requestAnimationFrame(() => (B.t.drawnFrame = performance.now()));
      }
      for (const r of records) {
        if (r.attributeName === "data-zoom") B.zooms.push({ name: r.target.getAttribute("data-zoom"), t: now });
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-drawn", "data-zoom"] });
  }
  // Capture phase on window: runs before the graph's own click handler.
  addEventListener("click", () => {
    B.t.click = performance.now();
    requestAnimationFrame(() => (B.t.clickFrame = performance.now()));
    if (side === "peer") B.watchSvg("zoom");
  }, { capture: true });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values) {
  const v = values.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

const round = (x) => (typeof x === "number" ? Math.round(x * 10) / 10 : x);

// Sweeps the real mouse over `box` (viewport coordinates) in small steps, row by row,
// until the page has seen HOVER_FRAMES animation frames; returns their intervals.
async function hover(page, box) {
  await page.evaluate((frames) => {
    const H = (window.__bench.hover = { stamps: [], moves: 0 });
    addEventListener("mousemove", () => H.moves++, { capture: true });
    const tick = () => {
      H.stamps.push(performance.now());
      if (H.stamps.length <= frames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, HOVER_FRAMES);
  const rows = Math.max(1, Math.floor(box.height / 9));
  for (let i = 0; ; i++) {
    if (i % 8 === 0 && (await page.evaluate(() => window.__bench.hover.stamps.length)) > HOVER_FRAMES) break;
    const x = box.x + ((i * 7) % Math.max(1, Math.floor(box.width)));
    const y = box.y + 4 + (Math.floor((i * 7) / box.width) % rows) * 9;
    await page.mouse.move(x, y);
  }
  const { stamps, moves } = await page.evaluate(() => window.__bench.hover);
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]).sort((a, b) => a - b);
  return { hoverP50Ms: percentile(intervals, 50), hoverP95Ms: percentile(intervals, 95), hoverMaxMs: intervals.at(-1), hoverMoves: moves };
}

async function runPeer(browser) {
  const peer = await startPeer();
  const page = await newPage(browser);
  try {
    await page.addInitScript(recorder, "peer");
    await page.goto(peer.url + "/ui/flamegraph", { timeout: PEER_READY_MS });
    await page.waitForFunction(() => window.__bench.t.loadSettled !== undefined, null, { timeout: PEER_READY_MS });
    const load = await page.evaluate(() => {
      const B = window.__bench;
      let treeNodes = 0;
      const stack = [window.data];  // the page's flame-graph tree, a global `var data`
      while (stack.length) {
        const n = stack.pop();
        treeNodes++;
        for (const c of n.c ?? []) stack.push(c);
      }
        const nav = performance.getEntriesByType("navigation")[0];
      return { loadFramesMs: B.t.loadFrames, loadSettledMs: B.t.loadSettled, drawn: B.loadCount, treeNodes,
        htmlBytes: nav.transferSize, domContentLoadedMs: nav.domContentLoadedEventEnd };
    });
    const svgBox = await page.locator("svg.d3-flame-graph").boundingBox();
    const hovered = await hover(page, svgBox);

    // The shallowest g.frame named ZOOM; its rect's centre in viewport coordinates.
    const target = await page.evaluate((name) => {
      const frames = [...document.querySelectorAll("svg.d3-flame-graph g.frame")]
        .filter((g) => g.getAttribute("name") === name)
        .map((g) => g.querySelector("rect").getBoundingClientRect())
        .sort((a, b) => a.y - b.y);
      if (frames.length === 0) return null;
      return { x: frames[0].x + frames[0].width / 2, y: frames[0].y + frames[0].height / 2 };
    }, ZOOM);
    if (!target) throw new Error(`peer: no frame named ${ZOOM}`);
    await page.mouse.click(target.x, target.y);
    await page.waitForFunction(() => window.__bench.t.zoomSettled !== undefined && window.__bench.t.clickFrame !== undefined,
      null, { timeout: 60000 });
    const zoom = await page.evaluate(() => {
      const B = window.__bench;
      return { zoomHandlerMs: B.t.clickFrame - B.t.click, zoomSettledMs: B.t.zoomSettled - B.t.click, zoomDrawn: B.zoomCount };
    });
    // Expected among the problems: chromium's /favicon.ico is redirected to pprof's graph
    // view, which answers 501 when graphviz is not installed.
    return { ...load, ...hovered, ...zoom, problems: page.problems };
  } finally {
    await page.context().close();
    await peer.stop();
  }
}

async function runKprof(browser, profileBytes) {
  const server = await startServer();
  const page = await newPage(browser);
  try {
    const res = await fetch(server.url + "/api/v1/profiles?service=widetree&type=allocs", { method: "POST", body: profileBytes });
    if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
    const meta = await res.json();
    if (Date.now() - Date.parse(meta.time) > 50 * 60 * 1000) {
      throw new Error(`the profile's time ${meta.time} is over 50 minutes old, outside from=now-1h: regenerate it`);
    }
    await page.addInitScript(recorder, "kprof");
    await page.goto(server.url + "/?view=explore&service=widetree&type=allocs&from=now-1h&to=now");
    try {
      await page.waitForFunction(() => window.__bench.t.drawn !== undefined, null, { timeout: KPROF_READY_MS });
    } catch {
      return { notReady: `no canvas.flame[data-drawn] within ${KPROF_READY_MS / 1000} s`, problems: page.problems };
    }
    const load = await page.evaluate(() => {
      const B = window.__bench;
      const stats = window.kprofFlame?.stats?.() ?? {};
      return { loadDrawnMs: B.t.drawn, loadFrameMs: B.t.drawnFrame, drawn: B.drawnCount, treeNodes: stats.nodes,
        drawMs: stats.drawMs, lastDrawMs: stats.lastDrawMs };
    });
    const canvasBox = await page.locator("canvas.flame").boundingBox();
    const hovered = await hover(page, canvasBox);

    const center = await page.evaluate((name) => {
      const c = window.kprofFlame?.frameCenter?.(name);
      return c ? { x: c.x - scrollX, y: c.y - scrollY } : null;
    }, ZOOM);
    if (!center) return { ...load, ...hovered, zoomError: `frameCenter(${ZOOM}) is null`, problems: page.problems };
    await page.mouse.click(center.x, center.y);
    try {
      await page.waitForFunction((name) => window.__bench.zooms.some((z) => z.name === name) && window.__bench.t.clickFrame !== undefined,
        ZOOM, { timeout: 10000 });
    } catch {
      return { ...load, ...hovered, zoomError: `canvas data-zoom never became ${ZOOM}`, problems: page.problems };
    }
    const zoom = await page.evaluate((name) => {
      const B = window.__bench;
      const canvas = document.querySelector("canvas.flame");
      return { zoomRedrawMs: B.zooms.find((z) => z.name === name).t - B.t.click, zoomFrameMs: B.t.clickFrame - B.t.click,
        zoomLastDrawMs: window.kprofFlame.stats().lastDrawMs, zoomDrawn: Number(canvas.getAttribute("data-drawn")) };
    }, ZOOM);
    return { ...load, ...hovered, ...zoom, problems: page.problems };
  } finally {
    await page.context().close();
    await server.stop();
  }
}

const shape = profileShape(PROFILE);
const profileBytes = readFileSync(PROFILE);
console.log(`profile ${PROFILE}: ${shape.stacks} distinct stacks, ${shape.flameNodes} flame-graph nodes`);
const browser = await launch();
const reps = [];
try {
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? ["peer", "kprof"] : ["kprof", "peer"];
    const result = { rep, order };
    for (const side of order) {
      result[side] = side === "peer" ? await runPeer(browser) : await runKprof(browser, profileBytes);
      for (const [k, v] of Object.entries(result[side])) result[side][k] = round(v);
      const r = result[side];
      console.log(`rep ${rep} ${side}: ` + (r.notReady ? `NOT READY (${r.notReady})` :
        `load ${r.loadSettledMs ?? r.loadDrawnMs} ms, hover p95 ${r.hoverP95Ms} ms, zoom ${r.zoomSettledMs ?? r.zoomRedrawMs ?? r.zoomError} ms`));
    }
    reps.push(result);
  }
} finally {
  await browser.close();
}

const keys = (side) => [...new Set(reps.flatMap((r) => Object.keys(r[side]).filter((k) => typeof r[side][k] === "number")))];
const medians = {};
for (const side of ["peer", "kprof"]) {
  medians[side] = {};
  for (const k of keys(side)) medians[side][k] = round(median(reps.map((r) => r[side][k])));
}
const kprofReady = reps.some((r) => !r.kprof.notReady);
// kprof's measure over the peer's closest one: load drawn vs the peer's settled graph (d3
// animates frames in; kprof draws them once), the frame intervals while hovering, and the
// zoom redraw vs the peer's click handler (its animation alone takes 750 ms).
const pairs = [["load", "loadDrawnMs", "loadSettledMs"], ["load (first frame)", "loadFrameMs", "loadFramesMs"],
  ["hover p50", "hoverP50Ms", "hoverP50Ms"], ["hover p95", "hoverP95Ms", "hoverP95Ms"],
  ["zoom", "zoomRedrawMs", "zoomHandlerMs"], ["zoom (to settled)", "zoomFrameMs", "zoomSettledMs"]];
const ratios = {};
const rows = [];
for (const [label, k, p] of pairs) {
  const kv = medians.kprof[k] ?? null;
  const pv = medians.peer[p] ?? null;
  ratios[label] = kv !== null && pv ? Number((kv / pv).toPrecision(2)) : null;
  rows.push([label, `${k}`, kv ?? "-", `${p}`, pv ?? "-", ratios[label] ?? "-"]);
}

const chromium = execFileSync(process.env.KPROF_CHROMIUM ?? "/usr/lib/chromium/chromium", ["--version"]).toString().trim();
const go = execFileSync("go", ["version"]).toString().trim();
const out = {
  profile: { file: PROFILE, bytes: profileBytes.length, ...shape },
  environment: { chromium, go, node: process.version, viewport: "1280x800", zoomTarget: ZOOM },
  kprofReady,
  reps,
  medians,
  ratios,
};
if (args.out) {
  mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
  writeFileSync(args.out, JSON.stringify(out, null, 2) + "\n");
}

console.log(`\nmedians of ${REPS} reps (ms; peer = go tool pprof -http flame graph, ${go.split(" ")[2]})`);
const widths = rows[0].map((_, i) => Math.max(...[["measure", "kprof", "ms", "peer", "ms", "kprof/peer"], ...rows].map((r) => String(r[i]).length)));
for (const r of [["measure", "kprof", "ms", "peer", "ms", "kprof/peer"], ...rows]) {
  console.log(r.map((c, i) => String(c).padEnd(widths[i])).join("  "));
}
console.log(`tree nodes in the page: kprof ${medians.kprof.treeNodes ?? "-"}, peer ${medians.peer.treeNodes} ` +
  `(the profile has ${shape.flameNodes}); frames drawn: kprof ${medians.kprof.drawn ?? "-"}, peer ${medians.peer.drawn}`);
if (!kprofReady) console.log("kprof: NOT READY — the explore page never drew canvas.flame[data-drawn]; peer numbers only");
if (args.out) console.log(`results: ${args.out}`);
