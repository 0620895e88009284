#include "pprof/diff.h"

#include <gtest/gtest.h>

#include "pprof/merge.h"
#include "testdata.h"

namespace kprof::pprof {
namespace {

using testutil::PrepareTestdata;

TEST(Diff, PutsTheRegressedFunctionFirst) {
  // Instance b runs work variant v2, which spends far more CPU in main.regressedFunc.
  auto report = BuildDiff(PrepareTestdata("cpu-a.pb.gz"), PrepareTestdata("cpu-b.pb.gz"),
                          DiffNormalization::kTotal)
                    .value();
  ASSERT_FALSE(report.rows.empty());
  EXPECT_EQ(report.rows[0].name, "main.regressedFunc");
  EXPECT_GT(report.rows[0].delta_flat(), 0.10);
  // Shares of each total add up to one on both sides.
  double base = 0, comparison = 0;
  for (const DiffRow& r : report.rows) {
    base += r.base_flat;
    comparison += r.comparison_flat;
  }
  EXPECT_NEAR(base, 1.0, 1e-9);
  EXPECT_NEAR(comparison, 1.0, 1e-9);
}

TEST(Diff, PerSecondDividesByDuration) {
  PreparedProfile a = PrepareTestdata("cpu-a.pb.gz");
  auto report = BuildDiff(a, a, DiffNormalization::kPerSecond).value();
  double seconds = static_cast<double>(a.profile.duration_nanos) / 1e9;
  double sum = 0;
  for (const DiffRow& r : report.rows) {
    EXPECT_DOUBLE_EQ(r.delta_flat(), 0);
    sum += r.base_flat;
  }
  EXPECT_NEAR(sum, static_cast<double>(a.total) / seconds, 1.0);
}

TEST(Diff, PerSecondNeedsADuration) {
  PreparedProfile heap = PrepareTestdata("heap-a.pb.gz");
  auto report = BuildDiff(heap, heap, DiffNormalization::kPerSecond);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("--normalize=total"), std::string::npos);
}

TEST(Diff, RefusesDifferentSampleTypes) {
  EXPECT_FALSE(BuildDiff(PrepareTestdata("cpu-a.pb.gz"), PrepareTestdata("heap-a.pb.gz"),
                         DiffNormalization::kTotal)
                   .ok());
}

TEST(DiffProfile, SubtractsScaledBase) {
  Profile a = testutil::LoadTestdata("cpu-a.pb.gz");
  Profile d = DiffProfile(a, a, 1.0).value();
  EXPECT_TRUE(d.samples.empty());
  Profile b = testutil::LoadTestdata("cpu-b.pb.gz");
  Profile d2 = DiffProfile(a, b, 1.0).value();
  EXPECT_EQ(testutil::TotalOf(d2, 1), testutil::TotalOf(b, 1) - testutil::TotalOf(a, 1));
}

// Under total normalization each sample type is scaled by its own ratio: a heap
// profile's in-use and allocated values do not change together.
TEST(DiffProfile, ScalesEachSampleTypeByItsOwnTotals) {
  Profile a = testutil::LoadTestdata("heap-a.pb.gz");
  Profile b = testutil::LoadTestdata("heap-b.pb.gz");
  ASSERT_EQ(a.num_values(), 4u);
  DiffReport report;
  report.normalization = DiffNormalization::kTotal;
  report.base_total = testutil::TotalOf(a, 3);
  report.comparison_total = testutil::TotalOf(b, 3);
  std::vector<double> scales = DiffScales(report, a, b);
  ASSERT_EQ(scales.size(), 4u);
  for (size_t t = 0; t < 4; ++t) {
    ASSERT_NE(testutil::TotalOf(a, t), 0);
    EXPECT_DOUBLE_EQ(scales[t], static_cast<double>(testutil::TotalOf(b, t)) /
                                    static_cast<double>(testutil::TotalOf(a, t)));
  }
  // Every type of the diff then sums to about zero: shares compared, not sizes.
  Profile d = DiffProfile(a, b, scales).value();
  for (size_t t = 0; t < 4; ++t) {
    EXPECT_LE(std::llabs(testutil::TotalOf(d, t)),
              static_cast<long long>(a.samples.size() + b.samples.size()))
        << t;
  }
  // Other normalizations use one scale for every type.
  report.normalization = DiffNormalization::kNone;
  EXPECT_EQ(DiffScales(report, a, b), std::vector<double>(4, 1.0));
}

}  // namespace
}  // namespace kprof::pprof
