// Kubernetes objects: accessors and RFC 3339 times. The JSON decoders are in
// object_decode.cc and parse.cc.
#include "kube/objects.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace kprof::kube {

const std::string* FindPair(const StringPairs& pairs, std::string_view key) {
  auto it = std::lower_bound(pairs.begin(), pairs.end(), key,
                             [](const auto& pair, std::string_view k) { return pair.first < k; });
  if (it == pairs.end() || it->first != key) return nullptr;
  return &it->second;
}

const OwnerReference* ObjectMeta::Controller() const {
  for (const OwnerReference& owner : owners) {
    if (owner.controller) return &owner;
  }
  return nullptr;
}

std::int64_t Event::Time() const {
  if (event_time != 0) return event_time;
  if (last_time != 0) return last_time;
  if (first_time != 0) return first_time;
  return meta.creation_time;
}

// ---- RFC 3339 ----

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool IsLeapYear(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned DaysInMonth(std::int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Reads exactly `n` decimal digits at `pos`.
bool ReadDigits(std::string_view s, std::size_t pos, std::size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

Status TimeError(std::string_view text, std::string_view why) {
  std::string quoted(text.substr(0, 64));
  return InvalidArgument("time \"" + quoted + "\": " + std::string(why));
}

}  // namespace

Result<std::int64_t> ParseTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  unsigned year, month, day, hour, minute, second;
  if (s.size() < 19 || !ReadDigits(s, 0, 4, &year) || s[4] != '-' || !ReadDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadDigits(s, 11, 2, &hour) || s[13] != ':' || !ReadDigits(s, 14, 2, &minute) ||
      s[16] != ':' || !ReadDigits(s, 17, 2, &second)) {
    return TimeError(s, "not RFC 3339 (2006-01-02T15:04:05Z)");
  }
  if (month < 1 || month > 12) return TimeError(s, "month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return TimeError(s, "day out of range");
  if (hour > 23 || minute > 59 || second > 59) return TimeError(s, "time of day out of range");
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return TimeError(s, "empty fraction");
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    unsigned oh, om;
    if (!ReadDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return TimeError(s, "bad UTC offset");
    }
    offset_seconds = std::int64_t{oh} * 3600 + std::int64_t{om} * 60;
    if (s[pos] == '-') offset_seconds = -offset_seconds;
    pos += 6;
  } else {
    return TimeError(s, "missing time zone (Z or ±hh:mm)");
  }
  if (pos != s.size()) return TimeError(s, "trailing text");

  // Years are at most 9999, so this cannot overflow; the nanosecond product can.
  const std::int64_t seconds = DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 +
                               minute * 60 + second - offset_seconds;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  if (seconds > (kMax - nanos) / kNanosPerSecond || seconds < kMin / kNanosPerSecond) {
    return TimeError(s, "outside the representable range (1678 to 2262)");
  }
  return seconds * kNanosPerSecond + nanos;
}

std::string FormatTime(std::int64_t unix_nanos) {
  std::int64_t seconds = unix_nanos / kNanosPerSecond;
  std::int64_t nanos = unix_nanos % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t day_seconds = seconds % kSecondsPerDay;
  if (day_seconds < 0) {
    day_seconds += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[48];
  int n = std::snprintf(
      buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(date.year),
      date.month, date.day, static_cast<long long>(day_seconds / 3600),
      static_cast<long long>(day_seconds / 60 % 60), static_cast<long long>(day_seconds % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string_view f(frac);
    while (f.back() == '0') f.remove_suffix(1);
    out += f;
  }
  out += 'Z';
  return out;
}

}  // namespace kprof::kube
