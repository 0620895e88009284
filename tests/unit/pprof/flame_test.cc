#include "pprof/flame.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "pprof/merge.h"
#include "testdata.h"

namespace kprof::pprof {
namespace {

using testutil::PrepareTestdata;

// Every node's total is its self plus its children's totals.
void ExpectConsistent(const FlameTree& tree) {
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    const FlameNode& n = tree.nodes[i];
    int64_t sum = n.self;
    for (uint32_t c : n.children) {
      sum += tree.nodes[c].total;
      EXPECT_EQ(tree.nodes[c].parent, i);
    }
    EXPECT_EQ(sum, n.total) << tree.names[n.name];
  }
}

TEST(FlameTree, RootTotalIsTheProfileTotalAndNodesAreConsistent) {
  PreparedProfile cpu = PrepareTestdata("cpu-a.pb.gz");
  FlameTree tree = BuildFlameTree(cpu);
  EXPECT_EQ(tree.total, cpu.total);
  EXPECT_EQ(tree.nodes[0].total, cpu.total);
  EXPECT_EQ(tree.other_nodes, 0u);
  ExpectConsistent(tree);
}

TEST(FlameTree, SelfValuesMatchTopFlatValues) {
  PreparedProfile cpu = PrepareTestdata("cpu-a.pb.gz");
  FlameTree tree = BuildFlameTree(cpu);
  ReportOptions options;
  options.node_fraction = 0;
  TopReport top = BuildTop(cpu, options);
  std::map<std::string, int64_t> self_by_name;
  for (const FlameNode& n : tree.nodes) self_by_name[tree.names[n.name]] += n.self;
  for (const TopRow& row : top.rows) EXPECT_EQ(self_by_name[row.name], row.flat) << row.name;
}

TEST(FlameTree, BudgetKeepsHeaviestPathsAndAnHonestOtherNode) {
  PreparedProfile cpu = PrepareTestdata("cpu-b.pb.gz");
  FlameTree full = BuildFlameTree(cpu);
  ASSERT_GT(full.nodes.size(), 60u);
  FlameTree cut = BuildFlameTree(cpu, 40);
  EXPECT_EQ(cut.total, full.total);
  EXPECT_EQ(cut.full_node_count, full.nodes.size());
  EXPECT_GT(cut.other_nodes, 0u);
  EXPECT_EQ(cut.nodes.size(), 40u + cut.other_nodes);
  ExpectConsistent(cut);
  size_t others = 0;
  for (const FlameNode& n : cut.nodes) {
    if (cut.names[n.name] == FlameTree::kOtherName) {
      ++others;
      EXPECT_TRUE(n.children.empty());
    }
  }
  EXPECT_EQ(others, cut.other_nodes);
}

TEST(FlameTree, JsonHasTheD3ShapeAndTotals) {
  PreparedProfile heap = PrepareTestdata("heap-a.pb.gz");
  FlameTree tree = BuildFlameTree(heap, 100);
  auto json = nlohmann::json::parse(FlameTreeToJson(tree));
  EXPECT_EQ(json["name"], "root");
  EXPECT_EQ(json["value"].get<int64_t>(), heap.total);
  EXPECT_EQ(json["meta"]["sample_type"], "inuse_space");
  int64_t children = 0;
  for (const auto& c : json["children"]) children += c["value"].get<int64_t>();
  EXPECT_EQ(children + json["self"].get<int64_t>(), heap.total);
}

// Names come from uploaded profiles and need not be UTF-8: the JSON replaces the bad
// bytes instead of failing the request.
TEST(FlameTree, JsonOfNamesThatAreNotUtf8) {
  FlameTree tree;
  tree.names = {"root", "main.f\xff\xfe"};
  tree.nodes.resize(2);
  tree.nodes[0] = {0, 0, 5, kNoIndex, {1}};
  tree.nodes[1] = {1, 5, 5, 0, {}};
  tree.total = 5;
  auto json = nlohmann::json::parse(FlameTreeToJson(tree));
  EXPECT_EQ(json["children"][0]["name"], "main.f\xef\xbf\xbd\xef\xbf\xbd");
  auto diff = nlohmann::json::parse(DiffFlameTreeToJson(tree, tree, 1.0));
  EXPECT_EQ(diff["children"][0]["base"], 5);
}

// The joined tree of two profiles: the comparison's values and the base's, per path.
TEST(DiffFlameTree, JoinsBothSidesByPathWithTheirTotals) {
  PreparedProfile a = PrepareTestdata("cpu-a.pb.gz");
  PreparedProfile b = PrepareTestdata("cpu-b.pb.gz");
  auto json = nlohmann::json::parse(DiffFlameTreeToJson(BuildFlameTree(a), BuildFlameTree(b), 0.5));
  EXPECT_EQ(json["value"].get<int64_t>(), b.total);
  EXPECT_EQ(json["base"].get<int64_t>(), a.total);
  EXPECT_EQ(json["meta"]["base_scale"], 0.5);
  // On each side, a node's total is its self plus its children's.
  std::vector<const nlohmann::json*> stack = {&json};
  while (!stack.empty()) {
    const nlohmann::json& n = *stack.back();
    stack.pop_back();
    int64_t value = n["self"].get<int64_t>(), base = n["base_self"].get<int64_t>();
    for (const auto& c : n["children"]) {
      value += c["value"].get<int64_t>();
      base += c["base"].get<int64_t>();
      stack.push_back(&c);
    }
    EXPECT_EQ(value, n["value"].get<int64_t>()) << n["name"];
    EXPECT_EQ(base, n["base"].get<int64_t>()) << n["name"];
  }
}

TEST(FoldedStacks, SumToTheTotalWithOneLinePerStack) {
  PreparedProfile cpu = PrepareTestdata("cpu-a.pb.gz");
  std::istringstream in(FoldedStacks(cpu));
  std::string line;
  int64_t sum = 0;
  size_t lines = 0;
  std::set<std::string> stacks;
  while (std::getline(in, line)) {
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos);
    sum += std::stoll(line.substr(space + 1));
    EXPECT_TRUE(stacks.insert(line.substr(0, space)).second) << "duplicate stack";
    ++lines;
  }
  EXPECT_EQ(sum, cpu.total);
  EXPECT_GT(lines, 10u);
  EXPECT_NE(FoldedStacks(cpu).find("main.hotLoopA"), std::string::npos);
}

TEST(FoldedStacks, InlinedFramesAppearBetweenCallerAndCallee) {
  PreparedProfile cpu = PrepareTestdata("cpu-a.pb.gz");
  std::string folded = FoldedStacks(cpu);
  EXPECT_NE(folded.find("main.sumInlined;main.inlinedAdd"), std::string::npos);
}

}  // namespace
}  // namespace kprof::pprof
