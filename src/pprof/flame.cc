#include "pprof/flame.h"

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <unordered_map>

#include "base/hash.h"

namespace kprof::pprof {

std::vector<std::vector<std::string>> LocationFrameNames(const Profile& profile) {
  std::vector<std::vector<std::string>> names(profile.locations.size());
  std::vector<std::unique_ptr<std::string>> pool;
  ForEachLocationNodeInfos(profile, false, &pool,
                           [&](size_t loc, const std::vector<NodeInfo>& infos) {
                             // Infos are leaf-most first; callers come first here.
                             for (size_t k = infos.size(); k-- > 0;) {
                               names[loc].push_back(infos[k].PrintableName());
                             }
                           });
  return names;
}

namespace {

// Interned frame names of each location, callers first.
struct FrameIds {
  std::vector<std::string> names;
  std::vector<std::vector<uint32_t>> by_location;
};

FrameIds InternFrames(const Profile& profile, std::vector<std::string> initial) {
  FrameIds ids;
  ids.names = std::move(initial);
  std::unordered_map<std::string, uint32_t> index;
  for (uint32_t i = 0; i < ids.names.size(); ++i) index.emplace(ids.names[i], i);
  auto names = LocationFrameNames(profile);
  ids.by_location.resize(names.size());
  for (size_t loc = 0; loc < names.size(); ++loc) {
    for (std::string& name : names[loc]) {
      auto [it, inserted] = index.try_emplace(name, static_cast<uint32_t>(ids.names.size()));
      if (inserted) ids.names.push_back(std::move(name));
      ids.by_location[loc].push_back(it->second);
    }
  }
  return ids;
}

struct ChildKey {
  uint32_t parent;
  uint32_t name;
  bool operator==(const ChildKey&) const = default;
};
struct ChildKeyHash {
  size_t operator()(const ChildKey& k) const { return HashCombine(HashMix(k.parent), k.name); }
};

FlameTree BuildFullTree(const PreparedProfile& prepared) {
  const Profile& p = prepared.profile;
  FlameTree tree;
  tree.sample_type = prepared.sample_type;
  tree.sample_unit = prepared.sample_unit;
  FrameIds frames = InternFrames(p, {"root", std::string(FlameTree::kOtherName)});
  tree.names = std::move(frames.names);
  tree.nodes.push_back(FlameNode{0, 0, 0, kNoIndex, {}});
  std::unordered_map<ChildKey, uint32_t, ChildKeyHash> children;
  const size_t n = p.num_values();
  for (size_t si = 0; si < p.samples.size(); ++si) {
    int64_t w = n == 0 ? 0 : p.values[si * n + prepared.sample_index];
    if (w == 0) continue;
    uint32_t node = 0;
    tree.nodes[0].total += w;
    auto locations = p.LocationsOf(p.samples[si]);
    for (size_t li = locations.size(); li-- > 0;) {
      for (uint32_t name : frames.by_location[locations[li]]) {
        auto [it, inserted] =
            children.try_emplace(ChildKey{node, name}, static_cast<uint32_t>(tree.nodes.size()));
        if (inserted) {
          tree.nodes.push_back(FlameNode{name, 0, 0, node, {}});
          tree.nodes[node].children.push_back(it->second);
        }
        node = it->second;
        tree.nodes[node].total += w;
      }
    }
    tree.nodes[node].self += w;
  }
  return tree;
}

void SortChildren(FlameTree* tree) {
  for (FlameNode& node : tree->nodes) {
    std::sort(node.children.begin(), node.children.end(), [tree](uint32_t a, uint32_t b) {
      const FlameNode& x = tree->nodes[a];
      const FlameNode& y = tree->nodes[b];
      if (std::llabs(x.total) != std::llabs(y.total))
        return std::llabs(x.total) > std::llabs(y.total);
      return tree->names[x.name] < tree->names[y.name];
    });
  }
}

// Keeps the heaviest `max_nodes` nodes (a parent is always kept before its
// children) and folds each kept node's dropped children into one "other" child.
FlameTree CutToBudget(const FlameTree& full, size_t max_nodes) {
  FlameTree cut;
  cut.names = full.names;
  cut.sample_type = full.sample_type;
  cut.sample_unit = full.sample_unit;
  std::vector<uint32_t> new_index(full.nodes.size(), kNoIndex);
  auto heavier = [&full](uint32_t a, uint32_t b) {
    return std::llabs(full.nodes[a].total) < std::llabs(full.nodes[b].total);
  };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(heavier)> frontier(heavier);
  frontier.push(0);
  std::vector<uint32_t> kept_order;
  while (!frontier.empty() && kept_order.size() < max_nodes) {
    uint32_t n = frontier.top();
    frontier.pop();
    new_index[n] = static_cast<uint32_t>(kept_order.size());
    kept_order.push_back(n);
    for (uint32_t c : full.nodes[n].children) frontier.push(c);
  }
  for (uint32_t old : kept_order) {
    const FlameNode& src = full.nodes[old];
    FlameNode copy{src.name,
                   src.self,
                   src.total,
                   src.parent == kNoIndex ? kNoIndex : new_index[src.parent],
                   {}};
    cut.nodes.push_back(copy);
  }
  for (uint32_t old : kept_order) {
    uint32_t self_index = new_index[old];
    int64_t dropped = 0;
    for (uint32_t c : full.nodes[old].children) {
      if (new_index[c] != kNoIndex) {
        cut.nodes[self_index].children.push_back(new_index[c]);
      } else {
        dropped += full.nodes[c].total;
      }
    }
    if (dropped != 0) {
      uint32_t other = static_cast<uint32_t>(cut.nodes.size());
      cut.nodes.push_back(FlameNode{1, dropped, dropped, self_index, {}});
      cut.nodes[self_index].children.push_back(other);
      ++cut.other_nodes;
    }
  }
  return cut;
}

nlohmann::json NodeJson(const FlameTree& tree, uint32_t index) {
  const FlameNode& node = tree.nodes[index];
  nlohmann::json children = nlohmann::json::array();
  for (uint32_t c : node.children) children.push_back(NodeJson(tree, c));
  return {{"name", tree.names[node.name]},
          {"value", node.total},
          {"self", node.self},
          {"children", std::move(children)}};
}

// Frame names come from uploaded profiles: invalid UTF-8 is replaced, not an error.
std::string Dump(const nlohmann::json& root) {
  return root.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One node of the joined tree: either side may be missing (kNoIndex).
nlohmann::json JoinedNodeJson(const FlameTree& base, uint32_t b, const FlameTree& cmp, uint32_t c,
                              double base_scale) {
  const std::string& name =
      b != kNoIndex ? base.names[base.nodes[b].name] : cmp.names[cmp.nodes[c].name];
  struct Pair {
    uint32_t base = kNoIndex;
    uint32_t cmp = kNoIndex;
    double weight = 0;
  };
  std::vector<Pair> pairs;
  std::unordered_map<std::string_view, size_t> by_name;
  if (b != kNoIndex) {
    for (uint32_t child : base.nodes[b].children) {
      by_name.emplace(base.names[base.nodes[child].name], pairs.size());
      pairs.push_back({child, kNoIndex, static_cast<double>(base.nodes[child].total) * base_scale});
    }
  }
  if (c != kNoIndex) {
    for (uint32_t child : cmp.nodes[c].children) {
      auto [it, inserted] = by_name.emplace(cmp.names[cmp.nodes[child].name], pairs.size());
      if (inserted) pairs.push_back({});
      Pair& p = pairs[it->second];
      p.cmp = child;
      p.weight = std::max(p.weight, static_cast<double>(cmp.nodes[child].total));
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& x, const Pair& y) { return x.weight > y.weight; });
  nlohmann::json children = nlohmann::json::array();
  for (const Pair& p : pairs)
    children.push_back(JoinedNodeJson(base, p.base, cmp, p.cmp, base_scale));
  return {{"name", name},
          {"value", c != kNoIndex ? cmp.nodes[c].total : 0},
          {"self", c != kNoIndex ? cmp.nodes[c].self : 0},
          {"base", b != kNoIndex ? base.nodes[b].total : 0},
          {"base_self", b != kNoIndex ? base.nodes[b].self : 0},
          {"children", std::move(children)}};
}

}  // namespace

FlameTree BuildFlameTree(const PreparedProfile& prepared, size_t max_nodes) {
  FlameTree full = BuildFullTree(prepared);
  full.full_node_count = full.nodes.size();
  full.total = full.nodes[0].total;
  SortChildren(&full);
  if (max_nodes == 0 || full.nodes.size() <= max_nodes) return full;
  FlameTree cut = CutToBudget(full, max_nodes);
  cut.full_node_count = full.full_node_count;
  cut.total = full.total;
  SortChildren(&cut);
  return cut;
}

std::string FlameTreeToJson(const FlameTree& tree) {
  nlohmann::json root = NodeJson(tree, 0);
  root["meta"] = {{"sample_type", tree.sample_type},
                  {"unit", tree.sample_unit},
                  {"total", tree.total},
                  {"nodes", tree.nodes.size()},
                  {"full_nodes", tree.full_node_count},
                  {"other_nodes", tree.other_nodes}};
  return Dump(root);
}

std::string DiffFlameTreeToJson(const FlameTree& base, const FlameTree& comparison,
                                double base_scale) {
  nlohmann::json root = JoinedNodeJson(base, 0, comparison, 0, base_scale);
  root["meta"] = {{"sample_type", comparison.sample_type},
                  {"unit", comparison.sample_unit},
                  {"total", comparison.total},
                  {"base_total", base.total},
                  {"base_scale", base_scale},
                  {"full_nodes", comparison.full_node_count},
                  {"base_full_nodes", base.full_node_count}};
  return Dump(root);
}

std::string FoldedStacks(const PreparedProfile& prepared) {
  const Profile& p = prepared.profile;
  auto names = LocationFrameNames(p);
  std::map<std::string, int64_t> stacks;
  const size_t n = p.num_values();
  std::string key;
  for (size_t si = 0; si < p.samples.size(); ++si) {
    int64_t w = n == 0 ? 0 : p.values[si * n + prepared.sample_index];
    if (w == 0) continue;
    key.clear();
    auto locations = p.LocationsOf(p.samples[si]);
    for (size_t li = locations.size(); li-- > 0;) {
      for (const std::string& frame : names[locations[li]]) {
        if (!key.empty()) key += ';';
        key += frame;
      }
    }
    if (key.empty()) key = "<empty stack>";
    stacks[key] += w;
  }
  std::string out;
  for (const auto& [stack, value] : stacks) {
    if (value == 0) continue;
    out += stack;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  }
  return out;
}

}  // namespace kprof::pprof
