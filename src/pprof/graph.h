// Graph: a profile's samples folded into nodes (one per function, file, line or
// address, depending on the granularity applied beforehand) with flat and
// cumulative values, and caller → callee edges. This is what `top` ranks.
//
// Semantics follow `go tool pprof` so that kprof's top table equals its output:
//   * frames are visited root to leaf, inlined frames included; a node's cum is
//     counted once per sample however often it recurs;
//   * the leaf frame gets the flat value, unless it was dropped (see kept nodes);
//   * an edge is "inline" when every occurrence of it enters an inlined frame.
//
// Thread-safety: a Graph is a plain value; building one reads the profile only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pprof/profile.h"

namespace kprof::pprof {

// What identifies a node. Views point into the profile's strings, except `file`,
// which is a cleaned path owned by the graph's string pool.
struct NodeInfo {
  std::string_view name;
  std::string_view file;
  std::string_view objfile;
  int64_t lineno = 0;
  int64_t start_line = 0;
  uint64_t address = 0;

  bool operator==(const NodeInfo&) const = default;
  // pprof's printable name: "[address] [function] [file[:line]]", or
  // "[objfile]", or "<unknown>".
  std::string PrintableName() const;
};

struct NodeInfoHash {
  size_t operator()(const NodeInfo& n) const;
};

struct GraphEdge {
  int64_t weight = 0;
  bool inline_call = true;
  bool residual = false;
};

struct GraphNode {
  NodeInfo info;
  int64_t flat = 0;
  int64_t cum = 0;
  // Callers: index of the calling node → edge.
  std::unordered_map<uint32_t, GraphEdge> in;
};

using NodeSet = std::unordered_set<NodeInfo, NodeInfoHash>;

struct GraphOptions {
  // Sample value to use: values[sample_index].
  size_t sample_index = 0;
  // Keep only nodes in this set (nullptr: keep all). Frames of other nodes are
  // skipped, and edges across them are marked residual.
  const NodeSet* kept = nullptr;
  // Keep object file names in node identity (pprof does for disassembly only).
  bool obj_names = false;
};

class Graph {
 public:
  std::vector<GraphNode> nodes;

  static Graph Build(const Profile& profile, const GraphOptions& options);

  // Sum of flat values.
  int64_t FlatSum() const;
  // Nodes whose |cum| is at least `cutoff`.
  NodeSet NodesAtLeast(int64_t cutoff) const;
  // Removes edges lighter than `cutoff`; returns how many were removed.
  int TrimEdgesBelow(int64_t cutoff);
  // pprof's "flat, then name, then cum" order.
  void SortByFlat();
  // "cum, then name, then flat" order.
  void SortByCum();
  // The first `n` nodes as a set (after sorting).
  NodeSet FirstNodes(size_t n) const;

 private:
  std::vector<std::unique_ptr<std::string>> owned_strings_;
  friend class GraphBuilder;
};

// Calls visit(location_index, node_infos) for each location, with one NodeInfo per
// line (leaf-most inlined frame first, as in the location), or one for a location
// without lines. Cleaned file names are owned by `pool`.
void ForEachLocationNodeInfos(
    const Profile& profile, bool obj_names, std::vector<std::unique_ptr<std::string>>* pool,
    const std::function<void(size_t, const std::vector<NodeInfo>&)>& visit);

}  // namespace kprof::pprof
