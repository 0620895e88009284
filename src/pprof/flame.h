// Call trees for flame graphs, folded stacks and the `tree` report.
//
// A FlameTree is the prepared profile's samples arranged root → leaf: each node is a
// frame (named at the report's granularity, as in `top`) reached through one
// particular call path, with `self` (samples ending here) and `total` (samples
// passing through). Recursion is kept as repeated frames, as flame graphs show it.
//
// Large trees are cut to a node budget: the heaviest paths are kept, and the
// children a kept node loses are summed into one child named "other", so every
// parent's total still equals its self plus its children's totals.
//
// Thread-safety: functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pprof/report.h"

namespace kprof::pprof {

struct FlameNode {
  uint32_t name = 0;  // index into FlameTree::names
  int64_t self = 0;
  int64_t total = 0;
  uint32_t parent = kNoIndex;
  std::vector<uint32_t> children;  // heaviest first
};

struct FlameTree {
  std::vector<std::string> names;  // names[0] == "root"
  std::vector<FlameNode> nodes;    // nodes[0] is the root
  std::string sample_type;
  std::string sample_unit;
  int64_t total = 0;           // the root's total
  size_t full_node_count = 0;  // nodes before cutting to the budget
  size_t other_nodes = 0;      // "other" nodes added by the cut

  static constexpr std::string_view kOtherName = "other";
};

// Builds the tree of `prepared` (already filtered and aggregated). `max_nodes` = 0
// keeps every node.
FlameTree BuildFlameTree(const PreparedProfile& prepared, size_t max_nodes = 0);

// d3-flame-graph style JSON: {"name","value","self","children":[…]}, with a
// "meta" object on the root (sample type, unit, node counts).
std::string FlameTreeToJson(const FlameTree& tree);

// Two trees joined by call path, for red/green diff flame graphs: each node is
// {"name","value","self","base","base_self","children"} with the comparison's
// values and the base's (0 where a path exists on one side only); children are
// ordered by the larger of value and base·base_scale. The root's "meta" carries
// both totals and `base_scale`, the factor that puts base values on the
// comparison's scale (see BaseScale in diff.h). Each side keeps its own cut:
// "other" nodes are joined like any frame.
std::string DiffFlameTreeToJson(const FlameTree& base, const FlameTree& comparison,
                                double base_scale);

// Brendan Gregg's folded format: "root;caller;callee value" per distinct stack,
// sorted by stack. Values are of the prepared profile's sample index.
std::string FoldedStacks(const PreparedProfile& prepared);

// Frame names of each location, outermost (caller) first, at the prepared
// profile's granularity. Names match those `top` prints.
std::vector<std::vector<std::string>> LocationFrameNames(const Profile& profile);

}  // namespace kprof::pprof
