#include "pprof/filter.h"

#include <gtest/gtest.h>

#include "profile_builder.h"
#include "testdata.h"

namespace kprof::pprof {
namespace {

using testutil::ProfileBuilder;
using testutil::TotalOf;

// main → handler → {hot, cold}, one sample each, plus a labelled sample in main.
struct Fixture {
  Profile p;
  Fixture() {
    ProfileBuilder b;
    uint32_t main_fn = b.Function("main.main", "/src/main.go");
    uint32_t handler = b.Function("main.handler", "/src/handler.go");
    uint32_t hot = b.Function("main.hot", "/src/hot.go");
    uint32_t cold = b.Function("runtime.cold", "/go/src/runtime/cold.go");
    uint32_t l_main = b.Location({{main_fn, 1}});
    uint32_t l_handler = b.Location({{handler, 2}});
    uint32_t l_hot = b.Location({{hot, 3}});
    uint32_t l_cold = b.Location({{cold, 4}});
    b.Sample({l_hot, l_handler, l_main}, {1, 100}, {{"worker", "1"}, {"bytes", "", 2048}});
    b.Sample({l_cold, l_handler, l_main}, {1, 10}, {{"worker", "2"}, {"bytes", "", 64}});
    b.Sample({l_main}, {1, 1}, {{"region", "eu"}});
    p = b.Build();
  }
};

int64_t Cpu(const Profile& p) { return TotalOf(p, 1); }

TEST(Filter, FocusKeepsSamplesThroughAMatchingFrame) {
  Fixture f;
  FilterOptions o;
  o.focus = "handler";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 110);
}

TEST(Filter, FocusMatchesFileNamesToo) {
  Fixture f;
  FilterOptions o;
  o.focus = "hot\\.go$";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 100);
}

TEST(Filter, IgnoreWinsOverFocus) {
  Fixture f;
  FilterOptions o;
  o.focus = "handler";
  o.ignore = "runtime";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 100);
}

TEST(Filter, HideRemovesFramesButKeepsTheirSamples) {
  Fixture f;
  FilterOptions o;
  o.hide = "handler";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 111);
  EXPECT_EQ(f.p.samples[0].location_count, 2u);
}

TEST(Filter, ShowKeepsOnlyMatchingFrames) {
  Fixture f;
  FilterOptions o;
  o.show = "main\\.(main|hot)";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(f.p.samples[0].location_count, 2u);
  EXPECT_EQ(f.p.samples[1].location_count, 1u);
}

TEST(Filter, ShowFromCutsCallersAboveTheMatch) {
  Fixture f;
  FilterOptions o;
  o.show_from = "handler";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  ASSERT_EQ(f.p.samples.size(), 2u);  // the main-only sample has no match
  EXPECT_EQ(f.p.samples[0].location_count, 2u);
}

TEST(Filter, PruneFromMakesTheMatchTheLeaf) {
  Fixture f;
  FilterOptions o;
  o.prune_from = "handler";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(f.p.samples[0].location_count, 2u);
  EXPECT_EQ(f.p.locations[f.p.sample_locations[f.p.samples[0].location_begin]].line_begin,
            f.p.locations[1].line_begin);
}

TEST(Filter, TagFocusByKeyAndRegex) {
  Fixture f;
  FilterOptions o;
  o.tagfocus = "worker=1|3";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 100);
}

TEST(Filter, TagFocusWithoutKeyMatchesKeyColonValue) {
  Fixture f;
  FilterOptions o;
  o.tagfocus = "region:eu";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 1);
}

TEST(Filter, TagFocusNumericRangeUsesUnits) {
  Fixture f;
  FilterOptions o;
  o.tagfocus = "bytes=1kb:4kb";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 100);
  Fixture g;
  o.tagfocus = "bytes=:1kb";
  ASSERT_TRUE(ApplyFilters(&g.p, o).ok());
  EXPECT_EQ(Cpu(g.p), 10);
}

TEST(Filter, TagIgnoreDropsMatchingSamples) {
  Fixture f;
  FilterOptions o;
  o.tagignore = "worker=^2$";  // a bare "2" would be a numeric range, as in pprof
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 101);
}

TEST(Filter, ANumberIsAnExactValueAndNeedsAUnitLikePprof) {
  Fixture f;
  FilterOptions o;
  o.tagfocus = "bytes=64B";
  ASSERT_TRUE(ApplyFilters(&f.p, o).ok());
  EXPECT_EQ(Cpu(f.p), 10);
  // Without a unit, pprof compares in no unit against bytes and matches nothing.
  Fixture g;
  o.tagfocus = "bytes=64";
  ASSERT_TRUE(ApplyFilters(&g.p, o).ok());
  EXPECT_EQ(Cpu(g.p), 0);
}

TEST(Filter, NoMatchWarnsAndEmptiesTheProfile) {
  Fixture f;
  FilterOptions o;
  o.focus = "nothing-matches-this";
  auto outcome = ApplyFilters(&f.p, o);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(f.p.samples.empty());
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_EQ(outcome->warnings[0], "Focus expression matched no samples");
}

TEST(Filter, BadRegexIsAnInvalidArgumentNamingTheFlag) {
  Fixture f;
  FilterOptions o;
  o.hide = "(unclosed";
  auto outcome = ApplyFilters(&f.p, o);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("hide"), std::string::npos);
}

TEST(Filter, ActiveFilterLegendCutsLongValues) {
  FilterOptions o;
  o.focus = std::string(100, 'x');
  auto legend = ActiveFilterLegend(o);
  ASSERT_EQ(legend.size(), 2u);
  EXPECT_EQ(legend[0], "Active filters:");
  EXPECT_EQ(legend[1], "   focus=" + std::string(74, 'x') + "\xe2\x80\xa6");
}

TEST(DropFrames, PrunesFramesBelowAMatchingFrame) {
  ProfileBuilder b;
  uint32_t work = b.Function("main.work");
  uint32_t drop = b.Function("runtime.mallocgc");
  uint32_t deeper = b.Function("runtime.nextFree");
  b.Sample({b.Location({{deeper, 1}}), b.Location({{drop, 1}}), b.Location({{work, 1}})}, {1, 5});
  b.DropFrames("runtime\\..*");
  Profile p = b.Build();
  ASSERT_TRUE(PruneDropFrames(&p).ok());
  ASSERT_EQ(p.samples[0].location_count, 1u);
  EXPECT_EQ(
      p.str(p.functions
                [p.lines[p.locations[p.sample_locations[p.samples[0].location_begin]].line_begin]
                     .function]
                    .name),
      "main.work");
}

TEST(SimplifyNames, StripsCppParametersAndTemplatesButNotGoNames) {
  ProfileBuilder b;
  b.Function("std::vector<int>::push_back(int)");
  b.Function("sync.(*Mutex).Lock");
  b.Function("main.(*Stack[...]).Push");
  Profile p = b.Build();
  SimplifyFunctionNames(&p);
  EXPECT_EQ(p.str(p.functions[0].name), "std::vector::push_back");
  EXPECT_EQ(p.str(p.functions[1].name), "sync.(*Mutex).Lock");
  EXPECT_EQ(p.str(p.functions[2].name), "main.(*Stack[...]).Push");
}

}  // namespace
}  // namespace kprof::pprof
