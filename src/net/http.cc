#include "net/http.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace kprof::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string_view> Request::QueryAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : query) {
    if (k == name) values.push_back(v);
  }
  return values;
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

bool Request::Expired() const { return std::chrono::steady_clock::now() >= deadline; }

Response JsonError(int status, std::string_view message) {
  nlohmann::json body = {{"code", status}, {"error", message}};
  Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response JsonOk(std::string json_body) {
  Response response;
  response.body = std::move(json_body);
  return response;
}

int HttpStatusFromCode(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kFailedPrecondition:
      return 422;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kOk:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorFromStatus(const Status& status) {
  if (status.ok()) return JsonError(500, "internal error: OK status reported as an error");
  return JsonError(HttpStatusFromCode(status.code()), status.message());
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        std::string bad(s.substr(i, 3));
        return InvalidArgument("invalid percent escape \"" + bad + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto name = PercentDecode(raw_name, true);
    if (!name.ok()) return name.status().WithContext("query");
    auto value = PercentDecode(raw_value, true);
    if (!value.ok()) return value.status().WithContext("query parameter \"" + *name + "\"");
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  return pairs;
}

Result<std::vector<std::string>> SplitPath(std::string_view raw_path) {
  if (raw_path.empty() || raw_path[0] != '/') {
    return InvalidArgument("request path must start with '/'");
  }
  std::vector<std::string> segments;
  std::string_view rest = raw_path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    auto segment = PercentDecode(rest.substr(0, slash), false);
    if (!segment.ok()) return segment.status().WithContext("path");
    segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return segments;
}

Status ParseTarget(Request* request) {
  std::string_view target = request->target;
  if (target.empty() || target[0] != '/') {
    return InvalidArgument("request target must be a path starting with '/'");
  }
  size_t question = target.find('?');
  auto path = PercentDecode(target.substr(0, question), false);
  if (!path.ok()) return path.status().WithContext("path");
  std::vector<std::pair<std::string, std::string>> query;
  if (question != std::string_view::npos) {
    KPROF_ASSIGN_OR_RETURN(query, ParseQuery(target.substr(question + 1)));
  }
  request->path = std::move(*path);
  request->query = std::move(query);
  return Status::Ok();
}

}  // namespace kprof::net
