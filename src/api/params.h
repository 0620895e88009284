// Query parameters shared by the native API's handlers (/api/v1/…), parsed one way:
// counts, time ranges (RFC 3339, unix seconds or relative: "now-1h", "-15m"), durations
// and comma lists. Errors are kInvalidArgument naming the parameter (HTTP 400).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/http.h"

namespace kprof::api {

std::int64_t NowNanos();

// A non-negative integer `name`: `def` when absent, at most `max`. With `positive`, 0 is
// an error too.
Result<std::size_t> CountParam(const net::Request& req, std::string_view name, std::size_t def,
                               std::size_t max, bool positive = false);

struct TimeRange {
  std::int64_t from = 0;
  std::int64_t to = 0;
};
// `PREFIXfrom` and `PREFIXto`, defaulting to [now − default_span, now); "from" after "to"
// is an error.
Result<TimeRange> TimeRangeParams(const net::Request& req, std::int64_t now,
                                  std::int64_t default_span, std::string_view prefix = "");

// A positive Go duration `name`, or `def` when absent.
Result<std::int64_t> DurationParam(const net::Request& req, std::string_view name,
                                   std::int64_t def);

// "a, b,,c" → {"a", "b", "c"}.
std::vector<std::string> ListParam(const net::Request& req, std::string_view name);

}  // namespace kprof::api
