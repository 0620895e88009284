// The UI's pure logic, without a browser: web/src modules bundled by the build's esbuild
// and imported here. Selector editing, the API's time syntax, timeline steps, and the
// flame graph's data (flattening, outermost calls, sandwich trees, zoom paths).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const webDir = process.env.KPROF_WEB_DIR;
if (!webDir) throw new Error("KPROF_WEB_DIR (the build's web directory with node_modules) is not set");
const esbuild = createRequire(path.join(webDir, "package.json"))("esbuild");
const src = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "src");

async function load(file) {
  const out = await esbuild.build({ entryPoints: [path.join(src, file)], bundle: true, format: "esm", write: false, logLevel: "error" });
  return import("data:text/javascript;base64," + Buffer.from(out.outputFiles[0].text).toString("base64"));
}

const { withMatcher } = await load("controls.ts");
const { resolveTime, formatValue, formatSeconds, parseTime, percent } = await load("format.ts");
const { joinZoom, splitZoom } = await load("flame.ts");
const { stepFor } = await load("timeline.ts");
const { FlameData } = await load("flame_data.ts");

test("withMatcher adds, replaces and removes one label's matcher", () => {
  assert.equal(withMatcher("", "version", "v2"), '{version="v2"}');
  assert.equal(withMatcher('{namespace="prod"}', "version", "v2"), '{namespace="prod",version="v2"}');
  assert.equal(withMatcher('{version=~"v1|v3", pod="a"}', "version", "v2"), '{pod="a",version="v2"}');
  assert.equal(withMatcher('{version="v1",pod="a"}', "version", ""), '{pod="a"}');
  assert.equal(withMatcher('{version="v1"}', "version", ""), "");
  assert.equal(withMatcher('checkout{zone="a,b"}', "pod", 'x"y'), 'checkout{zone="a,b",pod="x\\"y"}');
  // A label whose name starts like another one is left alone.
  assert.equal(withMatcher('{versions="x"}', "version", "v2"), '{versions="x",version="v2"}');
});

test("resolveTime reads the API's time syntax", () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  assert.equal(resolveTime("now", now), now);
  assert.equal(resolveTime("now-1h", now), now - 3_600_000);
  assert.equal(resolveTime("-1h30m", now), now - 5_400_000);
  assert.equal(resolveTime("now-7d", now), now - 7 * 86_400_000);
  assert.equal(resolveTime("2026-11-22T10:00:00Z", now), Date.UTC(2026, 10, 22, 10));
  assert.equal(resolveTime("1700000000", now), 1_700_000_000_000);
  assert.equal(resolveTime("1700000000123", now), 1_700_000_000_123);
  assert.equal(resolveTime("tuesday", now), null);
  assert.equal(resolveTime("now+5m", now), now + 300_000);
  assert.equal(resolveTime("now-250ms", now), now - 250);
  assert.equal(resolveTime("1700000000.5", now), 1_700_000_000_500);
  assert.equal(resolveTime("170000000000", now), 170_000_000_000_000);  // 12 digits: seconds
  // Without a zone the server reads UTC, and so does the UI.
  assert.equal(resolveTime("2026-11-22T10:00:00", now), Date.UTC(2026, 10, 22, 10));
  assert.equal(parseTime("2026-11-22T10:00:00.123456789Z"), Date.UTC(2026, 10, 22, 10, 0, 0, 123));
});

test("stepFor gives about 100 buckets in readable steps", () => {
  assert.equal(stepFor(3_600_000), "1m");
  assert.equal(stepFor(15 * 60_000), "10s");
  assert.equal(stepFor(7 * 86_400_000), "2h");
  // However long the range, at most about 100 buckets (the server allows 10,000).
  const years = 56 * 365 * 86_400_000;
  const days = Number(stepFor(years).replace(/d$/, ""));
  assert.ok(years / (days * 86_400_000) <= 101, stepFor(years));
  assert.equal(formatSeconds(119.6), "2m0s");
  assert.equal(formatSeconds(59.7), "1m0s");
  assert.equal(formatValue(1.5e9, "nanoseconds"), "1.5s");
  assert.equal(formatValue(3 * 1024 * 1024, "bytes"), "3.0MiB");  // two significant digits
  assert.equal(percent(1, 8), "12.5%");
});

// root → a → b → a (recursion), root → c → b
const tree = {
  name: "root", value: 10, self: 0, children: [
    { name: "a", value: 6, self: 1, children: [
      { name: "b", value: 5, self: 2, children: [{ name: "a", value: 3, self: 3, children: [] }] }] },
    { name: "c", value: 4, self: 1, children: [{ name: "b", value: 3, self: 3, children: [] }] },
  ],
};
const meta = { sample_type: "cpu", unit: "nanoseconds", total: 10 };

test("FlameData flattens in preorder with subtree ranges and left edges", () => {
  const d = new FlameData(tree, meta);
  assert.equal(d.count, 6);
  assert.deepEqual([...Array(d.count).keys()].map((i) => d.name(i)), ["root", "a", "b", "a", "c", "b"]);
  assert.deepEqual([...d.end], [6, 4, 4, 4, 6, 6]);
  assert.deepEqual([...d.offset], [0, 0, 0, 0, 6, 6]);
  assert.deepEqual([...d.depth], [0, 1, 2, 3, 1, 2]);
  assert.equal(d.maxDepth, 3);
  // Recursion counts once: a's cum is its outer call's total.
  assert.deepEqual(d.outermost("a"), [1]);
  assert.deepEqual(d.outermost("b"), [2, 5]);
  assert.deepEqual(d.pathOf(3), ["a", "b", "a"]);
  assert.equal(d.find(["c", "b"]), 5);
  assert.equal(d.find(["c", "nope"]), 4);  // as deep as the path still exists
});

test("sandwich trees: callers and callees of b over every path", () => {
  const d = new FlameData(tree, meta);
  const callees = d.calleesTree("b");
  assert.equal(callees.value, 8);
  assert.equal(callees.self, 5);
  assert.deepEqual(callees.children.map((c) => [c.name, c.value]), [["a", 3]]);
  const callers = d.callersTree("b");
  assert.equal(callers.value, 8);
  assert.equal(callers.self, 5);
  assert.deepEqual(callers.children.map((c) => [c.name, c.value]), [["a", 5], ["c", 3]]);
  // A recursive function called from the root: cum counts the outer call once, self
  // (its flat value) counts every level.
  const a = d.callersTree("a");
  assert.equal(a.value, 6);
  assert.equal(a.self, 4);
  assert.ok(a.self <= a.value);
});

test("zoom paths survive names holding ';' and a URL round trip", () => {
  const path = ["main.(*T).serve", "x;y", "100%"];
  const text = joinZoom(path);
  assert.deepEqual(splitZoom(new URLSearchParams(new URLSearchParams({ zoom: text }).toString()).get("zoom")), path);
  assert.deepEqual(splitZoom(undefined), []);
});

test("negative values lay out as zero wide instead of overlapping", () => {
  const d = new FlameData({
    name: "root", value: 5, self: 0, children: [
      { name: "neg", value: -3, self: -3, children: [] },
      { name: "pos", value: 8, self: 8, children: [] },
    ],
  }, meta);
  assert.deepEqual([...d.width], [5, 0, 8]);
  assert.deepEqual([...d.offset], [0, 0, 0]);
});

test("diff trees are as wide as both sides together", () => {
  const diff = {
    name: "root", value: 10, self: 0, base: 20, base_self: 0, children: [
      { name: "grew", value: 8, self: 8, base: 4, base_self: 4, children: [] },
      { name: "gone", value: 0, self: 0, base: 16, base_self: 16, children: [] },
    ],
  };
  const d = new FlameData(diff, { ...meta, base_total: 20, base_scale: 0.5 });
  assert.ok(d.isDiff);
  assert.deepEqual([...d.width], [20, 10, 8]);
  assert.deepEqual([...d.offset], [0, 0, 10]);
});
