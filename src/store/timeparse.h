// Time and duration text in the HTTP APIs, as unix nanoseconds (int64_t).
//
// The representable range is that of int64 nanoseconds: 1677-09-21T00:12:43.145224192Z
// to 2262-04-11T23:47:16.854775807Z. Inputs outside it are errors, never wrapped values.
//
// Calendar arithmetic is proleptic Gregorian and UTC only; nothing here reads the
// process's time zone or locale. Errors are kInvalidArgument and quote the input.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kprof::store {

// profefe's time format, Go layout "2006-01-02T15:04:05": no zone (UTC), no fraction.
// Strict: exactly that shape, a real calendar date (leap years included), hour <= 23,
// minute and second <= 59.
Result<int64_t> ParseProfefeTime(std::string_view text);
// The same format; sub-second parts are dropped (rounded towards the past).
std::string FormatProfefeTime(int64_t unix_nanos);

// A time in the native API. Accepts:
//   2026-11-21T10:00:00Z               RFC 3339, 'T'/'t' and 'Z'/'z'
//   2026-11-21T10:00:00.123456789+02:00  with a fraction (digits past 9 are truncated)
//   2026-11-21T10:00:00                no zone: UTC, as in profefe's format
//   1700000000  1700000000.5           unix seconds, with an optional fraction
//   1700000000000                      unix milliseconds (13 or more integer digits)
//   now  now-1h  now+5m  -15m          relative to `now_nanos` (a ParseDuration)
// Negative unix timestamps are not accepted: a leading '-' means "ago".
Result<int64_t> ParseTime(std::string_view text, int64_t now_nanos);

// A Go duration (time.ParseDuration): a sequence of decimal numbers, each with an
// optional fraction and a unit: "1h30m", "10s", "250ms", "1.5h", "0". Units are ns, us
// (or µs, μs), ms, s, m, h, plus d (24h) and w (7d), which Go lacks but Prometheus users
// type. Negative durations and durations above the int64 range are errors.
Result<int64_t> ParseDuration(std::string_view text);

// RFC 3339 in UTC: "2026-11-21T10:00:00Z", with a fraction only if it is nonzero and
// then without trailing zeros ("2026-11-21T10:00:00.5Z"), like Go's RFC3339Nano.
std::string FormatRfc3339(int64_t unix_nanos);

}  // namespace kprof::store
