// Router: the route table between the transport and the handlers. A route is a method,
// a path pattern and a handler, with one line of help text for the API index.
//
// Patterns are '/'-separated segments, each either literal ("profiles") or a parameter
// ("{id}") that matches one whole non-empty segment, so "/api/0/profiles/{id}" matches
// "/api/0/profiles/abc+def" with params["id"] == "abc+def". Segments are matched after
// percent-decoding, and "%2F" inside a segment does not split it.
//
// When several patterns match a path, the most specific wins: segments are compared left
// to right and the first literal-versus-parameter difference decides, so
// "/api/0/profiles/merge" beats "/api/0/profiles/{id}". Only routes of the request's
// method compete; if the path matches routes of other methods only, the answer is 405 with
// an Allow header, and if it matches nothing, 404.
//
// Thread-safety: Add() before the router is shared; afterwards Dispatch() and Routes() may
// be called from any number of threads at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "net/http.h"

namespace kprof::net {

using Handler = std::function<Response(Request&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  std::string help;
};

class Router {
 public:
  // Registers a route. A malformed pattern (not starting with '/', a '{' that is not a
  // whole "{name}" segment, a repeated parameter name) or a repeated method+pattern is a
  // programming error: the process aborts with a message.
  void Add(std::string method, std::string pattern, Handler handler, std::string help);

  // Routes `request` by the path of request.target (or by request.path when target is
  // empty), fills request.params and runs the handler. Exceptions from the handler
  // propagate; the transport turns them into 500s.
  Response Dispatch(Request& request) const;

  // In registration order.
  std::vector<RouteInfo> Routes() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Route {
    RouteInfo info;
    std::vector<Segment> segments;
    Handler handler;
  };

  static bool Matches(const Route& route, const std::vector<std::string>& segments);
  // True if `a` is more specific than `b` (both match the same path).
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace kprof::net
