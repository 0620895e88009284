#include "pprof/flame_html.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace kprof::pprof {
namespace {

// Builds a consistent FlameTree: totals are summed bottom-up and children sorted
// heaviest first, as BuildFlameTree leaves them.
class TreeBuilder {
 public:
  TreeBuilder() {
    tree_.sample_type = "cpu";
    tree_.sample_unit = "nanoseconds";
    tree_.names.push_back("root");
    tree_.nodes.push_back(FlameNode{});
  }

  uint32_t Add(uint32_t parent, const std::string& name, int64_t self) {
    auto [it, inserted] = name_index_.try_emplace(name, tree_.names.size());
    if (inserted) tree_.names.push_back(name);
    FlameNode node;
    node.name = static_cast<uint32_t>(it->second);
    node.self = self;
    node.parent = parent;
    const auto index = static_cast<uint32_t>(tree_.nodes.size());
    tree_.nodes.push_back(node);
    tree_.nodes[parent].children.push_back(index);
    return index;
  }

  FlameTree Build() {
    FlameTree tree = tree_;
    for (FlameNode& node : tree.nodes) node.total = node.self;
    for (size_t i = tree.nodes.size() - 1; i > 0; --i) {
      tree.nodes[tree.nodes[i].parent].total += tree.nodes[i].total;
    }
    for (FlameNode& node : tree.nodes) {
      std::stable_sort(node.children.begin(), node.children.end(), [&](uint32_t a, uint32_t b) {
        return tree.nodes[a].total > tree.nodes[b].total;
      });
    }
    tree.total = tree.nodes[0].total;
    tree.full_node_count = tree.nodes.size();
    return tree;
  }

 private:
  FlameTree tree_;
  std::map<std::string, size_t> name_index_;
};

FlameTree SmallTree() {
  TreeBuilder b;
  uint32_t main = b.Add(0, "main", 10);
  uint32_t work = b.Add(main, "work", 600);
  b.Add(work, "hash", 200);
  b.Add(main, "idle", 150);
  b.Add(0, "runtime.gcBgMarkWorker", 40);
  return b.Build();
}

FlameRenderOptions Titled(std::string title, std::string subtitle = "") {
  FlameRenderOptions options;
  options.title = std::move(title);
  options.subtitle = std::move(subtitle);
  return options;
}

constexpr std::string_view kDataOpen = R"(<script type="application/json" id="kprof-data">)";

// The embedded data exactly as the page's script reads it.
std::string EmbeddedJson(const std::string& html) {
  size_t begin = html.find(kDataOpen);
  if (begin == std::string::npos) return "";
  begin += kDataOpen.size();
  size_t end = html.find("</script>", begin);
  if (end == std::string::npos) return "";
  return html.substr(begin, end - begin);
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

TEST(FlameHtml, ReferencesNothingOnTheNetwork) {
  std::string html = RenderFlameHtml(SmallTree(), Titled("cpu"));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  for (size_t at = html.find("<link"); at != std::string::npos; at = html.find("<link", at + 1)) {
    std::string tag = html.substr(at, html.find('>', at) - at);
    EXPECT_NE(tag.find("href=\"data:"), std::string::npos) << tag;
  }
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
}

TEST(FlameHtml, EmbedsTreeAsParseableJson) {
  FlameTree tree = SmallTree();
  std::string html = RenderFlameHtml(tree, {});
  nlohmann::json data = nlohmann::json::parse(EmbeddedJson(html), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["names"].size(), tree.names.size());
  EXPECT_EQ(data["sample_unit"], "nanoseconds");
  EXPECT_EQ(data["total"], tree.total);
  const nlohmann::json& nodes = data["nodes"];
  ASSERT_EQ(nodes["parent"].size(), tree.nodes.size());
  ASSERT_EQ(nodes["name"].size(), tree.nodes.size());
  ASSERT_EQ(nodes["self"].size(), tree.nodes.size());
  ASSERT_EQ(nodes["total"].size(), tree.nodes.size());
  EXPECT_EQ(nodes["parent"][0], -1);
  EXPECT_EQ(nodes["total"][0], tree.total);
  int64_t self_sum = 0;
  std::vector<int64_t> child_sum(tree.nodes.size());
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    self_sum += nodes["self"][i].get<int64_t>();
    int64_t parent = nodes["parent"][i];
    if (i == 0) continue;
    ASSERT_GE(parent, 0);
    ASSERT_LT(parent, static_cast<int64_t>(i)) << "parents precede children";
    child_sum[parent] += nodes["total"][i].get<int64_t>();
  }
  EXPECT_EQ(self_sum, tree.total);
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    EXPECT_EQ(nodes["total"][i].get<int64_t>(), nodes["self"][i].get<int64_t>() + child_sum[i]);
  }
  // Preorder, heaviest child first: root, main, work, hash, idle, gcBgMarkWorker.
  std::vector<std::string> order;
  for (const auto& n : nodes["name"]) order.push_back(data["names"][n.get<size_t>()]);
  EXPECT_EQ(order, (std::vector<std::string>{"root", "main", "work", "hash", "idle",
                                             "runtime.gcBgMarkWorker"}));
}

TEST(FlameHtml, EscapesScriptInFunctionNames) {
  const std::string evil = "</script><script>alert(1)</script>";
  TreeBuilder b;
  b.Add(b.Add(0, evil, 5), "<!--<script>", 5);
  std::string html = RenderFlameHtml(b.Build(), {});
  EXPECT_EQ(html.find("</script><script>"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_EQ(Count(html, "</script>"), 2u) << "only the data and the viewer elements close";
  nlohmann::json data = nlohmann::json::parse(EmbeddedJson(html), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["names"][1], evil);
  EXPECT_EQ(data["names"][2], "<!--<script>");
}

TEST(FlameHtml, EscapesLineSeparatorsInFunctionNames) {
  const std::string name = "f\xE2\x80\xA8g\xE2\x80\xA9h";
  TreeBuilder b;
  b.Add(0, name, 5);
  std::string html = RenderFlameHtml(b.Build(), {});
  EXPECT_EQ(html.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(html.find("\xE2\x80\xA9"), std::string::npos);
  nlohmann::json data = nlohmann::json::parse(EmbeddedJson(html), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["names"][1], name);
}

TEST(FlameHtml, ReplacesInvalidUtf8InFunctionNames) {
  TreeBuilder b;
  b.Add(0, "bad\xFF\xFEname", 5);
  std::string html = RenderFlameHtml(b.Build(), {});
  nlohmann::json data = nlohmann::json::parse(EmbeddedJson(html), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_EQ(data["names"][1], "bad\xEF\xBF\xBD\xEF\xBF\xBDname");
}

TEST(FlameHtml, EscapesTitleAndSubtitle) {
  std::string html =
      RenderFlameHtml(SmallTree(), Titled("<b>cpu</b> & \"heap\"", "<img onerror=x>"));
  EXPECT_NE(html.find("<title>&lt;b&gt;cpu&lt;/b&gt; &amp; &quot;heap&quot;</title>"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img onerror=x&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>cpu"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
}

TEST(FlameHtml, OpensInTheRequestedOrientation) {
  FlameRenderOptions icicle;
  icicle.icicle = true;
  EXPECT_NE(RenderFlameHtml(SmallTree(), icicle).find("<body data-icicle=\"1\">"),
            std::string::npos);
  EXPECT_NE(RenderFlameHtml(SmallTree(), {}).find("<body data-icicle=\"0\">"), std::string::npos);
}

TEST(FlameHtml, RendersAnEmptyTree) {
  FlameTree tree;
  std::string html = RenderFlameHtml(tree, {});
  nlohmann::json data = nlohmann::json::parse(EmbeddedJson(html), nullptr, false);
  ASSERT_FALSE(data.is_discarded());
  EXPECT_TRUE(data["nodes"]["parent"].empty());
}

TEST(FlameSvg, ClosesEveryGroup) {
  std::string svg = RenderFlameSvg(SmallTree(), Titled("cpu", "1s total"));
  EXPECT_TRUE(svg.starts_with("<?xml"));
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_EQ(Count(svg, "<svg"), 1u);
  EXPECT_EQ(Count(svg, "<g>"), SmallTree().nodes.size());
  EXPECT_EQ(Count(svg, "<g"), Count(svg, "</g>"));
  EXPECT_EQ(Count(svg, "<title>"), Count(svg, "</title>"));
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));
}

TEST(FlameSvg, EscapesMarkupInNames) {
  TreeBuilder b;
  b.Add(0, "operator<<(std::ostream&, \"x\")", 5);
  std::string svg = RenderFlameSvg(b.Build(), Titled("a<b"));
  EXPECT_NE(svg.find("operator&lt;&lt;(std::ostream&amp;, &quot;x&quot;)"), std::string::npos);
  EXPECT_EQ(svg.find("operator<<"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
}

TEST(FlameSvg, ReplacesBytesXmlCannotHold) {
  TreeBuilder b;
  b.Add(0, std::string("bad\xFF\x01name\0x", 11), 5);
  std::string svg = RenderFlameSvg(b.Build(), {});
  EXPECT_EQ(svg.find('\xFF'), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
  EXPECT_EQ(svg.find('\0'), std::string::npos);
  EXPECT_NE(svg.find("bad\xEF\xBF\xBD\xEF\xBF\xBDname\xEF\xBF\xBDx"), std::string::npos);
}

TEST(FlameSvg, OmitsFramesNarrowerThanTheThreshold) {
  TreeBuilder b;
  uint32_t main = b.Add(0, "main", 0);
  b.Add(main, "heavy_function", 999'990);
  b.Add(main, "tiny_function", 10);  // 0.001% of the width
  FlameTree tree = b.Build();
  std::string svg = RenderFlameSvg(tree, {});
  EXPECT_NE(svg.find("heavy_function"), std::string::npos);
  EXPECT_EQ(svg.find("tiny_function"), std::string::npos);
  EXPECT_EQ(Count(svg, "<g>"), 3u);
  // main's frame still spans the omitted child's weight: all of the root's width.
  size_t main_title = svg.find("<title>main\n");
  ASSERT_NE(main_title, std::string::npos);
  EXPECT_NE(svg.find("width=\"1179.00\"", main_title), std::string::npos);
  EXPECT_NE(RenderFlameHtml(tree, {}).find("tiny_function"), std::string::npos)
      << "the page keeps every node; only drawing skips narrow frames";
}

TEST(FlameSvg, TruncatesLabelsWithAnEllipsis) {
  TreeBuilder b;
  const std::string long_name(400, 'x');
  b.Add(0, long_name, 5);
  b.Add(0, "short", 5);
  std::string svg = RenderFlameSvg(b.Build(), {});
  EXPECT_NE(svg.find("<title>" + long_name + "\n"), std::string::npos);
  EXPECT_EQ(svg.find(">" + long_name + "</text>"), std::string::npos);
  EXPECT_NE(svg.find("x\xE2\x80\xA6</text>"), std::string::npos);
  EXPECT_NE(svg.find(">short</text>"), std::string::npos);
}

TEST(FlameSvg, FormatsValuesInTheSampleUnit) {
  TreeBuilder b;
  b.Add(0, "main", 1'500'000'000);
  std::string svg = RenderFlameSvg(b.Build(), {});
  EXPECT_NE(svg.find("<title>main\ntotal 1.50s (100%), self 1.50s (100%)</title>"),
            std::string::npos)
      << svg;
}

}  // namespace
}  // namespace kprof::pprof
