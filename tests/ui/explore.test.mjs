// Explore and Diff in chromium against the real `kprof server` holding real Go CPU
// profiles (the go_profiles fixture: two instances of tests/support/workloads, where v2
// makes main.regressedFunc much hotter). The API and `go tool pprof` are the oracles:
// the flame graph's widest frames are the API top table's functions by cum, at widths
// proportional to their cum; zoom, search, focus, sandwich, icicle, the timeline brush,
// shareable URLs, the pprof download and the copied `go tool pprof` command all work.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { launch, newPage, screenshot, startServer } from "./browser.mjs";

const testdata = process.env.KPROF_TESTDATA_DIR;
if (!testdata) throw new Error("KPROF_TESTDATA_DIR (real Go profiles) is not set");

let server;
let browser;
const uploads = { v1: 0, v2: 0 };

async function upload(file, labels, minutesAgo) {
  const time = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const url = `${server.url}/api/v1/profiles?service=shop&type=cpu&labels=${encodeURIComponent(labels)}&time=${time}`;
  const r = await fetch(url, { method: "POST", body: readFileSync(path.join(testdata, file)) });
  assert.equal(r.status, 201, await r.text());
}

async function api(route, params) {
  const r = await fetch(`${server.url}${route}?${new URLSearchParams(params)}`);
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

// go tool pprof -top on a file or URL: [{flat, name}] of its rows.
function pprofTop(source) {
  const out = execFileSync("go", ["tool", "pprof", "-top", "-nodecount=15", source], {
    encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000,
  });
  const rows = [];
  for (const line of out.split("\n")) {
    const m = /^\s*(-?[\d.]+\w*)\s+-?[\d.]+%\s+-?[\d.]+%\s+-?[\d.]+\w*\s+-?[\d.]+%\s+(.+)$/.exec(line);
    if (m) rows.push({ flat: m[1], name: m[2].trim() });
  }
  return rows;
}

// Per function, the horizontal extent of its drawn frames (recursion nests inside the
// outer call, so the union of intervals is the function's cum width).
function widthsByName(frames) {
  const byName = new Map();
  for (const f of frames) {
    if (!byName.has(f.name)) byName.set(f.name, []);
    byName.get(f.name).push([f.x, f.x + f.w]);
  }
  const widths = new Map();
  for (const [name, intervals] of byName) {
    intervals.sort((a, b) => a[0] - b[0]);
    let sum = 0;
    let [s, e] = intervals[0];
    for (const [a, b] of intervals.slice(1)) {
      if (a > e) {
        sum += e - s;
        [s, e] = [a, b];
      } else {
        e = Math.max(e, b);
      }
    }
    widths.set(name, sum + (e - s));
  }
  return widths;
}

before(async () => {
  server = await startServer();
  browser = await launch();
  // v1 (cpu-a) 50..35 minutes ago, v2 (cpu-b) 25..10 minutes ago.
  for (const m of [50, 45, 40, 35]) await upload("cpu-a.pb.gz", "version=v1,namespace=shop", m), uploads.v1++;
  for (const m of [25, 20, 15, 10]) await upload("cpu-b.pb.gz", "version=v2,namespace=shop", m), uploads.v2++;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openExplore(page, query) {
  await page.goto(`${server.url}/?view=explore&${query}`);
  await page.waitForSelector('main[data-state="ready"]');
  await page.waitForSelector('canvas.flame[data-id="main"][data-drawn]');
}

test("explore: the flame graph's widest frames are the API top table's, at their widths", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  assert.equal(await page.textContent("nav a.active"), "Explore");
  const top = await api("/api/v1/merge", { service: "shop", type: "cpu", from: "now-1h", to: "now", format: "top", limit: "5000" });
  const frames = await page.evaluate(() => window.kprofFlame.frames());
  // The flame graph's JSON travels gzipped (fetch asks for it, as browsers do).
  const flame = await fetch(`${server.url}/api/v1/merge?service=shop&type=cpu&format=flame`);
  assert.equal(flame.headers.get("content-encoding"), "gzip");
  assert.equal((await flame.json()).flame.value, top.total);
  const canvasWidth = await page.evaluate(() => document.querySelector('canvas.flame[data-id="main"]').clientWidth);
  assert.ok(frames.length > 20, `only ${frames.length} frames drawn`);
  const widths = widthsByName(frames.filter((f) => f.name !== "root"));
  const widest = [...widths.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const byCum = [...top.rows].sort((a, b) => b.cum - a.cum);
  for (const [name, width] of widest) {
    const row = top.rows.find((r) => r.name === name);
    assert.ok(row, `${name} is drawn wide but not in the API's top table`);
    const expected = (row.cum / top.total) * canvasWidth;
    assert.ok(Math.abs(width - expected) <= 2 + 0.005 * canvasWidth, `${name}: drawn ${width}px, cum says ${expected}px`);
    // As wide as the API says, so no function the API ranks above it is narrower.
    const rank = byCum.findIndex((r) => r.name === name);
    assert.ok(rank < 8 + 4, `${name} is drawn among the 8 widest but ranks ${rank} by cum`);
  }
  // The page's own top table, sorted by cum, lists the same functions in the API's order.
  await page.click('table.top th[data-sort="cum"]');
  await page.waitForURL(/sort=cum/);
  const shown = await page.$$eval("table.top tbody tr", (rows) => rows.slice(0, 10).map((r) => r.dataset.name));
  assert.deepEqual(shown, byCum.slice(0, 10).map((r) => r.name));
  // The summary counts every uploaded profile; the timeline shows them all.
  assert.equal(Number(await page.getAttribute("p.summary", "data-merged")), uploads.v1 + uploads.v2);
  assert.equal(Number(await page.getAttribute("svg.timeline", "data-profiles")), uploads.v1 + uploads.v2);
  await screenshot(page, "explore");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: click to zoom, reset, and the zoom survives a reload", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  const canvasWidth = await page.evaluate(() => document.querySelector('canvas.flame[data-id="main"]').clientWidth);
  // A frame two or more levels down, wide enough to click and narrower than the graph.
  const target = await page.evaluate((w) => window.kprofFlame.frames()
    .filter((f) => f.depth >= 2 && f.w > 40 && f.w < w * 0.9).sort((a, b) => b.w - a.w)[0], canvasWidth);
  assert.ok(target, "no frame to zoom into");
  const before = await page.locator('canvas.flame[data-id="main"]').screenshot();
  const at = await page.evaluate((name) => window.kprofFlame.frameCenter(name), target.name);
  // Hovering tells the frame's name, total and self with their shares.
  await page.mouse.move(at.x, at.y);
  await page.waitForSelector(".flame-tooltip:not([hidden])");
  const tip = await page.textContent(".flame-tooltip");
  assert.ok(tip.startsWith(target.name), tip);
  assert.match(tip, /Total.*\(\d+(\.\d+)?%\).*Self/s);
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction((name) => document.querySelector('canvas.flame[data-id="main"]').dataset.zoom === name, target.name);
  const zoomed = await page.evaluate((name) => window.kprofFlame.frames().filter((f) => f.name === name && f.w > 0), target.name);
  assert.ok(zoomed.some((f) => Math.abs(f.w - canvasWidth) < 1), `${target.name} does not span the graph after zooming`);
  assert.notDeepEqual(await page.locator('canvas.flame[data-id="main"]').screenshot(), before);
  // The canvas really paints the zoomed frame across the row: both edges are coloured.
  const edges = await page.evaluate((name) => {
    const canvas = document.querySelector('canvas.flame[data-id="main"]');
    const f = window.kprofFlame.frames().find((x) => x.name === name);
    const ratio = canvas.width / canvas.clientWidth;
    const row = canvas.getContext("2d").getImageData(0, Math.round((f.y + 9) * ratio), canvas.width, 1).data;
    const px = (i) => [...row.slice(i * 4, i * 4 + 4)];
    return { left: px(2), right: px(Math.floor(canvas.width - 3 * ratio)) };
  }, target.name);
  assert.notDeepEqual(edges.left, [0, 0, 0, 0]);
  assert.deepEqual(edges.left, edges.right);
  assert.match(page.url(), /zoom=/);
  await screenshot(page, "explore-zoomed");

  // The URL holds the zoom: a reload (a shared link) shows the same zoom.
  await page.reload();
  await page.waitForSelector('canvas.flame[data-id="main"][data-drawn]');
  assert.equal(await page.getAttribute('canvas.flame[data-id="main"]', "data-zoom"), target.name);

  await page.click('button[data-action="reset-zoom"]');
  assert.equal(await page.getAttribute('canvas.flame[data-id="main"]', "data-zoom"), "root");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: search highlights matching frames and reports their share", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  await page.fill('input[name="search"]', "regressed");
  await page.waitForFunction(() => Number(document.querySelector('canvas.flame[data-id="main"]').dataset.matched) > 0);
  const frames = await page.evaluate(() => window.kprofFlame.frames());
  const expected = frames.filter((f) => /regressed/i.test(f.name)).length;
  assert.equal(Number(await page.getAttribute('canvas.flame[data-id="main"]', "data-matched")), expected);
  assert.match(await page.textContent("span.matched"), /^\d+(\.\d+)?% of total matches$/);
  // A matching frame is painted in the highlight colour, a non-matching one greyed.
  const colours = await page.evaluate(() => {
    const canvas = document.querySelector('canvas.flame[data-id="main"]');
    const ratio = canvas.width / canvas.clientWidth;
    // One readback of the whole canvas (several small ones make chromium warn).
    const all = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const frames = window.kprofFlame.frames();
    const pick = (f) => {
      const at = (Math.round((f.y + 3) * ratio) * canvas.width + Math.round((f.x + 1) * ratio)) * 4;
      return [...all.slice(at, at + 4)];
    };
    return {
      hit: pick(frames.find((f) => /regressed/i.test(f.name))),
      miss: pick(frames.find((f) => f.name !== "root" && !/regressed/i.test(f.name) && f.w > 4)),
    };
  });
  assert.deepEqual(colours.hit.slice(0, 3), [0xe8, 0x5a, 0xd8]);
  assert.deepEqual(colours.miss.slice(0, 3), [0xe4, 0xe6, 0xeb]);
  await page.waitForURL(/search=regressed/);
  await screenshot(page, "explore-search");
  await page.reload();
  await page.waitForSelector('canvas.flame[data-id="main"][data-drawn]');
  assert.equal(await page.inputValue('input[name="search"]'), "regressed");
  assert.equal(Number(await page.getAttribute('canvas.flame[data-id="main"]', "data-matched")), expected);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: a top table row focuses the graph and opens the sandwich; icicle mode", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  const top = await api("/api/v1/merge", { service: "shop", type: "cpu", from: "now-1h", to: "now", format: "top", limit: "5000" });
  const name = "main.regressedFunc";
  const row = top.rows.find((r) => r.name === name);
  assert.ok(row, `${name} is not in the API top table`);
  await page.click(`table.top tr[data-name="${name}"]`);
  await page.waitForSelector(`code[data-focus="${name}"]`);
  await page.waitForSelector('canvas.flame[data-id="callers"][data-drawn]');
  await page.waitForSelector('canvas.flame[data-id="callees"][data-drawn]');
  assert.match(page.url(), /focus=main\.regressedFunc/);
  // The sandwich's middle frame carries the function's whole cum and self.
  const callees = await page.evaluate(() => window.kprofFlames.callees.frames().find((f) => f.depth === 0));
  const callers = await page.evaluate(() => window.kprofFlames.callers.frames().find((f) => f.depth === 0));
  assert.equal(callees.name, name);
  assert.equal(callees.value, row.cum);
  assert.equal(callers.value, row.cum);
  // Callers are drawn above the function (flame), callees below it (icicle).
  const callerFrames = await page.evaluate(() => window.kprofFlames.callers.frames());
  assert.ok(callerFrames.some((f) => f.depth === 1 && f.y < callers.y), "no caller above the function");
  await screenshot(page, "explore-sandwich");

  // Icicle: the root row moves from the bottom to the top.
  const rootY = async () => page.evaluate(() => window.kprofFlame.frames().find((f) => f.name === "root").y);
  assert.ok((await rootY()) > 0);
  await page.click('button[data-mode="icicle"]');
  assert.equal(await page.getAttribute('canvas.flame[data-id="main"]', "data-mode"), "icicle");
  assert.equal(await rootY(), 0);
  assert.match(page.url(), /mode=icicle/);
  await screenshot(page, "explore-icicle");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: dragging across the timeline narrows the range to the profiles under it", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  const box = await page.locator("svg.timeline").boundingBox();
  // The last half hour of the hour: only v2's uploads (25..10 minutes ago).
  await page.mouse.move(box.x + box.width * 0.55, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.99, box.y + 20, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL((u) => !u.searchParams.get("from").startsWith("now"));
  await page.waitForSelector('main[data-state="ready"] canvas.flame[data-id="main"][data-drawn]');
  assert.equal(Number(await page.getAttribute("p.summary", "data-merged")), uploads.v2);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: the pprof download and the go tool pprof command give the API's top function", async () => {
  const page = await newPage(browser);
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  const top = await api("/api/v1/merge", { service: "shop", type: "cpu", from: "now-1h", to: "now", format: "top", limit: "5" });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('button[data-action="download-pprof"]')]);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "kprof-ui-dl-")), download.suggestedFilename());
  await download.saveAs(file);
  assert.equal(download.suggestedFilename(), "shop-cpu.pb.gz");
  assert.equal(pprofTop(file)[0].name, top.rows[0].name);
  // The command shown is runnable: the same URL, read by go tool pprof itself.
  const command = await page.textContent('[data-command="go-tool-pprof"]');
  const m = /^go tool pprof -http=: '([^']+)'$/.exec(command);
  assert.ok(m, command);
  assert.equal(pprofTop(m[1])[0].name, top.rows[0].name);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("diff: v1 against v2 shows main.regressedFunc grown, in red, and the diff pprof agrees", async () => {
  const page = await newPage(browser);
  const q = new URLSearchParams({
    view: "diff", service: "shop", type: "cpu", base_query: '{version="v1"}', base_from: "now-1h", base_to: "now",
    query: '{version="v2"}', from: "now-1h", to: "now",
  });
  await page.goto(`${server.url}/?${q}`);
  await page.waitForSelector('main[data-state="ready"]');
  await page.waitForSelector('canvas.flame[data-id="main"][data-drawn]');
  assert.equal(await page.textContent("nav a.active"), "Diff");
  const diff = await api("/api/v1/diff", { service: "shop", type: "cpu", base_query: '{version="v1"}', base_from: "now-1h", query: '{version="v2"}', from: "now-1h", limit: "20" });
  const grown = [...diff.rows].sort((a, b) => b.delta_flat - a.delta_flat)[0];
  assert.equal(grown.name, "main.regressedFunc");
  const firstRow = await page.$eval("table.changes tbody tr", (tr) => ({ name: tr.dataset.name, cls: tr.className }));
  assert.deepEqual(firstRow, { name: diff.rows[0].name, cls: diff.rows[0].delta_flat > 0 ? "grew" : "shrank" });
  assert.equal(Number(await page.getAttribute("p.summary", "data-base-profiles")), uploads.v1);
  // The grown function's frame is red.
  const colour = await page.evaluate((name) => {
    const canvas = document.querySelector('canvas.flame[data-id="main"]');
    const f = window.kprofFlame.frames().filter((x) => x.name === name).sort((a, b) => b.w - a.w)[0];
    const ratio = canvas.width / canvas.clientWidth;
    return [...canvas.getContext("2d").getImageData(Math.round((f.x + 2) * ratio), Math.round((f.y + 3) * ratio), 1, 1).data];
  }, grown.name);
  assert.ok(colour[0] > colour[1] + 60 && colour[0] > colour[2] + 60, `not red: ${colour}`);
  await screenshot(page, "diff");
  // Clicking a change zooms the graph to it.
  await page.click(`table.changes tr[data-name="${grown.name}"]`);
  assert.equal(await page.getAttribute('canvas.flame[data-id="main"]', "data-zoom"), grown.name);

  // The diff as pprof: go tool pprof sees the grown function with a positive flat.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('button[data-action="download-pprof"]')]);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "kprof-ui-dl-")), download.suggestedFilename());
  await download.saveAs(file);
  const rows = pprofTop(file);
  const regressed = rows.find((r) => r.name === grown.name);
  assert.ok(regressed && !regressed.flat.startsWith("-"), JSON.stringify(rows));
  // The command is go tool pprof's own -diff_base over the two merge URLs.
  const command = await page.textContent('[data-command="go-tool-pprof"]');
  const m = /^go tool pprof -http=: -normalize -diff_base '([^']+)' '([^']+)'$/.exec(command);
  assert.ok(m, command);
  const out = execFileSync("go", ["tool", "pprof", "-top", "-normalize", "-diff_base", m[1], m[2]], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  assert.match(out, /main\.regressedFunc/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("explore: the form sets service, value and range; a bad selector gets the server's error", async () => {
  const page = await newPage(browser);
  // "all services" stays all services (an empty service in the URL).
  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  await page.selectOption('form.selection select[name="service"]', "");
  await page.click('form.selection button[type="submit"]');
  await page.waitForURL(/service=(&|$)/);
  await page.waitForSelector('main[data-state="ready"] canvas.flame[data-id="main"][data-drawn]');
  assert.equal(await page.inputValue('form.selection select[name="service"]'), "");
  assert.equal(Number(await page.getAttribute("p.summary", "data-merged")), uploads.v1 + uploads.v2);

  await openExplore(page, "service=shop&type=cpu&from=now-1h&to=now");
  await page.selectOption('form.selection select[name="sample_index"]', "samples");
  await page.selectOption('form.selection select[name="preset"]', "now-15m");
  await page.click('form.selection button[type="submit"]');
  await page.waitForURL(/from=now-15m/);
  await page.waitForSelector('main[data-state="ready"] canvas.flame[data-id="main"][data-drawn]');
  assert.match(page.url(), /sample_index=samples/);
  assert.match(await page.textContent("p.summary"), / samples · /);
  // v2's uploads 15 and 10 minutes ago are the ones in the last 15 minutes (or just 10).
  const merged = Number(await page.getAttribute("p.summary", "data-merged"));
  assert.ok(merged >= 1 && merged <= 2, `merged ${merged}`);
  assert.deepEqual(page.problems, []);

  // A label picker narrows the selector to one value and shows it at once.
  await page.goto(`${server.url}/?view=explore&service=shop&type=cpu&from=now-1h&to=now`);
  await page.waitForSelector('main[data-state="ready"] select[data-label="version"]');
  await page.selectOption('select[data-label="version"]', "v2");
  await page.waitForURL(/query=%7Bversion%3D%22v2%22%7D/);
  await page.waitForSelector('main[data-state="ready"] canvas.flame[data-id="main"][data-drawn]');
  assert.equal(Number(await page.getAttribute("p.summary", "data-merged")), uploads.v2);
  assert.equal(await page.inputValue('form.selection input[name="query"]'), '{version="v2"}');
  assert.equal(await page.inputValue('select[data-label="version"]'), "v2");
  // Top table rows work from the keyboard.
  await page.focus("table.top tbody tr");
  await page.keyboard.press("Enter");
  await page.waitForSelector("code[data-focus]");
  assert.deepEqual(page.problems, []);

  await page.fill('form.selection input[name="query"]', '{version=~"("}');
  await page.click('form.selection button[type="submit"]');
  await page.waitForSelector('main[data-state="ready"] .error');
  assert.match(await page.textContent(".error"), /HTTP 400.*query/);
  // The form stays, with what was typed, so it can be corrected.
  assert.equal(await page.inputValue('form.selection input[name="query"]'), '{version=~"("}');
  for (const problem of page.problems) assert.match(problem, /400/);
  await page.close();
});

test("explore: a real 21,000-node profile draws and zooms", async () => {
  // The Go workload's widetree mode: 16,384 distinct allocation stacks.
  const dir = mkdtempSync(path.join(os.tmpdir(), "kprof-ui-wide-"));
  try {
    execFileSync(path.join(testdata, "workload"), ["-gen-dir", dir, "-gen-kind", "widetree"], { timeout: 60_000 });
    const r = await fetch(`${server.url}/api/v1/profiles?service=wide&type=allocs`, {
      method: "POST", body: readFileSync(path.join(dir, "widetree.pb.gz")),
    });
    assert.equal(r.status, 201, await r.text());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const page = await newPage(browser);
  await openExplore(page, "service=wide&type=allocs");
  const stats = await page.evaluate(() => window.kprofFlame.stats());
  assert.ok(stats.nodes > 20000, `only ${stats.nodes} nodes`);
  assert.ok(stats.drawn > 500, `only ${stats.drawn} frames drawn`);
  // The timeline shows the value the graph shows (allocs profiles default to alloc_space).
  assert.match(await page.textContent("figure.timeline-figure figcaption"), /bars: alloc_space per/);
  assert.match(await page.textContent("p.summary"), / alloc_space · /);
  const at = await page.evaluate(() => window.kprofFlame.frameCenter("main.wideB"));
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction(() => document.querySelector('canvas.flame[data-id="main"]').dataset.zoom === "main.wideB");
  assert.ok(Number(await page.getAttribute('canvas.flame[data-id="main"]', "data-drawn")) > stats.drawn / 4);
  await screenshot(page, "explore-widetree");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("diff: without a baseline that holds profiles the page says so, without errors", async () => {
  const page = await newPage(browser);
  // The default baseline is the hour before the last: nothing was uploaded then.
  await page.goto(`${server.url}/?view=diff&service=shop&type=cpu`);
  await page.waitForSelector('main[data-state="ready"]');
  assert.match(await page.textContent('[data-empty="diff"]'), /No cpu profiles in the baseline/);
  await page.goto(`${server.url}/?view=explore&service=shop&type=cpu&from=now-7d&to=now-1d`);
  await page.waitForSelector('main[data-state="ready"] [data-empty="selection"]');
  assert.deepEqual(page.problems, []);
  await page.close();
});
