#include "pprof/units.h"

#include <gtest/gtest.h>

namespace kprof::pprof {
namespace {

TEST(Units, ScaledLabelPicksTheUnitAndTrimsZeroDecimals) {
  EXPECT_EQ(ScaledLabel(1500000, "nanoseconds", "ms"), "1.50ms");
  EXPECT_EQ(ScaledLabel(1024, "bytes", "kB"), "1kB");
  EXPECT_EQ(ScaledLabel(12779520, "bytes", "kB"), "12480kB");
  EXPECT_EQ(ScaledLabel(3110000000, "nanoseconds", "auto"), "3.11s");
  EXPECT_EQ(ScaledLabel(5400000000000, "nanoseconds", "auto"), "1.50hrs");
  EXPECT_EQ(ScaledLabel(4, "nanoseconds", "ms"), "0");
  EXPECT_EQ(ScaledLabel(-300, "nanoseconds", "ns"), "-300ns");
  EXPECT_EQ(ScaledLabel(42, "count", "minimum"), "42");
  EXPECT_EQ(ScaledLabel(5, "widgets", "widgets"), "5widgets");
  // 15 ms in seconds is 0.01499999…: pprof prints 0.01s.
  EXPECT_EQ(ScaledLabel(15000000, "nanoseconds", "s"), "0.01s");
}

TEST(Units, UnknownTargetFallsBackToTheFamilyDefault) {
  EXPECT_EQ(ScaleValue(1000, "bytes", "ms").second, "B");
  EXPECT_EQ(ScaleValue(1000000000, "nanoseconds", "count").second, "s");
  EXPECT_EQ(ScaleValue(102209, "count", "kb").second, "kb");
}

TEST(Units, MicrosecondSignIsNotRecognizedLikePprof) {
  EXPECT_FALSE(IsKnownUnit("\xce\xbcs"));
  EXPECT_TRUE(IsKnownUnit("microseconds"));
  EXPECT_TRUE(IsKnownUnit("Bytes"));
}

TEST(Units, PercentageFormatsLikePprof) {
  EXPECT_EQ(Percentage(1, 3), "33.33%");
  EXPECT_EQ(Percentage(9995, 10000), "  100%");
  EXPECT_EQ(Percentage(10006, 10000), "100.06%");
  EXPECT_EQ(Percentage(99949, 100000), "99.95%");
  EXPECT_EQ(Percentage(-5, 10), "50.00%");
  EXPECT_EQ(Percentage(0, 0), "    0%");
  EXPECT_EQ(Percentage(29, 100000), "0.029%");
  EXPECT_EQ(Percentage(1, 10), "10.00%");
  EXPECT_EQ(Percentage(600, 5400000000000), "1.1e-08%");
}

}  // namespace
}  // namespace kprof::pprof
