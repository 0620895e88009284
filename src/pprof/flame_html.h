// Flame graphs of a FlameTree for people to look at: an interactive HTML page and a
// static SVG.
//
// The HTML page is one self-contained file: inline CSS and JavaScript, no fonts,
// scripts or styles from anywhere else (a Content-Security-Policy forbids them), so
// it works offline from file://. It draws on a canvas (frames under half a pixel are
// skipped, so trees of tens of thousands of nodes stay smooth), toggles between
// flame (root at the bottom) and icicle (root at the top), zooms into a clicked
// frame (breadcrumbs, the reset button or Escape zoom out), highlights frames whose
// name matches a case-insensitive regular expression (a plain substring when the
// text is not a valid expression) with the matched share of the total, and shows
// each frame's name, total and self values in the tree's unit on hover.
//
// The tree travels inside the page as JSON in
// <script type="application/json" id="kprof-data">:
//   {"version": 1, "sample_type": "cpu", "sample_unit": "nanoseconds",
//    "total": <root total>, "full_node_count": N, "other_nodes": K,
//    "names": ["root", …],
//    "nodes": {"parent": [-1, 0, …], "name": [0, …], "self": […], "total": […]}}
// Nodes are in depth-first preorder with children heaviest first (the order of
// FlameNode::children), so every parent precedes its children; the root is node 0
// with parent -1. "</" is written as "<\/", "<!--" as "\u003c!--" and U+2028/2029
// as escapes, so no function name can end the script element early; bytes that are
// not UTF-8 become U+FFFD.
//
// The SVG is 1200 px wide with 16 px frames in flame orientation. Frames narrower
// than 0.1% of the width are left out (their weight still shows in their parent's
// width); each frame is a <g> whose <title> gives the full name and values as a
// browser tooltip.
//
// Thread-safety: functions over values.
#pragma once

#include <string>

#include "pprof/flame.h"

namespace kprof::pprof {

struct FlameRenderOptions {
  std::string title;     // page heading; "" = "kprof flame graph"
  std::string subtitle;  // one line under the title, e.g. "cpu, 3.2s total, 412 nodes"
  bool icicle = false;   // HTML only: open with the root at the top (the viewer toggles)
};

std::string RenderFlameHtml(const FlameTree& tree, const FlameRenderOptions& options);

std::string RenderFlameSvg(const FlameTree& tree, const FlameRenderOptions& options);

}  // namespace kprof::pprof
