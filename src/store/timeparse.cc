#include "store/timeparse.h"

#include <cstdio>
#include <initializer_list>
#include <limits>

#include "store/labels.h"

namespace kprof::store {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr std::string_view kRangeNote =
    "outside the representable range (1677-09-21 to 2262-04-11 UTC)";
constexpr std::string_view kTimeForms =
    "use RFC 3339 (2026-11-21T10:00:00Z), unix seconds (1700000000), unix milliseconds "
    "(1700000000000) or a relative time (now, now-1h, -15m)";
constexpr std::string_view kUnits = "ns, us, ms, s, m, h, d or w";

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month, day;
};

CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = doy - (153 * mp + 2) / 5 + 1;
  date.month = mp < 10 ? mp + 3 : mp - 9;
  date.year = static_cast<int64_t>(yoe) + era * 400 + (date.month <= 2);
  return date;
}

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

const char* MonthName(unsigned month) {
  static constexpr const char* kNames[] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
  return kNames[month - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `count` digits at text[pos...], or false.
bool ReadDigits(std::string_view text, size_t pos, size_t count, unsigned* out) {
  if (pos + count > text.size()) return false;
  unsigned value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

struct CivilTime {
  unsigned year, month, day, hour, minute, second;
};

// "YYYY-MM-DDTHH:MM:SS" at the start of `text`: the shape only, not the ranges.
bool ReadDateTime(std::string_view text, bool lowercase_t, CivilTime* t) {
  return ReadDigits(text, 0, 4, &t->year) && text.size() >= 19 && text[4] == '-' &&
         ReadDigits(text, 5, 2, &t->month) && text[7] == '-' && ReadDigits(text, 8, 2, &t->day) &&
         (text[10] == 'T' || (lowercase_t && text[10] == 't')) &&
         ReadDigits(text, 11, 2, &t->hour) && text[13] == ':' &&
         ReadDigits(text, 14, 2, &t->minute) && text[16] == ':' &&
         ReadDigits(text, 17, 2, &t->second);
}

Status TimeError(std::string_view text, std::string_view problem) {
  return InvalidArgument("time " + QuoteString(text, 64) + ": " + std::string(problem));
}

Status CheckRanges(std::string_view text, const CivilTime& t) {
  if (t.month < 1 || t.month > 12) {
    return TimeError(text, "month " + std::to_string(t.month) + " is not in 1-12");
  }
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) {
    return TimeError(text, "day " + std::to_string(t.day) + " is not in " + MonthName(t.month) +
                               " " + std::to_string(t.year));
  }
  if (t.hour > 23) return TimeError(text, "hour " + std::to_string(t.hour) + " is not in 0-23");
  if (t.minute > 59) {
    return TimeError(text, "minute " + std::to_string(t.minute) + " is not in 0-59");
  }
  if (t.second > 59) {
    return TimeError(text, "second " + std::to_string(t.second) + " is not in 0-59");
  }
  return Status::Ok();
}

// Unix nanoseconds of a validated civil time at UTC offset `offset_seconds`, plus
// `nanos`.
Result<int64_t> ToUnixNanos(std::string_view text, const CivilTime& t, int64_t offset_seconds,
                            int64_t nanos) {
  // Four-digit years keep every intermediate far inside int64 seconds.
  int64_t seconds = DaysFromCivil(t.year, t.month, t.day) * kSecondsPerDay +
                    int64_t{t.hour} * 3600 + int64_t{t.minute} * 60 + t.second - offset_seconds;
  // In 128 bits: the earliest representable second times 1e9 is below the int64 range
  // even though adding its fraction brings it back in.
  __int128 result = static_cast<__int128>(seconds) * kNanosPerSecond + nanos;
  if (result < std::numeric_limits<int64_t>::min() ||
      result > std::numeric_limits<int64_t>::max()) {
    return TimeError(text, kRangeNote);
  }
  return static_cast<int64_t>(result);
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  CivilTime t;
  if (!ReadDateTime(text, /*lowercase_t=*/true, &t)) {
    return TimeError(text, "expected an RFC 3339 time like 2026-11-21T10:00:00Z");
  }
  KPROF_RETURN_IF_ERROR(CheckRanges(text, t));
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return TimeError(text, "expected digits after the '.'");
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z" || zone.empty()) {
    // UTC; no zone at all is UTC too, as in profefe's format.
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    unsigned hours, minutes;
    if (!ReadDigits(zone, 1, 2, &hours) || !ReadDigits(zone, 4, 2, &minutes) || hours > 23 ||
        minutes > 59) {
      return TimeError(text, "zone offset " + QuoteString(zone) + " is not a valid ±HH:MM");
    }
    offset_seconds = int64_t{hours} * 3600 + int64_t{minutes} * 60;
    if (zone[0] == '-') offset_seconds = -offset_seconds;
  } else {
    return TimeError(text, "expected Z or a zone offset like +02:00 after the seconds, found " +
                               QuoteString(zone, 16));
  }
  return ToUnixNanos(text, t, offset_seconds, nanos);
}

Result<int64_t> ParseUnix(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) {
    return TimeError(text, kTimeForms);
  }
  for (std::string_view digits : {whole, fraction}) {
    for (char c : digits) {
      if (!IsDigit(c)) return TimeError(text, kTimeForms);
    }
  }
  if (whole.size() > 19) return TimeError(text, kRangeNote);
  int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');  // < 10^19: no overflow
  int64_t result;
  if (whole.size() >= 13) {
    if (!fraction.empty()) {
      return TimeError(text, "a timestamp with a fraction must be in seconds, not milliseconds");
    }
    if (__builtin_mul_overflow(value, int64_t{1'000'000}, &result)) {
      return TimeError(text, kRangeNote);
    }
    return result;
  }
  int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    nanos = nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  if (__builtin_mul_overflow(value, kNanosPerSecond, &result) ||
      __builtin_add_overflow(result, nanos, &result)) {
    return TimeError(text, kRangeNote);
  }
  return result;
}

// `now_nanos` moved by the duration in `text` (which starts with '+' or '-').
Result<int64_t> ParseRelative(std::string_view whole_text, std::string_view text,
                              int64_t now_nanos) {
  Result<int64_t> duration = ParseDuration(text.substr(1));
  if (!duration.ok()) {
    return duration.status().WithContext("time " + QuoteString(whole_text, 64));
  }
  int64_t result;
  bool overflow = text[0] == '-' ? __builtin_sub_overflow(now_nanos, *duration, &result)
                                 : __builtin_add_overflow(now_nanos, *duration, &result);
  if (overflow) return TimeError(whole_text, kRangeNote);
  return result;
}

struct SplitNanos {
  int64_t seconds;  // floor(nanos / 1e9)
  int64_t nanos;    // in [0, 1e9)
};

SplitNanos Split(int64_t unix_nanos) {
  SplitNanos split{unix_nanos / kNanosPerSecond, unix_nanos % kNanosPerSecond};
  if (split.nanos < 0) {
    split.seconds -= 1;
    split.nanos += kNanosPerSecond;
  }
  return split;
}

// "YYYY-MM-DDTHH:MM:SS" of unix seconds.
std::string FormatDateTime(int64_t unix_seconds) {
  int64_t days = unix_seconds / kSecondsPerDay;
  int64_t second_of_day = unix_seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    days -= 1;
    second_of_day += kSecondsPerDay;
  }
  CivilDate date = CivilFromDays(days);
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02u-%02uT%02d:%02d:%02d",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60));
  return buffer;
}

}  // namespace

Result<int64_t> ParseProfefeTime(std::string_view text) {
  CivilTime t;
  if (text.size() != 19 || !ReadDateTime(text, /*lowercase_t=*/false, &t)) {
    return TimeError(text, "expected the form 2006-01-02T15:04:05 (UTC, no zone)");
  }
  KPROF_RETURN_IF_ERROR(CheckRanges(text, t));
  return ToUnixNanos(text, t, 0, 0);
}

std::string FormatProfefeTime(int64_t unix_nanos) {
  return FormatDateTime(Split(unix_nanos).seconds);
}

Result<int64_t> ParseTime(std::string_view text, int64_t now_nanos) {
  if (text.empty()) return InvalidArgument("time is empty; " + std::string(kTimeForms));
  if (text.starts_with("now")) {
    std::string_view rest = text.substr(3);
    if (rest.empty()) return now_nanos;
    if (rest[0] == '-' || rest[0] == '+') return ParseRelative(text, rest, now_nanos);
    return TimeError(text, "expected now, now-DURATION or now+DURATION (now-1h)");
  }
  if (text[0] == '-' || text[0] == '+') return ParseRelative(text, text, now_nanos);
  if (text.size() > 4 && IsDigit(text[0]) && text[4] == '-') return ParseRfc3339(text);
  if (IsDigit(text[0])) return ParseUnix(text);
  return TimeError(text, kTimeForms);
}

Result<int64_t> ParseDuration(std::string_view text) {
  const auto error = [text](std::string_view problem) {
    return InvalidArgument("duration " + QuoteString(text, 64) + ": " + std::string(problem));
  };
  if (text.empty()) return InvalidArgument("duration is empty; write e.g. 1h30m, 10s or 250ms");
  std::string_view s = text;
  if (s[0] == '-') return error("must not be negative");
  if (s[0] == '+') s.remove_prefix(1);
  if (s == "0") return int64_t{0};
  if (s.empty()) return error("expected a number and a unit, e.g. 1h30m, 10s or 250ms");

  using Wide = unsigned __int128;
  constexpr Wide kMax = std::numeric_limits<int64_t>::max();
  Wide total = 0;
  while (!s.empty()) {
    if (!(IsDigit(s[0]) || s[0] == '.')) {
      return error("expected a number at " + QuoteString(s, 16) + ", e.g. 1h30m, 10s or 250ms");
    }
    Wide whole = 0;
    size_t whole_digits = 0;
    while (!s.empty() && IsDigit(s[0])) {
      whole = whole * 10 + (s[0] - '0');
      if (whole > kMax) return error("larger than the int64 range (about 292 years)");
      ++whole_digits;
      s.remove_prefix(1);
    }
    // Fraction digits past 18 are below a nanosecond for every unit, so they are ignored.
    Wide fraction = 0;
    Wide scale = 1;
    size_t fraction_digits = 0;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      while (!s.empty() && IsDigit(s[0])) {
        if (fraction_digits < 18) {
          fraction = fraction * 10 + (s[0] - '0');
          scale *= 10;
        }
        ++fraction_digits;
        s.remove_prefix(1);
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) return error("expected digits around '.'");
    size_t unit_length = 0;
    while (unit_length < s.size() && !IsDigit(s[unit_length]) && s[unit_length] != '.') {
      ++unit_length;
    }
    std::string_view unit_name = s.substr(0, unit_length);
    s.remove_prefix(unit_length);
    int64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\u00b5s" || unit_name == "\u03bcs") {
      unit = 1'000;
    } else if (unit_name == "ms") {
      unit = 1'000'000;
    } else if (unit_name == "s") {
      unit = kNanosPerSecond;
    } else if (unit_name == "m") {
      unit = 60 * kNanosPerSecond;
    } else if (unit_name == "h") {
      unit = 3600 * kNanosPerSecond;
    } else if (unit_name == "d") {
      unit = kSecondsPerDay * kNanosPerSecond;
    } else if (unit_name == "w") {
      unit = 7 * kSecondsPerDay * kNanosPerSecond;
    } else if (unit_name.empty()) {
      return error("missing unit; units are " + std::string(kUnits));
    } else {
      return error("unknown unit " + QuoteString(unit_name, 16) + "; units are " +
                   std::string(kUnits));
    }
    total += whole * unit + fraction * unit / scale;
    if (total > kMax) return error("larger than the int64 range (about 292 years)");
  }
  return static_cast<int64_t>(total);
}

std::string FormatRfc3339(int64_t unix_nanos) {
  SplitNanos split = Split(unix_nanos);
  std::string out = FormatDateTime(split.seconds);
  if (split.nanos != 0) {
    char digits[16];
    std::snprintf(digits, sizeof(digits), ".%09lld", static_cast<long long>(split.nanos));
    std::string_view fraction(digits);
    while (fraction.back() == '0') fraction.remove_suffix(1);
    out += fraction;
  }
  out += 'Z';
  return out;
}

}  // namespace kprof::store
