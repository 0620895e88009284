// HTTP request and response values as handlers see them, independent of the transport
// (Boost.Beast never appears in a handler's signature), plus the helpers that build JSON
// error responses and decode request targets.
//
// Request and Response are plain values: safe to copy and move between threads. A Request
// belongs to the handler that receives it for the duration of the call.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kprof::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", … as sent (methods are case-sensitive)
  std::string target;  // raw request target, "/api/0/profiles?service=a%20b"
  std::string path;    // percent-decoded path of `target`, "/api/0/profiles"
  // Percent-decoded query parameters in the order they were sent; "+" is a space in
  // names and values, as in Go's url.ParseQuery.
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;  // names lower-cased, in the order they were sent
  std::string body;
  std::map<std::string, std::string> params;  // from `{name}` route segments
  std::string remote_address;                 // "127.0.0.1:53412"
  // When the transport stops waiting for this request's response. Long handlers check
  // Expired() between steps and give up early; the default never expires.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  // The first value of query parameter `name`.
  std::optional<std::string_view> Query(std::string_view name) const;
  // Every value of query parameter `name`, in order.
  std::vector<std::string_view> QueryAll(std::string_view name) const;
  // The first value of header `name` (compared case-insensitively).
  std::optional<std::string_view> Header(std::string_view name) const;
  bool Expired() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. The transport sets Content-Length, Content-Type, Connection and Server
  // itself; CR and LF in values are replaced by spaces.
  HeaderList headers;
};

// {"code":status,"error":message}. Invalid UTF-8 in `message` is replaced by U+FFFD.
Response JsonError(int status, std::string_view message);

// A 200 response whose body is `json_body`, which the caller has already serialized.
Response JsonOk(std::string json_body);

// The HTTP error for a non-OK kprof Status: InvalidArgument 400, NotFound 404,
// FailedPrecondition 422, ResourceExhausted 413, Unavailable 503, Internal 500. An OK
// status is a caller bug and maps to 500.
Response ErrorFromStatus(const Status& status);
int HttpStatusFromCode(StatusCode code);

// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' ' (query strings). Fails with
// kInvalidArgument on a '%' not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Go's url.ParseQuery: pairs separated by '&', empty pairs skipped, a pair without '='
// has an empty value, names and values decoded with PercentDecode(…, true). ';' is not a
// separator.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw_query);

// Splits an origin-form path ("/a/b%2Fc") into decoded segments ({"a", "b/c"}). The path
// must start with '/'. "/" has one empty segment; "/a/" ends with an empty segment.
Result<std::vector<std::string>> SplitPath(std::string_view raw_path);

// Fills request->path and request->query from request->target, which must be in origin
// form ("/path?query"). kInvalidArgument on anything else or on a bad escape.
Status ParseTarget(Request* request);

}  // namespace kprof::net
