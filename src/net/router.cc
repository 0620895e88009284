#include "net/router.h"

#include <cstdio>
#include <cstdlib>
#include <set>

namespace kprof::net {
namespace {

[[noreturn]] void BadRoute(const std::string& method, const std::string& pattern, const char* why) {
  std::fprintf(stderr, "kprof: invalid route %s %s: %s\n", method.c_str(), pattern.c_str(), why);
  std::abort();
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, std::string help) {
  if (pattern.empty() || pattern[0] != '/') BadRoute(method, pattern, "pattern must start with /");
  if (method.empty()) BadRoute(method, pattern, "empty method");
  Route route;
  std::set<std::string> names;
  size_t start = 1;
  while (true) {
    size_t slash = pattern.find('/', start);
    std::string text = pattern.substr(start, slash == std::string::npos ? slash : slash - start);
    Segment segment;
    if (!text.empty() && text.front() == '{') {
      if (text.size() < 3 || text.back() != '}') {
        BadRoute(method, pattern, "a parameter must be a whole {name} segment");
      }
      segment.text = text.substr(1, text.size() - 2);
      segment.is_param = true;
      if (!names.insert(segment.text).second) {
        BadRoute(method, pattern, "repeated parameter name");
      }
    } else {
      segment.text = std::move(text);
    }
    if (segment.text.find_first_of("{}") != std::string::npos) {
      BadRoute(method, pattern, "a parameter must be a whole {name} segment");
    }
    route.segments.push_back(std::move(segment));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (const Route& existing : routes_) {
    if (existing.info.method != method || existing.segments.size() != route.segments.size()) {
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < route.segments.size() && same; ++i) {
      const Segment& a = existing.segments[i];
      const Segment& b = route.segments[i];
      same = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same) BadRoute(method, pattern, "registered twice");
  }
  route.info = RouteInfo{std::move(method), std::move(pattern), std::move(help)};
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = route.segments[i];
    if (s.is_param ? segments[i].empty() : s.text != segments[i]) return false;
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

Response Router::Dispatch(Request& request) const {
  std::vector<std::string> segments;
  if (request.target.empty()) {
    if (request.path.empty() || request.path[0] != '/') {
      return JsonError(400, "request path must start with '/'");
    }
    size_t start = 1;
    while (true) {
      size_t slash = request.path.find('/', start);
      segments.push_back(
          request.path.substr(start, slash == std::string::npos ? slash : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  } else {
    std::string_view target = request.target;
    auto split = SplitPath(target.substr(0, target.find('?')));
    if (!split.ok()) return ErrorFromStatus(split.status());
    segments = std::move(*split);
  }

  std::string shown_path = request.path;
  if (shown_path.empty()) shown_path = request.target.substr(0, request.target.find('?'));

  const Route* best = nullptr;
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    if (!Matches(route, segments)) continue;
    if (route.info.method != request.method) {
      allowed.insert(route.info.method);
      continue;
    }
    if (best == nullptr || MoreSpecific(route, *best)) best = &route;
  }
  if (best == nullptr) {
    if (allowed.empty()) return JsonError(404, "no route for " + shown_path);
    std::string allow;
    for (const std::string& m : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    Response response = JsonError(405, "method " + request.method + " is not allowed for " +
                                           shown_path + " (allowed: " + allow + ")");
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  request.params.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (best->segments[i].is_param) request.params[best->segments[i].text] = segments[i];
  }
  return best->handler(request);
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> infos;
  infos.reserve(routes_.size());
  for (const Route& route : routes_) infos.push_back(route.info);
  return infos;
}

}  // namespace kprof::net
