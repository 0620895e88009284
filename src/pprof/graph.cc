#include "pprof/graph.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>

#include "base/hash.h"
#include "base/paths.h"

namespace kprof::pprof {

namespace {

// pprof strips these build-sandbox prefixes from file names before showing them.
std::string_view TrimBuildPrefix(std::string_view path) {
  for (std::string_view prefix :
       {std::string_view("/proc/self/cwd/./"), std::string_view("/proc/self/cwd/")}) {
    if (path.substr(0, prefix.size()) == prefix) return path.substr(prefix.size());
  }
  return path;
}

// Go's fmt.Sprint of pprof's NodeInfo struct, the last tie-breaker of its sort.
std::string GoSprint(const NodeInfo& n) {
  return "{" + std::string(n.name) + "  " + std::to_string(n.address) + " " + std::string(n.file) +
         " " + std::to_string(n.start_line) + " " + std::to_string(n.lineno) + " " +
         std::string(n.objfile) + "}";
}

}  // namespace

std::string NodeInfo::PrintableName() const {
  std::string out;
  auto add = [&out](std::string_view part) {
    if (!out.empty()) out += ' ';
    out += part;
  };
  if (address != 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%016" PRIx64, address);
    add(buf);
  }
  if (!name.empty()) add(name);
  if (lineno != 0) {
    add(std::string(file) + ":" + std::to_string(lineno));
  } else if (!file.empty()) {
    add(file);
  } else if (!name.empty()) {
    // The name says it all.
  } else if (!objfile.empty()) {
    add("[" + std::string(BaseName(objfile)) + "]");
  } else {
    add("<unknown>");
  }
  return out;
}

size_t NodeInfoHash::operator()(const NodeInfo& n) const {
  uint64_t h = HashBytes(n.name);
  h = HashCombine(h, HashBytes(n.file));
  h = HashCombine(h, HashBytes(n.objfile));
  h = HashCombine(h, static_cast<uint64_t>(n.lineno));
  h = HashCombine(h, static_cast<uint64_t>(n.start_line));
  return HashCombine(h, n.address);
}

void ForEachLocationNodeInfos(
    const Profile& p, bool obj_names, std::vector<std::unique_ptr<std::string>>* pool,
    const std::function<void(size_t, const std::vector<NodeInfo>&)>& visit) {
  std::vector<std::string_view> cleaned(p.functions.size());
  std::vector<bool> done(p.functions.size(), false);
  auto cleaned_file = [&](uint32_t function) -> std::string_view {
    if (!done[function]) {
      done[function] = true;
      std::string_view raw = p.str(p.functions[function].filename);
      if (!raw.empty()) {
        pool->push_back(std::make_unique<std::string>(CleanPath(TrimBuildPrefix(raw))));
        cleaned[function] = *pool->back();
      }
    }
    return cleaned[function];
  };
  std::vector<NodeInfo> infos;
  for (size_t i = 0; i < p.locations.size(); ++i) {
    const Location& loc = p.locations[i];
    std::string_view objfile;
    if (loc.mapping != kNoIndex) objfile = p.str(p.mappings[loc.mapping].filename);
    infos.clear();
    if (loc.line_count == 0) {
      NodeInfo info;
      info.address = loc.address;
      info.objfile = objfile;
      infos.push_back(info);
    }
    for (const Line& line : p.LinesOf(loc)) {
      NodeInfo info;
      info.address = loc.address;
      if (line.function == kNoIndex) {
        info.objfile = objfile;
      } else {
        const Function& fn = p.functions[line.function];
        info.lineno = line.line;
        info.name = p.str(fn.name);
        info.file = cleaned_file(line.function);
        if (obj_names || info.name.empty()) {
          info.objfile = objfile;
          info.start_line = fn.start_line;
        }
      }
      infos.push_back(info);
    }
    visit(i, infos);
  }
}

class GraphBuilder {
 public:
  GraphBuilder(const Profile& p, const GraphOptions& o) : p_(p), o_(o) {}

  Graph Build() {
    CreateNodes();
    const size_t n = p_.num_values();
    std::vector<uint32_t> seen_stamp(graph_.nodes.size(), 0);
    std::vector<std::pair<uint32_t, uint32_t>> seen_edges;
    uint32_t stamp = 0;
    for (size_t si = 0; si < p_.samples.size(); ++si) {
      if (n == 0) break;
      int64_t w = p_.values[si * n + o_.sample_index];
      if (w == 0) continue;
      ++stamp;
      seen_edges.clear();
      const Sample& s = p_.samples[si];
      uint32_t parent = kNoIndex;
      bool residual = false;
      auto locations = p_.LocationsOf(s);
      for (size_t li = locations.size(); li-- > 0;) {
        const std::vector<uint32_t>& nodes = location_nodes_[locations[li]];
        for (size_t ni = nodes.size(); ni-- > 0;) {
          uint32_t node = nodes[ni];
          if (node == kNoIndex) {
            residual = true;
            continue;
          }
          if (seen_stamp[node] != stamp) {
            seen_stamp[node] = stamp;
            graph_.nodes[node].cum += w;
          }
          if (parent != kNoIndex && node != parent) {
            auto pair = std::make_pair(node, parent);
            if (std::find(seen_edges.begin(), seen_edges.end(), pair) == seen_edges.end()) {
              seen_edges.push_back(pair);
              bool is_inline = ni != nodes.size() - 1;
              auto [it, inserted] = graph_.nodes[node].in.try_emplace(parent);
              GraphEdge& e = it->second;
              if (inserted) {
                e.weight = w;
                e.residual = residual;
                e.inline_call = is_inline;
              } else {
                e.weight += w;
                if (residual) e.residual = true;
                if (!is_inline) e.inline_call = false;
              }
            }
          }
          parent = node;
          residual = false;
        }
      }
      if (parent != kNoIndex && !residual) graph_.nodes[parent].flat += w;
    }
    DropEmptyNodes();
    return std::move(graph_);
  }

 private:
  uint32_t FindOrInsert(const NodeInfo& info) {
    if (o_.kept != nullptr && o_.kept->find(info) == o_.kept->end()) return kNoIndex;
    auto [it, inserted] = index_.try_emplace(info, static_cast<uint32_t>(graph_.nodes.size()));
    if (inserted) {
      GraphNode node;
      node.info = info;
      graph_.nodes.push_back(std::move(node));
    }
    return it->second;
  }

  void CreateNodes() {
    location_nodes_.resize(p_.locations.size());
    ForEachLocationNodeInfos(p_, o_.obj_names, &graph_.owned_strings_,
                             [this](size_t loc, const std::vector<NodeInfo>& infos) {
                               for (const NodeInfo& info : infos) {
                                 location_nodes_[loc].push_back(FindOrInsert(info));
                               }
                             });
  }

  // pprof leaves nodes that no sample reached out of the graph.
  void DropEmptyNodes() {
    std::vector<uint32_t> remap(graph_.nodes.size(), kNoIndex);
    std::vector<GraphNode> kept;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (graph_.nodes[i].flat == 0 && graph_.nodes[i].cum == 0) continue;
      remap[i] = static_cast<uint32_t>(kept.size());
      kept.push_back(std::move(graph_.nodes[i]));
    }
    for (GraphNode& node : kept) {
      std::unordered_map<uint32_t, GraphEdge> in;
      for (auto& [parent, edge] : node.in) {
        if (remap[parent] != kNoIndex) in.emplace(remap[parent], edge);
      }
      node.in = std::move(in);
    }
    graph_.nodes = std::move(kept);
  }

  const Profile& p_;
  const GraphOptions& o_;
  Graph graph_;
  std::unordered_map<NodeInfo, uint32_t, NodeInfoHash> index_;
  std::vector<std::vector<uint32_t>> location_nodes_;
};

Graph Graph::Build(const Profile& profile, const GraphOptions& options) {
  return GraphBuilder(profile, options).Build();
}

int64_t Graph::FlatSum() const {
  int64_t sum = 0;
  for (const GraphNode& n : nodes) sum += n.flat;
  return sum;
}

NodeSet Graph::NodesAtLeast(int64_t cutoff) const {
  NodeSet set;
  for (const GraphNode& n : nodes) {
    if (std::llabs(n.cum) >= cutoff) set.insert(n.info);
  }
  return set;
}

int Graph::TrimEdgesBelow(int64_t cutoff) {
  int dropped = 0;
  for (GraphNode& n : nodes) {
    for (auto it = n.in.begin(); it != n.in.end();) {
      if (std::llabs(it->second.weight) < cutoff) {
        it = n.in.erase(it);
        ++dropped;
      } else {
        ++it;
      }
    }
  }
  return dropped;
}

namespace {

// Sorting permutes nodes, so edges (keyed by node index) are re-keyed afterwards.
template <typename Less>
void SortNodes(std::vector<GraphNode>* nodes, Less less) {
  std::vector<uint32_t> order(nodes->size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::string> names(nodes->size());
  for (size_t i = 0; i < nodes->size(); ++i) names[i] = (*nodes)[i].info.PrintableName();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return less((*nodes)[a], names[a], (*nodes)[b], names[b]);
  });
  std::vector<uint32_t> position(nodes->size());
  for (uint32_t i = 0; i < order.size(); ++i) position[order[i]] = i;
  std::vector<GraphNode> sorted;
  sorted.reserve(nodes->size());
  for (uint32_t i : order) sorted.push_back(std::move((*nodes)[i]));
  for (GraphNode& n : sorted) {
    std::unordered_map<uint32_t, GraphEdge> in;
    for (auto& [parent, edge] : n.in) in.emplace(position[parent], edge);
    n.in = std::move(in);
  }
  *nodes = std::move(sorted);
}

}  // namespace

void Graph::SortByFlat() {
  SortNodes(&nodes, [](const GraphNode& l, const std::string& ln, const GraphNode& r,
                       const std::string& rn) {
    if (std::llabs(l.flat) != std::llabs(r.flat)) return std::llabs(l.flat) > std::llabs(r.flat);
    if (ln != rn) return ln < rn;
    if (std::llabs(l.cum) != std::llabs(r.cum)) return std::llabs(l.cum) > std::llabs(r.cum);
    return GoSprint(l.info) < GoSprint(r.info);
  });
}

void Graph::SortByCum() {
  SortNodes(&nodes, [](const GraphNode& l, const std::string& ln, const GraphNode& r,
                       const std::string& rn) {
    if (std::llabs(l.cum) != std::llabs(r.cum)) return std::llabs(l.cum) > std::llabs(r.cum);
    if (ln != rn) return ln < rn;
    if (std::llabs(l.flat) != std::llabs(r.flat)) return std::llabs(l.flat) > std::llabs(r.flat);
    return GoSprint(l.info) < GoSprint(r.info);
  });
}

NodeSet Graph::FirstNodes(size_t n) const {
  NodeSet set;
  for (size_t i = 0; i < nodes.size() && i < n; ++i) set.insert(nodes[i].info);
  return set;
}

}  // namespace kprof::pprof
