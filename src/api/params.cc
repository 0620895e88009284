#include "api/params.h"

#include <chrono>
#include <cstdlib>

#include "base/strings.h"
#include "store/timeparse.h"

namespace kprof::api {

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::size_t> CountParam(const net::Request& req, std::string_view name, std::size_t def,
                               std::size_t max, bool positive) {
  auto v = req.Query(name);
  if (!v) return def;
  std::string text(*v);
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 0 || (positive && n == 0)) {
    return InvalidArgument("\"" + std::string(name) + "\" must be a " +
                           (positive ? "positive" : "non-negative") + " integer");
  }
  return std::min(static_cast<std::size_t>(n), max);
}

Result<TimeRange> TimeRangeParams(const net::Request& req, std::int64_t now,
                                  std::int64_t default_span, std::string_view prefix) {
  TimeRange r{now - default_span, now};
  for (auto [name, out] : {std::pair{"from", &r.from}, std::pair{"to", &r.to}}) {
    std::string full = std::string(prefix) + name;
    if (auto text = req.Query(full)) {
      auto t = store::ParseTime(*text, now);
      if (!t.ok()) return t.status().WithContext(full);
      *out = *t;
    }
  }
  if (r.from > r.to) return InvalidArgument("\"" + std::string(prefix) + "from\" is after \"to\"");
  return r;
}

Result<std::int64_t> DurationParam(const net::Request& req, std::string_view name,
                                   std::int64_t def) {
  auto text = req.Query(name);
  if (!text) return def;
  auto d = store::ParseDuration(*text);
  if (!d.ok() || *d <= 0) {
    return InvalidArgument("\"" + std::string(name) + "\" must be a positive duration");
  }
  return *d;
}

std::vector<std::string> ListParam(const net::Request& req, std::string_view name) {
  std::vector<std::string> out;
  std::string_view list = req.Query(name).value_or("");
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = TrimSpace(list.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

}  // namespace kprof::api
