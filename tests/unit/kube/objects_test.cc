#include "kube/objects.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace kprof::kube {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
// 2024-05-01T10:00:00Z
constexpr std::int64_t kMay1 = 1'714'557'600 * kSecond;

std::int64_t TimeOrDie(std::string_view text) {
  Result<std::int64_t> t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : -1;
}

std::string TimeError(std::string_view text) {
  Result<std::int64_t> t = ParseTime(text);
  EXPECT_FALSE(t.ok()) << text << " parsed as " << *t;
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

TEST(ParseTime, ParsesUtcSeconds) {
  EXPECT_EQ(TimeOrDie("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(TimeOrDie("2024-05-01T10:00:00Z"), kMay1);
  EXPECT_EQ(TimeOrDie("2024-05-01t10:00:00z"), kMay1);
  EXPECT_EQ(TimeOrDie("1969-12-31T23:59:59Z"), -kSecond);
  EXPECT_EQ(TimeOrDie("2024-02-29T00:00:00Z"), 1'709'164'800 * kSecond);
}

TEST(ParseTime, ParsesFractionsToNanoseconds) {
  EXPECT_EQ(TimeOrDie("2024-05-01T10:00:00.5Z"), kMay1 + 500'000'000);
  EXPECT_EQ(TimeOrDie("2024-05-01T10:00:00.123456Z"), kMay1 + 123'456'000);
  EXPECT_EQ(TimeOrDie("2024-05-01T10:00:00.123456789Z"), kMay1 + 123'456'789);
  // Digits past nanoseconds are dropped, as Go does.
  EXPECT_EQ(TimeOrDie("2024-05-01T10:00:00.1234567891234Z"), kMay1 + 123'456'789);
}

TEST(ParseTime, AppliesUtcOffsets) {
  EXPECT_EQ(TimeOrDie("2024-05-01T12:00:00+02:00"), kMay1);
  EXPECT_EQ(TimeOrDie("2024-05-01T02:00:00-08:00"), kMay1);
  EXPECT_EQ(TimeOrDie("2024-05-01T15:30:00.25+05:30"), kMay1 + 250'000'000);
}

TEST(ParseTime, RejectsMalformedText) {
  EXPECT_NE(TimeError("").find("not RFC 3339"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01").find("not RFC 3339"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01 10:00:00Z").find("not RFC 3339"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00").find("time zone"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00.Z").find("empty fraction"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00Zjunk").find("trailing"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00+2:00").find("offset"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00+02").find("offset"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:00:00+24:00").find("offset"), std::string::npos);
  EXPECT_NE(TimeError("-024-05-01T10:00:00Z").find("not RFC 3339"), std::string::npos);
}

TEST(ParseTime, RejectsImpossibleDates) {
  EXPECT_NE(TimeError("2023-02-29T00:00:00Z").find("day"), std::string::npos);
  EXPECT_NE(TimeError("2024-04-31T00:00:00Z").find("day"), std::string::npos);
  EXPECT_NE(TimeError("2024-13-01T00:00:00Z").find("month"), std::string::npos);
  EXPECT_NE(TimeError("2024-00-01T00:00:00Z").find("month"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T24:00:00Z").find("time of day"), std::string::npos);
  EXPECT_NE(TimeError("2024-05-01T10:60:00Z").find("time of day"), std::string::npos);
}

TEST(ParseTime, RejectsTimesOutsideInt64Nanoseconds) {
  EXPECT_NE(TimeError("2263-01-01T00:00:00Z").find("range"), std::string::npos);
  EXPECT_NE(TimeError("1600-01-01T00:00:00Z").find("range"), std::string::npos);
  EXPECT_NE(TimeError("9999-12-31T23:59:59.999999999-23:59").find("range"), std::string::npos);
  EXPECT_EQ(TimeOrDie("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
}

TEST(ParseTime, QuotesOnlyTheStartOfLongInput) {
  std::string message = TimeError(std::string(10000, '7'));
  EXPECT_LT(message.size(), 200u);
}

TEST(FormatTime, WritesUtcWithTrimmedFraction) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(kMay1), "2024-05-01T10:00:00Z");
  EXPECT_EQ(FormatTime(kMay1 + 500'000'000), "2024-05-01T10:00:00.5Z");
  EXPECT_EQ(FormatTime(kMay1 + 123'456'000), "2024-05-01T10:00:00.123456Z");
  EXPECT_EQ(FormatTime(kMay1 + 1), "2024-05-01T10:00:00.000000001Z");
  EXPECT_EQ(FormatTime(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTime(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatTime(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
}

TEST(FormatTime, RoundTripsThroughParseTime) {
  for (std::int64_t t : {std::int64_t{0}, kMay1, kMay1 + 7, -kSecond * 86400 * 365 * 50 + 3,
                         std::int64_t{951'782'400} * kSecond}) {
    EXPECT_EQ(TimeOrDie(FormatTime(t)), t) << FormatTime(t);
  }
}

TEST(FindPair, FindsKeysInSortedPairs) {
  StringPairs pairs = {{"app", "web"}, {"pod-template-hash", "abc"}, {"tier", "front"}};
  ASSERT_NE(FindPair(pairs, "app"), nullptr);
  EXPECT_EQ(*FindPair(pairs, "app"), "web");
  EXPECT_EQ(*FindPair(pairs, "tier"), "front");
  EXPECT_EQ(FindPair(pairs, "ap"), nullptr);
  EXPECT_EQ(FindPair(pairs, "zzz"), nullptr);
  EXPECT_EQ(FindPair({}, "app"), nullptr);
}

TEST(ObjectMeta, ControllerIsTheOwnerMarkedController) {
  ObjectMeta meta;
  EXPECT_EQ(meta.Controller(), nullptr);
  meta.owners.push_back({"v1", "ConfigMap", "cm", "u1", false});
  EXPECT_EQ(meta.Controller(), nullptr);
  meta.owners.push_back({"apps/v1", "ReplicaSet", "web-1", "u2", true});
  ASSERT_NE(meta.Controller(), nullptr);
  EXPECT_EQ(meta.Controller()->name, "web-1");
}

TEST(Event, TimePrefersEventTimeThenLastThenFirstThenCreation) {
  Event e;
  e.meta.creation_time = 1;
  EXPECT_EQ(e.Time(), 1);
  e.first_time = 2;
  EXPECT_EQ(e.Time(), 2);
  e.last_time = 3;
  EXPECT_EQ(e.Time(), 3);
  e.event_time = 4;
  EXPECT_EQ(e.Time(), 4);
}

}  // namespace
}  // namespace kprof::kube
