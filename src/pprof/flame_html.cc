#include "pprof/flame_html.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "pprof/units.h"

namespace kprof::pprof {

namespace {

constexpr std::string_view kDefaultTitle = "kprof flame graph";
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";         // U+2026

// Returns `s` as valid UTF-8 holding only characters XML 1.0 allows: malformed
// bytes and forbidden control characters become U+FFFD, so SVG and HTML built from
// profile names always parse.
std::string XmlSafeUtf8(std::string_view s) {
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (lead < 0x80) {
      cp = lead, len = 1;
    } else if ((lead & 0xE0) == 0xC0) {
      cp = lead & 0x1F, len = 2;
    } else if ((lead & 0xF0) == 0xE0) {
      cp = lead & 0x0F, len = 3;
    } else if ((lead & 0xF8) == 0xF0) {
      cp = lead & 0x07, len = 4;
    }
    bool decoded = len != 0 && i + len <= s.size();
    for (size_t k = 1; decoded && k < len; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      decoded = (cont & 0xC0) == 0x80;
      cp = (cp << 6) | (cont & 0x3F);
    }
    decoded =
        decoded && cp >= kMinForLength[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!decoded) {
      out += kReplacementChar;
      ++i;
      continue;
    }
    const bool xml_char =
        cp >= 0x20 ? cp != 0xFFFE && cp != 0xFFFF : cp == '\t' || cp == '\n' || cp == '\r';
    if (xml_char) {
      out.append(s.substr(i, len));
    } else {
      out += kReplacementChar;
    }
    i += len;
  }
  return out;
}

// Escapes markup characters of text that is already XML-safe UTF-8.
std::string MarkupEscaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapedText(std::string_view s) { return MarkupEscaped(XmlSafeUtf8(s)); }

// The first `max_chars` characters of UTF-8 `s`, the last one an ellipsis when `s` is
// longer; "" when not even two characters and the ellipsis fit.
std::string TruncatedToChars(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars <= max_chars) return s;
  if (max_chars < 3) return "";
  const size_t keep = max_chars - 1;
  size_t end = 0;
  for (size_t kept = 0; end < s.size(); ++end) {
    if ((static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) continue;
    if (kept == keep) break;
    ++kept;
  }
  return s.substr(0, end) + std::string(kEllipsis);
}

// A warm colour (red to yellow) that depends only on the name, so a function keeps
// its colour across renders. The page's script computes the same hash over UTF-16
// code units, which agrees with this one for ASCII names.
std::string WarmColour(std::string_view name) {
  uint32_t h = 0x811c9dc5;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x01000193;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "hsl(%u,%u%%,%u%%)", h % 55, 65 + (h >> 8) % 25,
                55 + (h >> 16) % 12);
  return buf;
}

constexpr std::string_view kOtherColour = "hsl(0,0%,72%)";

std::string Fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

std::string TrimmedPercentage(int64_t value, int64_t total) {
  std::string p = Percentage(value, total);
  return p.substr(p.find_first_not_of(' '));
}

struct PreorderNode {
  uint32_t node;   // index into FlameTree::nodes
  int64_t parent;  // position of the parent in the preorder; -1 for the root
};

// The tree's nodes in depth-first preorder, children in FlameNode::children order.
// Children out of range or reached twice (a malformed tree) are skipped.
std::vector<PreorderNode> Preorder(const FlameTree& tree) {
  std::vector<PreorderNode> order;
  if (tree.nodes.empty()) return order;
  order.reserve(tree.nodes.size());
  std::vector<bool> seen(tree.nodes.size());
  std::vector<PreorderNode> stack = {{0, -1}};
  while (!stack.empty()) {
    PreorderNode top = stack.back();
    stack.pop_back();
    if (top.node >= tree.nodes.size() || seen[top.node]) continue;
    seen[top.node] = true;
    const auto position = static_cast<int64_t>(order.size());
    order.push_back(top);
    const std::vector<uint32_t>& children = tree.nodes[top.node].children;
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back({*it, position});
  }
  return order;
}

const std::string& NameOf(const FlameTree& tree, const FlameNode& node) {
  static const std::string kUnknown = "?";
  return node.name < tree.names.size() ? tree.names[node.name] : kUnknown;
}

// JSON that is safe inside a <script> element: "</" cannot close it, "<!--" cannot
// switch the HTML tokenizer into its escaped script states, and U+2028/2029 are
// escaped for consumers that treat them as line ends.
std::string ScriptSafe(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 64);
  for (size_t i = 0; i < json.size(); ++i) {
    std::string_view rest = std::string_view(json).substr(i);
    if (rest.starts_with("</")) {
      out += "<\\/";
      ++i;
    } else if (rest.starts_with("<!--")) {
      out += "\\u003c";
    } else if (rest.starts_with("\xE2\x80\xA8")) {
      out += "\\u2028";
      i += 2;
    } else if (rest.starts_with("\xE2\x80\xA9")) {
      out += "\\u2029";
      i += 2;
    } else {
      out += json[i];
    }
  }
  return out;
}

std::string PageData(const FlameTree& tree) {
  std::vector<PreorderNode> order = Preorder(tree);
  nlohmann::json parent = nlohmann::json::array();
  nlohmann::json name = nlohmann::json::array();
  nlohmann::json self = nlohmann::json::array();
  nlohmann::json total = nlohmann::json::array();
  for (const PreorderNode& p : order) {
    const FlameNode& node = tree.nodes[p.node];
    parent.push_back(p.parent);
    name.push_back(node.name < tree.names.size() ? node.name : 0);
    self.push_back(node.self);
    total.push_back(node.total);
  }
  nlohmann::json doc = {
      {"version", 1},
      {"sample_type", tree.sample_type},
      {"sample_unit", tree.sample_unit},
      {"total", tree.total},
      {"full_node_count", tree.full_node_count},
      {"other_nodes", tree.other_nodes},
      {"names", tree.names},
      {"nodes",
       {{"parent", std::move(parent)},
        {"name", std::move(name)},
        {"self", std::move(self)},
        {"total", std::move(total)}}},
  };
  // Names are not guaranteed UTF-8; replacing bad bytes keeps dump() from throwing.
  return ScriptSafe(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

constexpr std::string_view kPageCss = R"CSS(
:root { --fg: #1f2328; --muted: #636c76; --line: #d8dee4; --accent: #0969da; --match: #8250df; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; overflow: hidden; background: #fff; color: var(--fg);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { flex: none; padding: 10px 14px 6px; border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 16px; font-weight: 600; }
.subtitle { color: var(--muted); }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin-top: 8px; }
#search { width: 300px; padding: 4px 8px; font: inherit; border: 1px solid #afb8c1; border-radius: 5px; }
#search.literal { border-color: #bf8700; }
#match { color: var(--match); font-weight: 600; }
button { font: inherit; padding: 3px 10px; border: 1px solid #afb8c1; border-radius: 5px;
  background: #f6f8fa; color: inherit; cursor: pointer; }
button:disabled { cursor: default; opacity: .5; }
label { cursor: pointer; user-select: none; }
.hint { margin-left: auto; color: var(--muted); }
#crumbs { margin-top: 6px; min-height: 20px; max-height: 44px; overflow: auto; color: var(--muted); }
#crumbs button { max-width: 22em; padding: 0 3px; border: 0; background: none; color: var(--accent);
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
#crumbs button:disabled { color: var(--fg); opacity: 1; font-weight: 600; }
#chart { flex: none; margin: 8px 14px 10px; overflow-x: hidden; overflow-y: auto; }
#flame { display: block; position: sticky; top: 0; }
#empty { padding: 40px 14px; color: var(--muted); }
#tip { position: fixed; z-index: 10; max-width: 600px; padding: 6px 9px; pointer-events: none;
  background: rgba(255, 255, 255, .97); border: 1px solid #afb8c1; border-radius: 5px;
  box-shadow: 0 3px 10px rgba(0, 0, 0, .15); font-size: 12px; }
#tip .name { margin-bottom: 3px; font-weight: 600; word-break: break-all;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
#tip .muted { color: var(--muted); }
)CSS";

// The viewer. Nodes arrive in preorder, so a subtree is the index range
// [i, end[i]) and one forward pass computes depths and x offsets. Each draw walks
// the zoomed subtree, skipping whole subtrees narrower than half a pixel, and paints
// only the rows inside the scrolled viewport; the canvas stays viewport-sized.
constexpr std::string_view kPageJs = R"JS(
(function () {
  'use strict';
  var FRAME_H = 18, MIN_WIDTH = 0.5, LABEL_MIN = 22;
  var FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
  var MATCH_COLOUR = 'hsl(268,62%,68%)', OTHER_COLOUR = 'hsl(0,0%,72%)';

  var data = JSON.parse(document.getElementById('kprof-data').textContent);
  var names = data.names, nodes = data.nodes, N = nodes.parent.length;
  var parent = Int32Array.from(nodes.parent), nameOf = Int32Array.from(nodes.name);
  var self = Float64Array.from(nodes.self), total = Float64Array.from(nodes.total);
  var depth = new Int32Array(N), xs = new Float64Array(N), cursor = new Float64Array(N);
  var end = new Int32Array(N), maxDepth = 0, i, p;
  for (i = 0; i < N; i++) {
    p = parent[i];
    if (p >= 0) { depth[i] = depth[p] + 1; xs[i] = cursor[p]; cursor[p] += total[i]; }
    cursor[i] = xs[i];
    if (depth[i] > maxDepth) maxDepth = depth[i];
  }
  for (i = N - 1; i >= 0; i--) {
    if (end[i] < i + 1) end[i] = i + 1;
    p = parent[i];
    if (p >= 0 && end[p] < end[i]) end[p] = end[i];
  }
  var rootTotal = N ? total[0] : 0;

  // Units as pprof scales them: the largest unit in which the value is at least 1.
  var FAMILIES = [
    { units: [['B', 1], ['kB', 1024], ['MB', 1048576], ['GB', 1073741824],
              ['TB', 1099511627776], ['PB', 1125899906842624]],
      aliases: { b: 1, byte: 1, kb: 1024, kbyte: 1024, kilobyte: 1024, mb: 1048576,
                 mbyte: 1048576, megabyte: 1048576, gb: 1073741824, gbyte: 1073741824,
                 gigabyte: 1073741824 } },
    { units: [['ns', 1], ['us', 1e3], ['ms', 1e6], ['s', 1e9], ['hrs', 3.6e12]],
      aliases: { ns: 1, nanosecond: 1, us: 1e3, '\u03bcs': 1e3, microsecond: 1e3, ms: 1e6,
                 millisecond: 1e6, s: 1e9, sec: 1e9, second: 1e9, hour: 3.6e12, hr: 3.6e12 } }
  ];
  var unit = String(data.sample_unit || '').toLowerCase(), family = null, unitFactor = 1;
  if (unit.length > 2 && unit.charAt(unit.length - 1) === 's') unit = unit.slice(0, -1);
  FAMILIES.forEach(function (f) {
    if (Object.prototype.hasOwnProperty.call(f.aliases, unit)) { family = f; unitFactor = f.aliases[unit]; }
  });
  function fixed2(v) { var s = v.toFixed(2); return s.slice(-3) === '.00' ? s.slice(0, -3) : s; }
  function formatValue(v) {
    if (!family) return Math.round(v).toLocaleString('en-US');
    if (v === 0) return '0';
    var scaled = v * unitFactor, best = family.units[0];
    family.units.forEach(function (u) { if (Math.abs(scaled) / u[1] >= 1) best = u; });
    return fixed2(scaled / best[1]) + best[0];
  }
  function percent(v, of) {
    if (!of) return '0%';
    var r = Math.abs(v / of) * 100;
    return (r >= 0.01 || r === 0 ? r.toFixed(2) : r.toPrecision(2)) + '%';
  }

  var colours = new Array(names.length);
  function colourOf(n) {
    if (colours[n] === undefined) {
      var s = names[n];
      if (s === 'other') { colours[n] = OTHER_COLOUR; return colours[n]; }
      var h = 0x811c9dc5;
      for (var k = 0; k < s.length; k++) { h ^= s.charCodeAt(k); h = Math.imul(h, 0x01000193) >>> 0; }
      colours[n] = 'hsl(' + (h % 55) + ',' + (65 + (h >>> 8) % 25) + '%,' + (55 + (h >>> 16) % 12) + '%)';
    }
    return colours[n];
  }

  var $ = function (id) { return document.getElementById(id); };
  var chart = $('chart'), canvas = $('flame'), spacer = $('spacer'), tip = $('tip');
  var searchBox = $('search'), matchInfo = $('match'), icicleBox = $('icicle');
  var resetButton = $('reset'), crumbs = $('crumbs');
  var ctx = canvas.getContext('2d');
  var zoom = 0, hover = -1, icicle = document.body.dataset.icicle === '1';
  var nameMatches = null, width = 0, viewHeight = 0, contentHeight = (maxDepth + 1) * FRAME_H;
  var rows = [], labelWidths = new Float64Array(names.length).fill(-1), drawPending = false;

  function rowY(d) { return icicle ? d * FRAME_H : (maxDepth - d) * FRAME_H; }

  function layout() {
    var header = document.querySelector('header');
    var room = window.innerHeight - header.offsetHeight - 20;
    chart.style.height = Math.max(FRAME_H * 3, Math.min(contentHeight, room)) + 'px';
    viewHeight = chart.clientHeight;
    width = chart.clientWidth;
    spacer.style.height = Math.max(0, contentHeight - viewHeight) + 'px';
    var dpr = window.devicePixelRatio || 1;
    canvas.style.width = width + 'px';
    canvas.style.height = viewHeight + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(viewHeight * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function fitLabel(n, room) {
    var full = names[n];
    ctx.font = FONT;
    if (labelWidths[n] < 0) labelWidths[n] = ctx.measureText(full).width;
    if (labelWidths[n] <= room) return full;
    var keep = Math.floor(full.length * room / labelWidths[n]);
    for (; keep >= 2; keep--) {
      var code = full.charCodeAt(keep - 1);
      var cut = code >= 0xd800 && code <= 0xdbff ? keep - 1 : keep;
      var text = full.slice(0, cut) + '\u2026';
      if (ctx.measureText(text).width <= room) return text;
    }
    return '';
  }

  function draw() {
    drawPending = false;
    var top = chart.scrollTop, bottom = top + viewHeight;
    ctx.clearRect(0, 0, width, viewHeight);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    rows = [];
    var hoverBox = null;
    function frame(n, x, w, context) {
      var y = rowY(depth[n]);
      if (y + FRAME_H <= top || y >= bottom) return;
      var d = depth[n];
      (rows[d] || (rows[d] = [])).push(n, x, w);
      y -= top;
      var matched = nameMatches && nameMatches[nameOf[n]];
      ctx.globalAlpha = context ? 0.55 : 1;
      ctx.fillStyle = matched ? MATCH_COLOUR : colourOf(nameOf[n]);
      ctx.fillRect(x, y, w > 2 ? w - 1 : w, FRAME_H - 1);
      if (w >= LABEL_MIN) {
        var label = fitLabel(nameOf[n], w - 8);
        if (label) { ctx.fillStyle = '#1f1f1f'; ctx.fillText(label, x + 4, y + FRAME_H / 2); }
      }
      ctx.globalAlpha = 1;
      if (n === hover) hoverBox = [x, y, w];
    }
    if (N && total[zoom] > 0) {
      for (var a = parent[zoom]; a >= 0; a = parent[a]) frame(a, 0, width, true);
      var scale = width / total[zoom], origin = xs[zoom], stop = end[zoom];
      for (var n = zoom; n < stop;) {
        var w = total[n] * scale;
        if (!(w >= MIN_WIDTH)) { n = end[n]; continue; }
        frame(n, (xs[n] - origin) * scale, w, false);
        n++;
      }
    }
    if (hoverBox) {
      ctx.strokeStyle = '#1f1f1f';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(hoverBox[0] + 0.75, hoverBox[1] + 0.75,
                     Math.max(0, hoverBox[2] - 2.5), FRAME_H - 2.5);
    }
    document.body.dataset.ready = '1';
  }

  function scheduleDraw() {
    if (!drawPending) { drawPending = true; window.requestAnimationFrame(draw); }
  }

  function frameAt(x, y) {
    var fromTop = Math.floor((y + chart.scrollTop) / FRAME_H);
    var d = icicle ? fromTop : maxDepth - fromTop, row = rows[d];
    if (!row) return -1;
    for (var k = 0; k < row.length; k += 3) {
      if (x >= row[k + 1] && x < row[k + 1] + row[k + 2]) return row[k];
    }
    return -1;
  }

  function addLine(parentEl, text, cls) {
    var div = document.createElement('div');
    div.textContent = text;
    if (cls) div.className = cls;
    parentEl.appendChild(div);
  }

  function showTip(n, clientX, clientY) {
    tip.textContent = '';
    addLine(tip, names[nameOf[n]], 'name');
    var inView = n >= zoom && n < end[zoom];
    var totalLine = 'Total: ' + formatValue(total[n]) + ' (' + percent(total[n], rootTotal) + ' of all';
    if (zoom !== 0 && inView) totalLine += ', ' + percent(total[n], total[zoom]) + ' of zoomed frame';
    addLine(tip, totalLine + ')');
    var selfLine = 'Self: ' + formatValue(self[n]) + ' (' + percent(self[n], rootTotal) + ' of all';
    if (zoom !== 0 && inView) selfLine += ', ' + percent(self[n], total[zoom]) + ' of zoomed frame';
    addLine(tip, selfLine + ')');
    addLine(tip, inView ? (n === zoom ? 'Zoomed frame' : 'Click to zoom in') : 'Click to zoom out',
            'muted');
    tip.hidden = false;
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = clientX + 14, topPos = clientY + 16;
    if (left + tw > window.innerWidth - 4) left = Math.max(4, clientX - tw - 14);
    if (topPos + th > window.innerHeight - 4) topPos = Math.max(4, clientY - th - 12);
    tip.style.left = left + 'px';
    tip.style.top = topPos + 'px';
  }

  function hideTip() { tip.hidden = true; }

  function updateCrumbs() {
    crumbs.textContent = '';
    var path = [];
    for (var a = zoom; a >= 0; a = parent[a]) path.push(a);
    path.reverse();
    if (path.length > 12) path = path.slice(0, 2).concat([-1], path.slice(-9));
    path.forEach(function (n, k) {
      if (k) crumbs.appendChild(document.createTextNode(' \u203a '));
      if (n < 0) { crumbs.appendChild(document.createTextNode('\u2026')); return; }
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = names[nameOf[n]];
      b.title = names[nameOf[n]];
      b.disabled = n === zoom;
      b.addEventListener('click', function () { setZoom(n); });
      crumbs.appendChild(b);
    });
    resetButton.disabled = zoom === 0;
  }

  function setZoom(n) {
    if (n < 0 || n >= N) return;
    zoom = n;
    hover = -1;
    hideTip();
    updateCrumbs();
    scheduleDraw();
  }

  function applySearch() {
    var q = searchBox.value;
    searchBox.classList.remove('literal');
    if (!q) { nameMatches = null; matchInfo.textContent = ''; scheduleDraw(); return; }
    var re;
    try {
      re = new RegExp(q, 'i');
    } catch (e) {
      re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      searchBox.classList.add('literal');
    }
    nameMatches = new Uint8Array(names.length);
    for (var k = 0; k < names.length; k++) nameMatches[k] = re.test(names[k]) ? 1 : 0;
    // A match below a match (recursion) is already counted in its ancestor.
    var covered = new Uint8Array(N), sum = 0;
    for (var n = 0; n < N; n++) {
      var up = parent[n];
      covered[n] = up >= 0 && (covered[up] || nameMatches[nameOf[up]]) ? 1 : 0;
      if (nameMatches[nameOf[n]] && !covered[n]) sum += total[n];
    }
    matchInfo.textContent = 'Matched ' + percent(sum, rootTotal) + ' of total (' + formatValue(sum) + ')';
    scheduleDraw();
  }

  function scrollToRoot() { chart.scrollTop = icicle ? 0 : contentHeight; }

  canvas.addEventListener('mousemove', function (e) {
    var n = frameAt(e.offsetX, e.offsetY);
    canvas.style.cursor = n >= 0 ? 'pointer' : 'default';
    if (n !== hover) { hover = n; scheduleDraw(); }
    if (n >= 0) showTip(n, e.clientX, e.clientY); else hideTip();
  });
  canvas.addEventListener('mouseleave', function () {
    hideTip();
    if (hover !== -1) { hover = -1; scheduleDraw(); }
  });
  canvas.addEventListener('click', function (e) {
    var n = frameAt(e.offsetX, e.offsetY);
    if (n >= 0 && n !== zoom) setZoom(n);
  });
  chart.addEventListener('scroll', function () { hideTip(); scheduleDraw(); });
  window.addEventListener('resize', function () { layout(); scheduleDraw(); });
  resetButton.addEventListener('click', function () { setZoom(0); });
  icicleBox.addEventListener('change', function () {
    icicle = icicleBox.checked;
    document.body.dataset.icicle = icicle ? '1' : '0';
    scrollToRoot();
    scheduleDraw();
  });
  searchBox.addEventListener('input', applySearch);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      if (zoom !== 0) setZoom(0);
      else if (searchBox.value) { searchBox.value = ''; applySearch(); }
      hideTip();
    } else if (e.key === '/' && document.activeElement !== searchBox) {
      e.preventDefault();
      searchBox.focus();
    }
  });

  icicleBox.checked = icicle;
  if (!N || !(rootTotal > 0)) {
    chart.hidden = true;
    $('empty').hidden = false;
    document.body.dataset.ready = '1';
    return;
  }
  layout();
  scrollToRoot();
  updateCrumbs();
  draw();
})();
)JS";

void AppendSvgFrame(const FlameTree& tree, const FlameNode& node, double x, double y, double w,
                    std::string* out) {
  const std::string name = XmlSafeUtf8(NameOf(tree, node));
  const std::string_view unit = tree.sample_unit;
  *out += "<g><title>";
  *out += MarkupEscaped(name);
  *out += "\ntotal ";
  *out += ScaledLabel(node.total, unit, "auto");
  *out += " (" + TrimmedPercentage(node.total, tree.total) + "), self ";
  *out += ScaledLabel(node.self, unit, "auto");
  *out += " (" + TrimmedPercentage(node.self, tree.total) + ")</title>";
  const bool other = name == FlameTree::kOtherName;
  *out += "<rect x=\"" + Fixed2(x) + "\" y=\"" + Fixed2(y) + "\" width=\"" +
          Fixed2(w > 2 ? w - 1 : w) + "\" height=\"15\" rx=\"2\" fill=\"" +
          (other ? std::string(kOtherColour) : WarmColour(name)) + "\"/>";
  // 11 px monospace glyphs are about 6.7 px wide; 3 px of padding on each side.
  constexpr double kCharWidth = 6.7;
  const auto max_chars = static_cast<size_t>(w > 6 ? (w - 6) / kCharWidth : 0);
  const std::string label = TruncatedToChars(name, max_chars);
  if (!label.empty()) {
    *out += "<text x=\"" + Fixed2(x + 3) + "\" y=\"" + Fixed2(y + 11.5) + "\">";
    *out += MarkupEscaped(label);
    *out += "</text>";
  }
  *out += "</g>\n";
}

}  // namespace

std::string RenderFlameHtml(const FlameTree& tree, const FlameRenderOptions& options) {
  const std::string title = EscapedText(options.title.empty() ? kDefaultTitle : options.title);
  std::string data = PageData(tree);
  std::string out;
  out.reserve(data.size() + kPageCss.size() + kPageJs.size() + 4096);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may load from anywhere: the page must work offline and leak nothing.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<link rel=\"icon\" href=\"data:,\">\n";
  out += "<title>" + title + "</title>\n<style>";
  out += kPageCss;
  out += "</style>\n</head>\n";
  out += options.icicle ? "<body data-icicle=\"1\">\n" : "<body data-icicle=\"0\">\n";
  out += "<header>\n<h1>" + title + "</h1>\n";
  if (!options.subtitle.empty()) {
    out += "<div class=\"subtitle\">" + EscapedText(options.subtitle) + "</div>\n";
  }
  out +=
      "<div class=\"controls\">\n"
      "<input id=\"search\" type=\"search\" placeholder=\"Search functions (regex)\" "
      "spellcheck=\"false\" autocomplete=\"off\" aria-label=\"Search functions\">\n"
      "<span id=\"match\"></span>\n"
      "<label><input type=\"checkbox\" id=\"icicle\"> Icicle</label>\n"
      "<button type=\"button\" id=\"reset\" disabled>Reset zoom</button>\n"
      "<span class=\"hint\">click: zoom &middot; Esc: reset &middot; /: search</span>\n"
      "</div>\n<nav id=\"crumbs\"></nav>\n</header>\n"
      "<div id=\"chart\"><canvas id=\"flame\"></canvas><div id=\"spacer\"></div></div>\n"
      "<div id=\"empty\" hidden>No samples.</div>\n"
      "<div id=\"tip\" hidden></div>\n"
      "<script type=\"application/json\" id=\"kprof-data\">";
  out += data;
  out += "</script>\n<script>";
  out += kPageJs;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

std::string RenderFlameSvg(const FlameTree& tree, const FlameRenderOptions& options) {
  constexpr double kWidth = 1200;
  constexpr double kMargin = 10;
  constexpr double kFrameHeight = 16;
  constexpr double kMinFrameWidth = kWidth * 0.001;

  struct Placed {
    uint32_t node;
    double x;
    double width;
    uint32_t depth;
  };
  std::vector<Placed> placed;
  uint32_t max_depth = 0;
  const int64_t root_total = tree.nodes.empty() ? 0 : tree.nodes[0].total;
  if (root_total > 0) {
    const double scale = (kWidth - 2 * kMargin) / static_cast<double>(root_total);
    std::vector<bool> seen(tree.nodes.size());
    std::vector<Placed> stack = {{0, kMargin, root_total * scale, 0}};
    while (!stack.empty()) {
      Placed top = stack.back();
      stack.pop_back();
      if (seen[top.node]) continue;
      seen[top.node] = true;
      placed.push_back(top);
      max_depth = std::max(max_depth, top.depth);
      // Children sit left to right from the parent's left edge; the parent's self
      // weight is the gap on the right. Pushed in reverse so they pop in order.
      std::vector<Placed> children;
      double x = top.x;
      for (uint32_t child : tree.nodes[top.node].children) {
        if (child >= tree.nodes.size()) continue;
        const double w = static_cast<double>(tree.nodes[child].total) * scale;
        if (w >= kMinFrameWidth) children.push_back({child, x, w, top.depth + 1});
        x += w;
      }
      stack.insert(stack.end(), children.rbegin(), children.rend());
    }
  }

  const bool has_subtitle = !options.subtitle.empty();
  const double frames_top = has_subtitle ? 56 : 38;
  const double height = frames_top + (max_depth + 1) * kFrameHeight + kMargin;
  const std::string title = EscapedText(options.title.empty() ? kDefaultTitle : options.title);

  std::string out;
  out.reserve(placed.size() * 240 + 1024);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"" + Fixed2(height) +
         "\" viewBox=\"0 0 1200 " + Fixed2(height) +
         "\" font-family=\"ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', "
         "monospace\" font-size=\"11\">\n";
  out += "<title>" + title + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#fdfdfd\"/>\n";
  out +=
      "<text x=\"600\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" "
      "font-family=\"system-ui, sans-serif\">" +
      title + "</text>\n";
  if (has_subtitle) {
    out +=
        "<text x=\"600\" y=\"42\" text-anchor=\"middle\" font-size=\"12\" fill=\"#555\" "
        "font-family=\"system-ui, sans-serif\">" +
        EscapedText(options.subtitle) + "</text>\n";
  }
  if (placed.empty()) {
    out += "<text x=\"600\" y=\"" + Fixed2(frames_top + 12) +
           "\" text-anchor=\"middle\" fill=\"#555\">No samples.</text>\n";
  }
  for (const Placed& p : placed) {
    const double y = frames_top + (max_depth - p.depth) * kFrameHeight;
    AppendSvgFrame(tree, tree.nodes[p.node], p.x, y, p.width, &out);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace kprof::pprof
