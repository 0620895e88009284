// Units and number formatting as `go tool pprof` prints them.
//
// Three unit families are known: bytes (B, kB, MB … base 1024), time (ns, us, ms,
// s, hrs) and GCU. Unit names in profiles are "sniffed" the way pprof does
// (lowercase, one trailing "s" removed when longer than two bytes), so
// "nanoseconds" and "bytes" work. Unknown units pass through unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace kprof::pprof {

// Converts `value` in `from_unit` to `to_unit`. `to_unit` may be "minimum" or
// "auto" (pick the largest unit in which the value is at least 1). Returns the
// scaled value and the canonical name of the unit used ("" for plain counts).
std::pair<double, std::string> ScaleValue(int64_t value, std::string_view from_unit,
                                          std::string_view to_unit);

// "1.50ms", "12480kB", "0" — pprof's ScaledLabel.
std::string ScaledLabel(int64_t value, std::string_view from_unit, std::string_view to_unit);

// " 5.00%", "  100%", "0.029%" — pprof's Percentage (always of |value/total|).
std::string Percentage(int64_t value, int64_t total);

// True if `unit` belongs to one of the known families (bytes, time, GCU).
bool IsKnownUnit(std::string_view unit);

}  // namespace kprof::pprof
