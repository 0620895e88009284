#include "api/profefe.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/observe.h"
#include "base/strings.h"
#include "net/http.h"
#include "pprof/encode.h"
#include "pprof/merge.h"
#include "store/timeparse.h"

namespace kprof::api {

namespace {

using net::Request;
using net::Response;

// Go's encoding/json output: compact, "<>&" escaped, with a trailing newline.
std::string GoJson(const nlohmann::ordered_json& j) {
  std::string s = j.dump();
  std::string out;
  out.reserve(s.size() + 1);
  for (char c : s) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out + "\n";
}

Response Reply(nlohmann::ordered_json body) {
  Response r;
  r.body = GoJson({{"code", 200}, {"body", std::move(body)}});
  return r;
}

Response Error(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = GoJson({{"code", status}, {"error", message}});
  return r;
}

Response BadRequest(std::string_view message) {
  return Error(400, "bad request: " + std::string(message));
}

Response NothingFound() { return Error(404, "nothing found"); }

Response Internal() { return Error(500, "internal server error"); }

// created_at: RFC 3339 in UTC, whole seconds.
std::string CreatedAt(int64_t nanos) { return store::FormatProfefeTime(nanos) + "Z"; }

nlohmann::ordered_json MetaJson(const store::ProfileMeta& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["id"] = m.id;
  j["type"] = m.type;
  j["service"] = m.service;
  if (!m.labels.empty()) {
    nlohmann::ordered_json labels = nlohmann::ordered_json::array();
    for (const store::Label& l : m.labels) labels.push_back({{"key", l.name}, {"value", l.value}});
    j["labels"] = labels;
  }
  j["created_at"] = CreatedAt(m.time_nanos);
  return j;
}

// Go's url.QueryUnescape: %XX and "+" → space.
Result<std::string> QueryUnescape(std::string_view s) {
  return net::PercentDecode(s, /*plus_is_space=*/true);
}

// profefe's label syntax: k=v,k2=v2; each key and value trimmed and unescaped once
// more; chunks with an empty key skipped (kube-profefe sends a leading comma).
Result<std::vector<store::Label>> ParseLabelsParam(std::string_view raw) {
  std::vector<store::Label> out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t comma = raw.find(',', start);
    std::string_view chunk =
        raw.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t eq = chunk.find('=');
    std::string_view key = TrimSpace(chunk.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : TrimSpace(chunk.substr(eq + 1));
    auto k = QueryUnescape(key);
    auto v = QueryUnescape(value);
    if (!k.ok() || !v.ok()) {
      return InvalidArgument("bad \"labels\" \"" + std::string(raw) + "\": invalid URL escape");
    }
    if (!k->empty()) out.push_back({std::move(*k), std::move(*v)});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// profefe's time: 2006-01-02T15:04:05 in UTC, fractional seconds allowed.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value) {
  std::string_view whole = value;
  int64_t fraction = 0;
  if (size_t dot = value.find('.'); dot != std::string_view::npos && dot == 19) {
    std::string_view digits = value.substr(dot + 1);
    bool ok =
        !digits.empty() && digits.size() <= 9 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) {
      whole = value.substr(0, dot);
      for (size_t i = 0; i < 9; ++i)
        fraction = fraction * 10 + (i < digits.size() ? digits[i] - '0' : 0);
    }
  }
  auto t = store::ParseProfefeTime(whole);
  if (!t.ok()) {
    return InvalidArgument("bad \"" + std::string(name) + "\" timestamp \"" + std::string(value) +
                           "\": time in unsupported format \"" + std::string(value) + "\"");
  }
  return *t + fraction;
}

// The parameters shared by list and merge.
struct FindParams {
  store::ProfileQuery query;
  size_t limit = 0;
  std::string type;
};

Result<FindParams> ParseFind(const Request& req) {
  FindParams p;
  auto service = req.Query("service");
  if (!service || service->empty()) return InvalidArgument("missing \"service\"");
  p.query.service = std::string(*service);
  std::vector<store::Label> labels;
  if (auto raw = req.Query("labels")) {
    KPROF_ASSIGN_OR_RETURN(labels, ParseLabelsParam(*raw));
  }
  auto from = req.Query("from");
  if (!from) return InvalidArgument("missing \"from\"");
  KPROF_ASSIGN_OR_RETURN(p.query.from_nanos, ParseTimeParam("from", *from));
  auto to = req.Query("to");
  if (!to) return InvalidArgument("missing \"to\"");
  KPROF_ASSIGN_OR_RETURN(int64_t to_nanos, ParseTimeParam("to", *to));
  p.query.to_nanos = to_nanos + 1;  // profefe's "to" is inclusive
  if (auto limit = req.Query("limit")) {
    std::string text(*limit);
    char* end = nullptr;
    long long n = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') {
      return InvalidArgument("bad \"limit\" \"" + text + "\": not an integer");
    }
    p.limit = n > 0 ? static_cast<size_t>(n) : 0;
  }
  std::string type(TrimSpace(req.Query("type").value_or("")));
  if (!IsKnownProfileType(type)) return InvalidArgument("unknown profile type unknown");
  p.type = type;
  p.query.type = type;
  if (p.query.from_nanos > to_nanos) {
    return InvalidArgument("created_at min after max");
  }
  // Exact AND match of every requested label.
  store::Labels wanted;
  for (const store::Label& l : labels) wanted.Set(l.name, l.value);
  p.query.selector = store::Selector::FromLabels(wanted);
  p.query.descending = true;  // newest first
  return p;
}

Response Binary(std::string body, const std::string& filename) {
  Response r;
  r.content_type = "application/octet-stream";
  r.body = std::move(body);
  r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + filename + "\""});
  return r;
}

// A stored profile decoded for merging: the raw upload if kept, else the normalized copy.
Result<pprof::Profile> LoadForMerge(store::ProfileStore* store, const std::string& id) {
  auto raw = store->GetRaw(id);
  if (raw.ok()) return pprof::DecodeProfile(*raw);
  if (raw.status().code() != StatusCode::kNotFound) return raw.status();
  return store->Get(id);
}

class ProfefeApi {
 public:
  ProfefeApi(store::ProfileStore* store, IngestService* ingest, ServerInfo info)
      : store_(store), ingest_(ingest), info_(std::move(info)) {}

  Response Create(Request& req) {
    IngestRequest in;
    auto service = req.Query("service");
    if (!service || service->empty()) return BadRequest("missing \"service\"");
    in.service = std::string(*service);
    in.type = std::string(TrimSpace(req.Query("type").value_or("")));
    if (!IsKnownProfileType(in.type)) return BadRequest("unknown profile type unknown");
    if (auto raw = req.Query("labels")) {
      auto labels = ParseLabelsParam(*raw);
      if (!labels.ok()) return BadRequest(labels.status().message());
      store::Labels set;
      for (const store::Label& l : *labels) set.Set(l.name, l.value);
      Status valid = store::ValidateLabels(set);
      if (!valid.ok()) return BadRequest(valid.message());
      in.labels = std::move(set);
    }
    if (auto created = req.Query("created_at")) {
      auto t = ParseTimeParam("created_at", *created);
      if (!t.ok()) return BadRequest(t.status().message());
      in.created_at_nanos = *t;
    } else {
      in.created_at_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    }
    in.body = std::move(req.body);
    auto meta = ingest_->Ingest(std::move(in));
    if (!meta.ok()) {
      const Status& s = meta.status();
      if (s.code() == StatusCode::kInvalidArgument) {
        return Error(400, "malformed profile (could not parse pprof profile: " + s.message() + ")");
      }
      if (s.code() == StatusCode::kResourceExhausted) return Error(413, s.message());
      return Error(500, "failed to collect profile");
    }
    return Reply(MetaJson(*meta));
  }

  Response Find(Request& req) {
    auto params = ParseFind(req);
    if (!params.ok()) return BadRequest(params.status().message());
    params->query.limit = params->limit;
    auto list = store_->List(params->query);
    if (!list.ok()) return Internal();
    if (list->empty()) return NothingFound();
    nlohmann::ordered_json body = nlohmann::ordered_json::array();
    for (const store::ProfileMeta& m : *list) body.push_back(MetaJson(m));
    return Reply(std::move(body));
  }

  Response Merge(Request& req) {
    auto params = ParseFind(req);
    if (!params.ok()) return BadRequest(params.status().message());
    if (params->type == "trace") return Error(405, "tracing profiles are not mergeable");
    // With a limit, or to spot a single match (served verbatim), list first.
    store::ProfileQuery probe = params->query;
    probe.limit = params->limit > 0 ? params->limit : 2;
    auto list = store_->List(probe);
    if (!list.ok()) return Internal();
    if (list->empty()) return NothingFound();
    if (list->size() == 1) {
      auto raw = store_->GetRaw((*list)[0].id);
      if (raw.ok()) return Binary(std::move(raw).value(), params->type);
    }
    pprof::Profile merged;
    if (params->limit > 0) {
      pprof::Merger merger;
      for (const store::ProfileMeta& m : *list) {
        auto p = LoadForMerge(store_, m.id);
        if (!p.ok() || !merger.Add(*p).ok()) return Internal();
      }
      merged = merger.Finish();
    } else {
      auto outcome = store_->Merge(params->query);
      if (!outcome.ok()) {
        return outcome.status().code() == StatusCode::kNotFound ? NothingFound() : Internal();
      }
      merged = std::move(outcome->profile);
    }
    return Binary(pprof::EncodeProfileGzip(merged), params->type);
  }

  Response Get(Request& req) {
    std::string ids = req.params["id"];
    if (ids.empty()) return Error(400, "no profile id");
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t plus = ids.find('+', start);
      parts.push_back(
          ids.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
    std::string failed = "failed to get profile by id \"" + ids + "\"";
    if (parts.size() == 1) {
      auto bytes = store::StoredProfileBytes(store_, parts[0]);
      if (bytes.ok()) return Binary(std::move(bytes).value(), ids);
      return bytes.status().code() == StatusCode::kNotFound ? NothingFound() : Error(500, failed);
    }
    pprof::Merger merger;
    for (const std::string& id : parts) {
      if (id.empty()) return Error(500, failed);
      auto p = LoadForMerge(store_, id);
      if (!p.ok()) continue;  // missing ids are skipped, as profefe does
      if (!merger.Add(*p).ok()) return Error(500, failed);
    }
    if (merger.count() == 0) return Error(500, failed);
    return Binary(pprof::EncodeProfileGzip(merger.Finish()), ids);
  }

  Response Services(Request&) {
    auto services = store_->Services();
    if (!services.ok()) return Internal();
    if (services->empty()) return NothingFound();
    nlohmann::ordered_json body = nlohmann::ordered_json::array();
    for (const store::ServiceInfo& s : *services) body.push_back(s.name);
    return Reply(std::move(body));
  }

  Response Version(Request&) {
    return Reply({{"version", info_.version},
                  {"commit", info_.commit},
                  {"build_time", info_.build_time},
                  {"go_version", ""}});
  }

 private:
  store::ProfileStore* store_;
  IngestService* ingest_;
  ServerInfo info_;
};

}  // namespace

void AddProfefeRoutes(net::Router* router, store::ProfileStore* store, IngestService* ingest,
                      ServerInfo info, const RouteContext& context) {
  auto api = std::make_shared<ProfefeApi>(store, ingest, std::move(info));
  auto bind = [api](Response (ProfefeApi::*method)(Request&)) {
    return [api, method](Request& req) { return ((*api).*method)(req); };
  };
  AddObserved(router, context, "POST", "/api/0/profiles", bind(&ProfefeApi::Create),
              "Store a profile (profefe): ?service=S&type=T&labels=k=v,… body: pprof");
  AddObserved(router, context, "GET", "/api/0/profiles", bind(&ProfefeApi::Find),
              "List profiles (profefe): ?service&type&from&to[&labels][&limit]");
  for (const char* method : {"GET", "POST"}) {
    AddObserved(router, context, method, "/api/0/profiles/merge", bind(&ProfefeApi::Merge),
                "Merged pprof of the matching profiles (profefe)");
    AddObserved(router, context, method, "/api/0/profiles/{id}", bind(&ProfefeApi::Get),
                "A stored profile, or several merged: /api/0/profiles/ID1+ID2");
    AddObserved(router, context, method, "/api/0/services", bind(&ProfefeApi::Services),
                "Services with profiles");
    AddObserved(router, context, method, "/api/0/version", bind(&ProfefeApi::Version),
                "Server version");
  }
}

}  // namespace kprof::api
