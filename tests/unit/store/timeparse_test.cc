#include "store/timeparse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace kprof::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// 2026-11-21T10:00:00Z.
constexpr int64_t kNow = 1'795'255'200 * kSecond;

int64_t ProfefeOrDie(std::string_view text) {
  Result<int64_t> t = ParseProfefeTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : -1;
}

int64_t TimeOrDie(std::string_view text, int64_t now = kNow) {
  Result<int64_t> t = ParseTime(text, now);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : -1;
}

int64_t DurationOrDie(std::string_view text) {
  Result<int64_t> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : -1;
}

std::string ProfefeError(std::string_view text) {
  Result<int64_t> t = ParseProfefeTime(text);
  EXPECT_FALSE(t.ok()) << text << " parsed as " << *t;
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

std::string TimeError(std::string_view text) {
  Result<int64_t> t = ParseTime(text, kNow);
  EXPECT_FALSE(t.ok()) << text << " parsed as " << *t;
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

std::string DurationError(std::string_view text) {
  Result<int64_t> d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << *d;
  if (d.ok()) return "";
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  return d.status().message();
}

TEST(ParseProfefeTime, ParsesUtcWithoutZone) {
  EXPECT_EQ(ProfefeOrDie("1970-01-01T00:00:00"), 0);
  EXPECT_EQ(ProfefeOrDie("2026-11-21T10:00:00"), kNow);
  EXPECT_EQ(ProfefeOrDie("2023-11-14T22:13:20"), 1'700'000'000 * kSecond);
  EXPECT_EQ(ProfefeOrDie("2023-12-31T23:59:59"), 1'704'067'199 * kSecond);
  EXPECT_EQ(ProfefeOrDie("1969-12-31T23:59:59"), -kSecond);
  EXPECT_EQ(ProfefeOrDie("1900-03-01T00:00:00"), -2'203'891'200 * kSecond);
}

TEST(ParseProfefeTime, AcceptsLeapDaysOnlyInLeapYears) {
  EXPECT_EQ(ProfefeOrDie("2024-02-29T12:00:00"), 1'709'208'000 * kSecond);
  EXPECT_EQ(ProfefeOrDie("2000-02-29T00:00:00"), 951'782'400 * kSecond);  // divisible by 400
  EXPECT_EQ(ProfefeError("2023-02-29T00:00:00"),
            "time \"2023-02-29T00:00:00\": day 29 is not in February 2023");
  EXPECT_EQ(ProfefeError("1900-02-29T00:00:00"),  // divisible by 100, not 400
            "time \"1900-02-29T00:00:00\": day 29 is not in February 1900");
  EXPECT_NE(ProfefeError("2024-02-30T00:00:00").find("day 30"), std::string::npos);
}

TEST(ParseProfefeTime, RejectsOutOfRangeFields) {
  EXPECT_EQ(ProfefeError("2026-13-01T00:00:00"),
            "time \"2026-13-01T00:00:00\": month 13 is not in 1-12");
  EXPECT_NE(ProfefeError("2026-00-01T00:00:00").find("month 0"), std::string::npos);
  EXPECT_NE(ProfefeError("2026-01-00T00:00:00").find("day 0"), std::string::npos);
  EXPECT_NE(ProfefeError("2026-04-31T00:00:00").find("day 31 is not in April 2026"),
            std::string::npos);
  EXPECT_EQ(ProfefeError("2026-01-01T24:00:00"),
            "time \"2026-01-01T24:00:00\": hour 24 is not in 0-23");
  EXPECT_NE(ProfefeError("2026-01-01T00:60:00").find("minute 60"), std::string::npos);
  EXPECT_NE(ProfefeError("2026-01-01T00:00:60").find("second 60"), std::string::npos);
}

TEST(ParseProfefeTime, RequiresTheExactFormat) {
  for (const char* text :
       {"", "2026-11-21", "2026-11-21T10:00", "2026-11-21T10:00:00Z", "2026-11-21T10:00:00.5",
        "2026-11-21 10:00:00", "2026-11-21t10:00:00", "2026-1-21T10:00:00", "26-11-21T10:00:00",
        "2026/11/21T10:00:00", " 2026-11-21T10:00:00", "2026-11-21T10:00:00 ",
        "+2026-11-21T10:00:0", "2026-11-21T10:0a:00", "1700000000"}) {
    std::string error = ProfefeError(text);
    EXPECT_NE(error.find("expected the form 2006-01-02T15:04:05 (UTC, no zone)"), std::string::npos)
        << text << ": " << error;
  }
}

TEST(ParseProfefeTime, RejectsTimesOutsideTheNanosecondRange) {
  EXPECT_EQ(ProfefeOrDie("2262-04-11T23:47:16"), 9'223'372'036 * kSecond);
  EXPECT_EQ(ProfefeOrDie("1677-09-21T00:12:44"), -9'223'372'036 * kSecond);
  EXPECT_NE(ProfefeError("2262-04-11T23:47:17").find("outside the representable range"),
            std::string::npos);
  EXPECT_NE(ProfefeError("1677-09-21T00:12:43").find("outside the representable range"),
            std::string::npos);
  EXPECT_NE(ProfefeError("9999-12-31T23:59:59").find("outside"), std::string::npos);
  EXPECT_NE(ProfefeError("0000-01-01T00:00:00").find("outside"), std::string::npos);
}

TEST(FormatProfefeTime, FormatsAndDropsSubseconds) {
  EXPECT_EQ(FormatProfefeTime(0), "1970-01-01T00:00:00");
  EXPECT_EQ(FormatProfefeTime(kNow), "2026-11-21T10:00:00");
  EXPECT_EQ(FormatProfefeTime(kNow + kSecond - 1), "2026-11-21T10:00:00");
  // Before 1970 the fraction rounds towards the past, not towards zero.
  EXPECT_EQ(FormatProfefeTime(-1), "1969-12-31T23:59:59");
  EXPECT_EQ(FormatProfefeTime(kMax), "2262-04-11T23:47:16");
  EXPECT_EQ(FormatProfefeTime(kMin), "1677-09-21T00:12:43");
}

TEST(FormatProfefeTime, RoundTripsEveryDayAcrossLeapYears) {
  // Every day from 1896 to 2104 (covering 1900 and 2100, which are not leap years, and
  // 2000, which is), at a time of day that changes with the day.
  for (int64_t day = -27'000; day <= 48'600; ++day) {
    int64_t nanos = day * kDay + (day % 86'400 + 86'400) % 86'400 * kSecond;
    std::string text = FormatProfefeTime(nanos);
    Result<int64_t> parsed = ParseProfefeTime(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    ASSERT_EQ(*parsed, nanos) << text;
  }
  EXPECT_EQ(FormatProfefeTime(ProfefeOrDie("2100-02-28T00:00:00") + kDay), "2100-03-01T00:00:00");
  EXPECT_EQ(FormatProfefeTime(ProfefeOrDie("2000-02-28T00:00:00") + kDay), "2000-02-29T00:00:00");
}

TEST(ParseTime, AcceptsRfc3339InUtc) {
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00Z"), kNow);
  EXPECT_EQ(TimeOrDie("2026-11-21t10:00:00z"), kNow);
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00"), kNow);  // no zone: UTC, like profefe
}

TEST(ParseTime, AppliesZoneOffsets) {
  EXPECT_EQ(TimeOrDie("2026-11-21T12:00:00+02:00"), kNow);
  EXPECT_EQ(TimeOrDie("2026-11-21T05:30:00-04:30"), kNow);
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00-00:00"), kNow);
  EXPECT_EQ(TimeOrDie("2026-11-22T09:59:00+23:59"), kNow);
  // The offset can move the date across a year boundary.
  EXPECT_EQ(TimeOrDie("2026-01-01T01:00:00+02:00"), TimeOrDie("2025-12-31T23:00:00Z"));
}

TEST(ParseTime, AcceptsFractionalSeconds) {
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00.5Z"), kNow + kSecond / 2);
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00.123456789Z"), kNow + 123'456'789);
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00.000000001Z"), kNow + 1);
  EXPECT_EQ(TimeOrDie("2026-11-21T12:00:00.25+02:00"), kNow + kSecond / 4);
  // Digits past nanoseconds are truncated, as Go does.
  EXPECT_EQ(TimeOrDie("2026-11-21T10:00:00.1234567899Z"), kNow + 123'456'789);
}

TEST(ParseTime, RejectsMalformedRfc3339) {
  EXPECT_NE(TimeError("2026-11-21T10:00:00.Z").find("expected digits after the '.'"),
            std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:00+2:00").find("expected Z or a zone offset"),
            std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:00+0200").find("expected Z or a zone offset"),
            std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:00 UTC").find("expected Z or a zone offset"),
            std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:00+24:00").find("not a valid ±HH:MM"), std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:00+02:60").find("not a valid ±HH:MM"), std::string::npos);
  EXPECT_NE(TimeError("2026-11-21").find("expected an RFC 3339 time"), std::string::npos);
  EXPECT_NE(TimeError("2026-11-21 10:00:00Z").find("expected an RFC 3339 time"), std::string::npos);
  EXPECT_NE(TimeError("2023-02-29T00:00:00Z").find("day 29 is not in February 2023"),
            std::string::npos);
  EXPECT_NE(TimeError("2026-11-21T10:00:60Z").find("second 60"), std::string::npos);
}

TEST(ParseTime, AcceptsUnixSecondsWithOptionalFraction) {
  EXPECT_EQ(TimeOrDie("0"), 0);
  EXPECT_EQ(TimeOrDie("1700000000"), 1'700'000'000 * kSecond);
  EXPECT_EQ(TimeOrDie("1700000000.5"), 1'700'000'000 * kSecond + kSecond / 2);
  EXPECT_EQ(TimeOrDie("1700000000.000000001"), 1'700'000'000 * kSecond + 1);
  EXPECT_EQ(TimeOrDie("1700000000.1234567891"), 1'700'000'000 * kSecond + 123'456'789);
}

TEST(ParseTime, TreatsThirteenOrMoreDigitsAsMilliseconds) {
  EXPECT_EQ(TimeOrDie("1700000000000"), 1'700'000'000 * kSecond);
  EXPECT_EQ(TimeOrDie("1700000000123"), 1'700'000'000 * kSecond + 123'000'000);
  EXPECT_EQ(TimeOrDie("0000000000001"), 1'000'000);
  EXPECT_NE(TimeError("1700000000000.5").find("must be in seconds"), std::string::npos);
}

TEST(ParseTime, RejectsUnixTimesOutsideTheRange) {
  EXPECT_EQ(TimeOrDie("9223372036"), 9'223'372'036 * kSecond);
  EXPECT_NE(TimeError("9223372037").find("outside the representable range"), std::string::npos);
  EXPECT_NE(TimeError("999999999999").find("outside"), std::string::npos);
  EXPECT_EQ(TimeOrDie("9223372036854"), 9'223'372'036'854 * 1'000'000);
  EXPECT_NE(TimeError("9223372036855").find("outside"), std::string::npos);
  EXPECT_NE(TimeError("99999999999999999999999").find("outside"), std::string::npos);
}

TEST(ParseTime, RejectsMalformedUnixTimes) {
  for (const char* text : {"1700000000.", "17000.00.5", "1700000000x", "1e9", "1700000000.5s", ".5",
                           "1,700,000,000"}) {
    std::string error = TimeError(text);
    EXPECT_NE(error.find("use RFC 3339"), std::string::npos) << text << ": " << error;
  }
}

TEST(ParseTime, RelativeTimesUseTheInjectedClock) {
  EXPECT_EQ(TimeOrDie("now"), kNow);
  EXPECT_EQ(TimeOrDie("now", 42), 42);
  EXPECT_EQ(TimeOrDie("now-1h"), kNow - kHour);
  EXPECT_EQ(TimeOrDie("now-30m"), kNow - 30 * kMinute);
  EXPECT_EQ(TimeOrDie("now+5m"), kNow + 5 * kMinute);
  EXPECT_EQ(TimeOrDie("now-1h30m"), kNow - 90 * kMinute);
  EXPECT_EQ(TimeOrDie("now-7d"), kNow - 7 * kDay);
  EXPECT_EQ(TimeOrDie("-15m"), kNow - 15 * kMinute);
  EXPECT_EQ(TimeOrDie("+1.5h"), kNow + 90 * kMinute);
  EXPECT_EQ(TimeOrDie("-15m", 0), -15 * kMinute);
}

TEST(ParseTime, RejectsMalformedRelativeTimes) {
  EXPECT_EQ(TimeError("now-"), "time \"now-\": duration is empty; write e.g. 1h30m, 10s or 250ms");
  EXPECT_EQ(TimeError("now-1x"),
            "time \"now-1x\": duration \"1x\": unknown unit \"x\"; units are ns, us, ms, s, m, h, "
            "d or w");
  EXPECT_NE(TimeError("-15").find("missing unit"), std::string::npos);
  EXPECT_NE(TimeError("now--1h").find("must not be negative"), std::string::npos);
  EXPECT_NE(TimeError("now - 1h").find("expected now, now-DURATION or now+DURATION"),
            std::string::npos);
  EXPECT_NE(TimeError("nowish").find("expected now"), std::string::npos);
  EXPECT_NE(TimeError("NOW").find("use RFC 3339"), std::string::npos);
}

TEST(ParseTime, RelativeTimesDoNotOverflow) {
  Result<int64_t> early = ParseTime("now-1h", kMin + kMinute);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("outside"), std::string::npos);
  Result<int64_t> late = ParseTime("now+1h", kMax - kMinute);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.status().message().find("outside"), std::string::npos);
}

TEST(ParseTime, RejectsEmptyAndUnknownText) {
  EXPECT_EQ(TimeError(""),
            "time is empty; use RFC 3339 (2026-11-21T10:00:00Z), unix seconds (1700000000), unix "
            "milliseconds (1700000000000) or a relative time (now, now-1h, -15m)");
  EXPECT_NE(TimeError("yesterday").find("use RFC 3339"), std::string::npos);
  EXPECT_NE(TimeError(" 1700000000").find("use RFC 3339"), std::string::npos);
}

TEST(ParseDuration, ParsesGoDurations) {
  EXPECT_EQ(DurationOrDie("0"), 0);
  EXPECT_EQ(DurationOrDie("+0"), 0);
  EXPECT_EQ(DurationOrDie("10s"), 10 * kSecond);
  EXPECT_EQ(DurationOrDie("250ms"), 250'000'000);
  EXPECT_EQ(DurationOrDie("1h30m"), 90 * kMinute);
  EXPECT_EQ(DurationOrDie("1.5h"), 90 * kMinute);
  EXPECT_EQ(DurationOrDie("+5m"), 5 * kMinute);
  EXPECT_EQ(DurationOrDie("1h2m3s4ms5us6ns"),
            kHour + 2 * kMinute + 3 * kSecond + 4'000'000 + 5'000 + 6);
  EXPECT_EQ(DurationOrDie("3\u00b5s"), 3'000);  // micro sign
  EXPECT_EQ(DurationOrDie("3\u03bcs"), 3'000);  // Greek mu
  EXPECT_EQ(DurationOrDie("0s"), 0);
  EXPECT_EQ(DurationOrDie("0.000000001s"), 1);
  EXPECT_EQ(DurationOrDie(".5s"), kSecond / 2);
  EXPECT_EQ(DurationOrDie("1.s"), kSecond);
  EXPECT_EQ(DurationOrDie("1m1m"), 2 * kMinute);  // Go sums repeated units
}

TEST(ParseDuration, FractionsAreExactAndTruncatedBelowNanoseconds) {
  EXPECT_EQ(DurationOrDie("0.1s"), 100'000'000);
  EXPECT_EQ(DurationOrDie("1.0000000019s"), kSecond + 1);
  EXPECT_EQ(DurationOrDie("0.333333333333333333333333h"), 1'199'999'999'999);
  EXPECT_EQ(DurationOrDie("1.1ns"), 1);
}

TEST(ParseDuration, AcceptsDaysAndWeeks) {
  EXPECT_EQ(DurationOrDie("1d"), kDay);
  EXPECT_EQ(DurationOrDie("2w"), 14 * kDay);
  EXPECT_EQ(DurationOrDie("1w2d3h"), 9 * kDay + 3 * kHour);
}

TEST(ParseDuration, RejectsNegativeAndMalformedDurations) {
  EXPECT_EQ(DurationError("-1h"), "duration \"-1h\": must not be negative");
  EXPECT_EQ(DurationError(""), "duration is empty; write e.g. 1h30m, 10s or 250ms");
  EXPECT_EQ(DurationError("10"),
            "duration \"10\": missing unit; units are ns, us, ms, s, m, h, d or w");
  EXPECT_EQ(DurationError("10x"),
            "duration \"10x\": unknown unit \"x\"; units are ns, us, ms, s, m, h, d or w");
  EXPECT_NE(DurationError("1h 30m").find("unknown unit \"h \""), std::string::npos);
  EXPECT_NE(DurationError("1H").find("unknown unit \"H\""), std::string::npos);
  EXPECT_NE(DurationError("h").find("expected a number"), std::string::npos);
  EXPECT_NE(DurationError(".s").find("expected digits around '.'"), std::string::npos);
  EXPECT_NE(DurationError("+").find("expected a number and a unit"), std::string::npos);
  EXPECT_NE(DurationError("1h-30m").find("unknown unit \"h-\""), std::string::npos);
  EXPECT_NE(DurationError(" 1h").find("expected a number"), std::string::npos);
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(DurationOrDie("9223372036854775807ns"), kMax);
  EXPECT_EQ(DurationOrDie("2562047h47m16.854775807s"), kMax);
  EXPECT_NE(DurationError("9223372036854775808ns").find("larger than the int64 range"),
            std::string::npos);
  EXPECT_NE(DurationError("2562048h").find("larger than the int64 range"), std::string::npos);
  EXPECT_NE(DurationError("2562047h47m16.854775808s").find("larger"), std::string::npos);
  EXPECT_NE(DurationError("99999999999999999999999999999s").find("larger"), std::string::npos);
  EXPECT_EQ(DurationOrDie("15250w"), 15250 * 7 * kDay);
  EXPECT_NE(DurationError("15251w").find("larger"), std::string::npos);
}

TEST(FormatRfc3339, WritesUtcWithZAndOnlyNeededFractionDigits) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(kNow), "2026-11-21T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(kNow + kSecond / 2), "2026-11-21T10:00:00.5Z");
  EXPECT_EQ(FormatRfc3339(kNow + 123'456'789), "2026-11-21T10:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339(kNow + 1'000), "2026-11-21T10:00:00.000001Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(kMax), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatRfc3339(kMin), "1677-09-21T00:12:43.145224192Z");
}

TEST(FormatRfc3339, RoundTripsThroughParseTime) {
  for (int64_t nanos : {int64_t{0}, kNow, kNow + 1, kNow + kSecond / 2, int64_t{-1},
                        -kDay - 123'456'789, kMax, kMin, 951'782'400 * kSecond + 7}) {
    std::string text = FormatRfc3339(nanos);
    Result<int64_t> parsed = ParseTime(text, kNow);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, nanos) << text;
  }
}

}  // namespace
}  // namespace kprof::store
