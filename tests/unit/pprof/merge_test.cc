#include "pprof/merge.h"

#include <gtest/gtest.h>

#include "pprof/encode.h"
#include "pprof/report.h"
#include "profile_builder.h"
#include "testdata.h"

namespace kprof::pprof {
namespace {

using testutil::LoadTestdata;
using testutil::ProfileBuilder;
using testutil::TotalOf;

TEST(Merge, SumsEqualSamplesOfRealProfiles) {
  Profile a = LoadTestdata("cpu-a.pb.gz");
  Profile b = LoadTestdata("cpu-b.pb.gz");
  ASSERT_FALSE(a.samples.empty());
  Profile ab = MergeProfiles(std::vector<Profile>{a, b}).value();
  for (size_t k = 0; k < a.num_values(); ++k) {
    EXPECT_EQ(TotalOf(ab, k), TotalOf(a, k) + TotalOf(b, k));
  }
  // Merging a profile with itself doubles every sample and adds none.
  Profile aa = MergeProfiles(std::vector<Profile>{a, a}).value();
  Profile a1 = MergeProfiles(std::vector<Profile>{a}).value();
  ASSERT_EQ(aa.samples.size(), a1.samples.size());
  for (size_t i = 0; i < aa.samples.size(); ++i) {
    for (size_t k = 0; k < aa.num_values(); ++k) {
      EXPECT_EQ(aa.ValuesOf(i)[k], 2 * a1.ValuesOf(i)[k]);
    }
  }
}

TEST(Merge, MemoryDependsOnTheResultNotOnTheNumberOfInputs) {
  Profile a = LoadTestdata("cpu-a.pb.gz");
  Merger once;
  ASSERT_TRUE(once.Add(a).ok());
  Profile one = once.Finish();
  Merger many;
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(many.Add(a).ok());
  Profile two_hundred = many.Finish();
  EXPECT_EQ(two_hundred.samples.size(), one.samples.size());
  EXPECT_EQ(two_hundred.locations.size(), one.locations.size());
  EXPECT_EQ(two_hundred.functions.size(), one.functions.size());
  EXPECT_EQ(two_hundred.strings.size(), one.strings.size());
  EXPECT_EQ(two_hundred.duration_nanos, 200 * a.duration_nanos);
}

TEST(Merge, RejectsDifferentSampleTypes) {
  Merger merger;
  ASSERT_TRUE(merger.Add(LoadTestdata("cpu-a.pb.gz")).ok());
  Status s = merger.Add(LoadTestdata("heap-a.pb.gz"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("incompatible profiles"), std::string::npos) << s.message();
}

TEST(Merge, RejectsDifferentPeriodTypes) {
  ProfileBuilder a({{"samples", "count"}}, {"cpu", "nanoseconds"});
  ProfileBuilder b({{"samples", "count"}}, {"wall", "nanoseconds"});
  Merger merger;
  ASSERT_TRUE(merger.Add(a.Build()).ok());
  EXPECT_EQ(merger.Add(b.Build()).code(), StatusCode::kFailedPrecondition);
}

TEST(Merge, HeaderTakesEarliestTimeSumOfDurationsLargestPeriod) {
  ProfileBuilder a({{"samples", "count"}}, {"cpu", "nanoseconds"}, 100);
  a.Time(2000, 10);
  ProfileBuilder b({{"samples", "count"}}, {"cpu", "nanoseconds"}, 300);
  b.Time(1000, 20);
  Profile m = MergeProfiles(std::vector<Profile>{a.Build(), b.Build()}).value();
  EXPECT_EQ(m.time_nanos, 1000);
  EXPECT_EQ(m.duration_nanos, 30);
  EXPECT_EQ(m.period, 300);
}

TEST(Merge, KeepsLocationsApartThatDifferOnlyInAnInlinedLine) {
  // Two call sites at the same address offset whose inlined frames differ. google/pprof's
  // location key can confuse these; kprof compares every line.
  ProfileBuilder b;
  uint32_t caller = b.Function("main.caller");
  uint32_t inl1 = b.Function("main.inlinedOne");
  uint32_t inl2 = b.Function("main.inlinedTwo");
  uint32_t l1 = b.Location({{inl1, 10}, {caller, 20}}, 0x1000);
  uint32_t l2 = b.Location({{inl2, 11}, {caller, 20}}, 0x1000);
  b.Sample({l1}, {1, 10}).Sample({l2}, {1, 10});
  Profile m = MergeProfiles(std::vector<Profile>{b.Build(), b.Build()}).value();
  EXPECT_EQ(m.locations.size(), 2u);
  EXPECT_EQ(m.samples.size(), 2u);
}

TEST(Merge, MappingsAreEqualByRoundedSizeOffsetAndBuildId) {
  // Same binary loaded at different addresses (ASLR) with sizes that round to the same
  // 4 KiB: one mapping, and locations at the same offset fold together.
  ProfileBuilder a;
  uint32_t fa = a.Function("main.f");
  uint32_t ma = a.Mapping(0x400000, 0x400000 + 0x1ff0, "/bin/app", "abc");
  a.Sample({a.Location({{fa, 1}}, 0x400010, ma)}, {1, 1});
  ProfileBuilder b;
  uint32_t fb = b.Function("main.f");
  uint32_t mb = b.Mapping(0x7000000, 0x7000000 + 0x2000, "/other/path/app", "abc");
  b.Sample({b.Location({{fb, 1}}, 0x7000010, mb)}, {1, 1});
  ProfileBuilder c;  // different build id: a different mapping
  uint32_t fc = c.Function("main.f");
  uint32_t mc = c.Mapping(0x400000, 0x402000, "/bin/app", "def");
  c.Sample({c.Location({{fc, 1}}, 0x400010, mc)}, {1, 1});
  Profile m = MergeProfiles(std::vector<Profile>{a.Build(), b.Build(), c.Build()}).value();
  EXPECT_EQ(m.mappings.size(), 2u);
  EXPECT_EQ(m.locations.size(), 2u);
  ASSERT_EQ(m.samples.size(), 2u);
  EXPECT_EQ(m.ValuesOf(0)[0], 2);
  // The merged location is rebased onto the first mapping's start.
  EXPECT_EQ(m.locations[0].address, 0x400010u);
}

TEST(Merge, SameAddressWithDifferentSymbolsStaysApart) {
  // Locations are first looked up by address; that is only an index, never identity.
  auto build = [](std::string_view name, std::string_view file, int64_t line) {
    ProfileBuilder b;
    uint32_t f = b.Function(name, file);
    uint32_t m = b.Mapping(0x400000, 0x500000, "/bin/app", "build-1");
    b.Sample({b.Location({{f, line}}, 0x400100, m)}, {1, 10});
    return b.Build();
  };
  Profile m =
      MergeProfiles(std::vector<Profile>{build("main.a", "a.go", 1), build("main.b", "a.go", 1),
                                         build("main.a", "b.go", 1), build("main.a", "a.go", 2),
                                         build("main.a", "a.go", 1)})
          .value();
  EXPECT_EQ(m.locations.size(), 4u);
  EXPECT_EQ(m.functions.size(), 3u);
  ASSERT_EQ(m.samples.size(), 4u);
  EXPECT_EQ(m.ValuesOf(0)[1], 20);
}

TEST(Merge, SamplesWithDifferentLabelsStayApartAndLabelOrderDoesNotMatter) {
  ProfileBuilder b;
  uint32_t f = b.Function("main.f");
  uint32_t loc = b.Location({{f, 1}});
  b.Sample({loc}, {1, 1}, {{"a", "x"}, {"b", "y"}});
  b.Sample({loc}, {1, 1}, {{"b", "y"}, {"a", "x"}});
  b.Sample({loc}, {1, 1}, {{"a", "z"}});
  b.Sample({loc}, {1, 1}, {{"bytes", "", 64}});
  b.Sample({loc}, {1, 1}, {{"bytes", "", 128}});
  Profile m = MergeProfiles(std::vector<Profile>{b.Build()}).value();
  EXPECT_EQ(m.samples.size(), 4u);
}

TEST(Merge, DropsSamplesThatAreAllZero) {
  ProfileBuilder b;
  uint32_t f = b.Function("main.f");
  b.Sample({b.Location({{f, 1}})}, {0, 0});
  b.Sample({b.Location({{f, 2}})}, {1, 5});
  Profile m = MergeProfiles(std::vector<Profile>{b.Build()}).value();
  EXPECT_EQ(m.samples.size(), 1u);
}

TEST(Merge, ParallelMergeEqualsSequentialMerge) {
  std::vector<std::string> names = {"cpu-a.pb.gz", "cpu-b.pb.gz", "cpu-a.pb.gz", "cpu-b.pb.gz",
                                    "cpu-b.pb.gz"};
  std::vector<Profile> decoded;
  for (const auto& n : names) decoded.push_back(LoadTestdata(n));
  Profile sequential = MergeProfiles(decoded).value();
  for (int threads : {1, 2, 3, 5}) {
    ParallelMergeInput input;
    input.count = names.size();
    input.load = [&](size_t i, std::string* bytes) {
      *bytes = testutil::ReadTestdata(names[i]);
      return Status::Ok();
    };
    Profile parallel = MergeInParallel(input, threads).value();
    ReportOptions options;
    auto a = Prepare(sequential, options).value();
    auto b = Prepare(parallel, options).value();
    EXPECT_EQ(FormatTopText(BuildTop(a, options), a), FormatTopText(BuildTop(b, options), b))
        << threads << " threads";
    EXPECT_EQ(parallel.time_nanos, sequential.time_nanos);
    EXPECT_EQ(parallel.duration_nanos, sequential.duration_nanos);
  }
}

TEST(Merge, ParallelMergeNamesTheBadInput) {
  ParallelMergeInput input;
  input.count = 4;
  input.load = [](size_t i, std::string* bytes) {
    *bytes = i == 2 ? std::string("not a profile") : testutil::ReadTestdata("cpu-a.pb.gz");
    return Status::Ok();
  };
  input.name = [](size_t i) { return "input-" + std::to_string(i); };
  auto r = MergeInParallel(input, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("input-2"), std::string::npos) << r.status().message();
}

TEST(Delta, SubtractsCumulativeValuesAndKeepsSnapshots) {
  Profile before = LoadTestdata("allocs-a.pb.gz");
  Profile after = LoadTestdata("allocs-a2.pb.gz");
  DeltaResult d = Delta(before, after).value();
  ASSERT_FALSE(d.reset);
  for (size_t k = 0; k < after.num_values(); ++k) {
    std::string_view type = after.str(after.sample_types[k].type);
    if (IsCumulativeSampleType(type)) {
      EXPECT_EQ(TotalOf(d.profile, k), TotalOf(after, k) - TotalOf(before, k)) << type;
    } else {
      EXPECT_EQ(TotalOf(d.profile, k), TotalOf(after, k)) << type;
    }
  }
  EXPECT_EQ(d.profile.time_nanos, after.time_nanos);
  EXPECT_EQ(d.profile.duration_nanos, after.time_nanos - before.time_nanos);
}

TEST(Delta, ACounterThatWentDownMeansTheProcessRestarted) {
  Profile before = LoadTestdata("allocs-a2.pb.gz");
  Profile after = LoadTestdata("allocs-a.pb.gz");
  DeltaResult d = Delta(before, after).value();
  EXPECT_TRUE(d.reset);
  EXPECT_EQ(d.profile.samples.size(), after.samples.size());
}

TEST(Delta, OfAProfileWithItselfIsEmptyForCumulativeTypes) {
  Profile block = LoadTestdata("block-a.pb.gz");
  DeltaResult d = Delta(block, block).value();
  EXPECT_FALSE(d.reset);
  EXPECT_TRUE(d.profile.samples.empty());
}

TEST(Delta, RejectsProfilesOfDifferentTypes) {
  EXPECT_FALSE(Delta(LoadTestdata("block-a.pb.gz"), LoadTestdata("heap-a.pb.gz")).ok());
}

}  // namespace
}  // namespace kprof::pprof
