#include "api/v1.h"

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/observe.h"
#include "api/params.h"
#include "net/http.h"
#include "pprof/diff.h"
#include "pprof/encode.h"
#include "pprof/flame.h"
#include "pprof/report.h"
#include "store/timeparse.h"

namespace kprof::api {

namespace {

using json = nlohmann::ordered_json;
using net::Request;
using net::Response;

constexpr size_t kDefaultListLimit = 100;
constexpr size_t kMaxListLimit = 1000;

// Function and label names come from uploaded profiles: invalid UTF-8 is replaced,
// not a reason to fail the request.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Response Json(const json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = Dump(j) + "\n";
  return r;
}

// `object` (compact JSON of an object) with one more member whose value is already
// JSON text: flame trees are printed once, not parsed back into a json value.
std::string WithMember(const json& object, std::string_view name, const std::string& value) {
  std::string out = Dump(object);
  out.pop_back();  // '}'
  if (out.size() > 1) out += ',';
  out += '"';
  out += name;
  out += "\":";
  out += value;
  out += "}\n";
  return out;
}

Response Fail(const Status& s) { return net::ErrorFromStatus(s); }

json MetaJson(const store::ProfileMeta& m) {
  json labels = json::object();
  for (const store::Label& l : m.labels) labels[l.name] = l.value;
  json types = json::array();
  for (size_t i = 0; i < m.sample_types.size(); ++i) {
    types.push_back({{"type", m.sample_types[i].first},
                     {"unit", m.sample_types[i].second},
                     {"total", i < m.totals.size() ? m.totals[i] : 0}});
  }
  return {{"id", m.id},
          {"service", m.service},
          {"type", m.type},
          {"labels", labels},
          {"time", store::FormatRfc3339(m.time_nanos)},
          {"duration_seconds", static_cast<double>(m.duration_nanos) / 1e9},
          {"samples", m.samples},
          {"size_bytes", m.raw_bytes},
          {"sample_types", types}};
}

// service, type, query (selector), from, to; from/to default to the last hour.
Result<store::ProfileQuery> ParseQuery(const Request& req, bool need_type,
                                       std::string_view prefix = "") {
  store::ProfileQuery q;
  auto param = [&](std::string_view name) {
    return req.Query(std::string(prefix) + std::string(name));
  };
  q.service = std::string(req.Query("service").value_or(""));
  q.type = std::string(req.Query("type").value_or(""));
  if (need_type && q.type.empty()) {
    return InvalidArgument("missing \"type\": cpu, heap, allocs, block, mutex, goroutine, …");
  }
  if (!q.type.empty() && !IsKnownProfileType(q.type)) {
    return InvalidArgument("unknown profile type \"" + q.type + "\"");
  }
  std::string selector(param("query").value_or(""));
  auto parsed = store::Selector::Parse(selector);
  if (!parsed.ok()) return parsed.status().WithContext(std::string(prefix) + "query");
  q.selector = std::move(parsed).value();
  KPROF_ASSIGN_OR_RETURN(TimeRange range,
                         TimeRangeParams(req, NowNanos(), int64_t{3600} * 1000000000, prefix));
  q.from_nanos = range.from;
  q.to_nanos = range.to;
  return q;
}

void AddProfileCount(Response* r, const store::MergeOutcome& m) {
  r->headers.push_back({"X-Kprof-Profiles", std::to_string(m.profiles_merged) + " of " +
                                                std::to_string(m.profiles_matched)});
}

json CountJson(const store::MergeOutcome& m) {
  return {{"merged", m.profiles_merged},
          {"matched", m.profiles_matched},
          {"partial", m.profiles_merged < m.profiles_matched}};
}

Result<pprof::PreparedProfile> PrepareFor(const Request& req, pprof::Profile profile) {
  pprof::ReportOptions options;
  options.sample_index = std::string(req.Query("sample_index").value_or(""));
  return pprof::Prepare(std::move(profile), options);
}

class NativeApi {
 public:
  NativeApi(store::ProfileStore* store, IngestService* ingest) : store_(store), ingest_(ingest) {}

  Response Upload(Request& req) {
    IngestRequest in;
    in.service = std::string(req.Query("service").value_or(""));
    in.type = std::string(req.Query("type").value_or(""));
    in.reject_empty = false;
    if (auto raw = req.Query("labels")) {
      auto labels = store::ParseProfefeLabels(*raw);
      if (!labels.ok()) return Fail(labels.status());
      in.labels = std::move(labels).value();
    }
    in.created_at_nanos = NowNanos();
    if (auto t = req.Query("time")) {
      auto parsed = store::ParseTime(*t, in.created_at_nanos);
      if (!parsed.ok()) return Fail(parsed.status().WithContext("time"));
      in.created_at_nanos = *parsed;
      in.time_given = true;
    }
    in.body = std::move(req.body);
    auto meta = ingest_->Ingest(std::move(in));
    if (!meta.ok()) return Fail(meta.status());
    return Json(MetaJson(*meta), 201);
  }

  Response List(Request& req) {
    auto q = ParseQuery(req, false);
    if (!q.ok()) return Fail(q.status());
    auto limit = CountParam(req, "limit", kDefaultListLimit, kMaxListLimit);
    if (!limit.ok()) return Fail(limit.status());
    q->limit = *limit == 0 ? kDefaultListLimit : *limit;
    q->after = std::string(req.Query("page_token").value_or(""));
    q->descending = req.Query("order").value_or("desc") != "asc";
    auto list = store_->List(*q);
    if (!list.ok()) return Fail(list.status());
    json profiles = json::array();
    for (const store::ProfileMeta& m : *list) profiles.push_back(MetaJson(m));
    json out = {{"profiles", profiles}};
    out["next_page_token"] = list->size() == q->limit ? list->back().id : "";
    return Json(out);
  }

  Response Get(Request& req) {
    const std::string& id = req.params["id"];
    std::string format(req.Query("format").value_or("pprof"));
    if (format == "json") {
      auto meta = store_->Meta(id);
      return meta.ok() ? Json(MetaJson(*meta)) : Fail(meta.status());
    }
    if (format != "pprof") return Fail(InvalidArgument("format must be pprof or json"));
    Response r;
    r.content_type = "application/octet-stream";
    r.headers.push_back({"Content-Disposition", "attachment; filename=\"" + id + ".pb.gz\""});
    auto bytes = store::StoredProfileBytes(store_, id);
    if (!bytes.ok()) return Fail(bytes.status());
    r.body = std::move(bytes).value();
    return r;
  }

  Response Merge(Request& req) {
    auto q = ParseQuery(req, true);
    if (!q.ok()) return Fail(q.status());
    if (q->type == "trace") return Fail(InvalidArgument("execution traces cannot be merged"));
    auto merged = store_->Merge(*q);
    if (!merged.ok()) return Fail(merged.status());
    std::string format(req.Query("format").value_or("pprof"));
    if (format == "pprof") {
      Response r;
      r.content_type = "application/octet-stream";
      r.body = pprof::EncodeProfileGzip(merged->profile);
      r.headers.push_back(
          {"Content-Disposition", "attachment; filename=\"" + q->type + ".pb.gz\""});
      AddProfileCount(&r, *merged);
      return r;
    }
    auto prepared = PrepareFor(req, std::move(merged->profile));
    if (!prepared.ok()) return Fail(prepared.status());
    Response r;
    if (format == "flame") {
      auto max_nodes = CountParam(req, "max_nodes", 10000, 200000);
      if (!max_nodes.ok()) return Fail(max_nodes.status());
      auto top = CountParam(req, "top", 0, 100000);
      if (!top.ok()) return Fail(top.status());
      json head = {{"profiles", CountJson(*merged)}};
      // The top table of the same merge, so a page showing both merges once.
      if (*top > 0) head["top"] = TopJson(*prepared, *merged, *top);
      pprof::FlameTree tree = pprof::BuildFlameTree(*prepared, *max_nodes);
      r.body = WithMember(head, "flame", pprof::FlameTreeToJson(tree));
    } else if (format == "folded") {
      r.content_type = "text/plain; charset=utf-8";
      r.body = pprof::FoldedStacks(*prepared);
    } else if (format == "top") {
      auto limit = CountParam(req, "limit", 20, 100000);
      if (!limit.ok()) return Fail(limit.status());
      r.body = Dump(TopJson(*prepared, *merged, *limit)) + "\n";
    } else {
      return Fail(InvalidArgument("format must be pprof, flame, folded or top"));
    }
    AddProfileCount(&r, *merged);
    return r;
  }

  // Top functions; without "service" across every service (fleet-wide).
  Response Top(Request& req) {
    auto q = ParseQuery(req, true);
    if (!q.ok()) return Fail(q.status());
    auto merged = store_->Merge(*q);
    if (!merged.ok()) return Fail(merged.status());
    auto prepared = PrepareFor(req, std::move(merged->profile));
    if (!prepared.ok()) return Fail(prepared.status());
    auto limit = CountParam(req, "limit", 20, 100000);
    if (!limit.ok()) return Fail(limit.status());
    Response r = Json(TopJson(*prepared, *merged, *limit));
    AddProfileCount(&r, *merged);
    return r;
  }

  Response Diff(Request& req) {
    auto base = ParseQuery(req, true, "base_");
    if (!base.ok()) return Fail(base.status());
    auto comparison = ParseQuery(req, true);
    if (!comparison.ok()) return Fail(comparison.status());
    auto normalization = pprof::ParseDiffNormalization(req.Query("normalize").value_or("total"));
    if (!normalization.ok()) return Fail(normalization.status());
    auto limit = CountParam(req, "limit", 20, 10000);
    if (!limit.ok()) return Fail(limit.status());
    std::string format(req.Query("format").value_or("json"));
    if (format != "json" && format != "flame" && format != "pprof") {
      return Fail(InvalidArgument("format must be json, flame or pprof"));
    }
    auto max_nodes = CountParam(req, "max_nodes", 10000, 200000);
    if (!max_nodes.ok()) return Fail(max_nodes.status());
    auto a = store_->Merge(*base);
    if (!a.ok()) return Fail(a.status().WithContext("base"));
    auto b = store_->Merge(*comparison);
    if (!b.ok()) return Fail(b.status());
    std::optional<pprof::Profile> raw_a, raw_b;  // DiffProfile takes unprepared profiles
    if (format == "pprof") {
      raw_a = a->profile;
      raw_b = b->profile;
    }
    auto pa = PrepareFor(req, std::move(a->profile));
    if (!pa.ok()) return Fail(pa.status());
    auto pb = PrepareFor(req, std::move(b->profile));
    if (!pb.ok()) return Fail(pb.status());
    auto report =
        pprof::BuildDiff(*pa, *pb, *normalization, req.Query("sort").value_or("flat") == "cum");
    if (!report.ok()) return Fail(report.status());
    if (format == "pprof") {
      auto diff = pprof::DiffProfile(*raw_a, *raw_b, pprof::DiffScales(*report, *raw_a, *raw_b));
      if (!diff.ok()) return Fail(diff.status());
      Response r;
      r.content_type = "application/octet-stream";
      r.body = pprof::EncodeProfileGzip(*diff);
      r.headers.push_back(
          {"Content-Disposition", "attachment; filename=\"" + comparison->type + "-diff.pb.gz\""});
      AddProfileCount(&r, *b);
      return r;
    }
    json rows = json::array();
    for (size_t i = 0; i < report->rows.size() && (*limit == 0 || i < *limit); ++i) {
      const pprof::DiffRow& d = report->rows[i];
      rows.push_back({{"name", d.name},
                      {"base_flat", d.base_flat},
                      {"flat", d.comparison_flat},
                      {"delta_flat", d.delta_flat()},
                      {"base_cum", d.base_cum},
                      {"cum", d.comparison_cum},
                      {"delta_cum", d.delta_cum()}});
    }
    json out = {{"sample_type", report->sample_type},
                {"unit", report->sample_unit},
                {"normalize", std::string(req.Query("normalize").value_or("total"))},
                {"base_scale", pprof::BaseScale(*report)},
                {"base",
                 {{"total", report->base_total},
                  {"seconds", report->base_seconds},
                  {"profiles", CountJson(*a)}}},
                {"comparison",
                 {{"total", report->comparison_total},
                  {"seconds", report->comparison_seconds},
                  {"profiles", CountJson(*b)}}},
                {"rows", rows}};
    if (format == "json") return Json(out);
    // flame: the same report plus both call trees joined, so a page needs one request.
    Response r;
    r.body = WithMember(out, "flame",
                        pprof::DiffFlameTreeToJson(pprof::BuildFlameTree(*pa, *max_nodes),
                                                   pprof::BuildFlameTree(*pb, *max_nodes),
                                                   pprof::BaseScale(*report)));
    AddProfileCount(&r, *b);
    return r;
  }

  // Profile count and total value per time bucket, for timelines.
  Response Series(Request& req) {
    auto q = ParseQuery(req, true);
    if (!q.ok()) return Fail(q.status());
    auto step_param = DurationParam(req, "step", 60'000'000'000);
    if (!step_param.ok()) return Fail(step_param.status());
    const int64_t step = *step_param;
    if ((q->to_nanos - q->from_nanos) / step > 10000) {
      return Fail(InvalidArgument("more than 10000 buckets: use a larger \"step\""));
    }
    std::string sample_type(req.Query("sample_index").value_or(""));
    std::map<int64_t, std::pair<int64_t, int64_t>> buckets;  // start → (profiles, total)
    std::string unit, chosen;
    store::ProfileQuery page = *q;
    page.limit = 10000;
    while (true) {
      auto list = store_->List(page);
      if (!list.ok()) return Fail(list.status());
      for (const store::ProfileMeta& m : *list) {
        size_t index = m.totals.empty() ? 0 : m.totals.size() - 1;
        for (size_t i = 0; i < m.sample_types.size(); ++i) {
          if (m.sample_types[i].first == sample_type) index = i;
        }
        if (index < m.sample_types.size()) {
          chosen = m.sample_types[index].first;
          unit = m.sample_types[index].second;
        }
        int64_t start = q->from_nanos + (m.time_nanos - q->from_nanos) / step * step;
        auto& b = buckets[start];
        ++b.first;
        if (index < m.totals.size()) b.second += m.totals[index];
      }
      if (list->size() < page.limit) break;
      page.after = list->back().id;
    }
    json points = json::array();
    for (const auto& [start, b] : buckets) {
      points.push_back(
          {{"time", store::FormatRfc3339(start)}, {"profiles", b.first}, {"total", b.second}});
    }
    return Json({{"sample_type", chosen},
                 {"unit", unit},
                 {"step_seconds", static_cast<double>(step) / 1e9},
                 {"points", points}});
  }

  Response Services(Request&) {
    auto services = store_->Services();
    if (!services.ok()) return Fail(services.status());
    json list = json::array();
    for (const store::ServiceInfo& s : *services)
      list.push_back({{"name", s.name}, {"types", s.types}});
    return Json({{"services", list}});
  }

  Response LabelNames(Request& req) {
    auto q = ParseQuery(req, false);
    if (!q.ok()) return Fail(q.status());
    auto names = store_->LabelNames(*q);
    return names.ok() ? Json({{"names", *names}}) : Fail(names.status());
  }

  Response LabelValues(Request& req) {
    auto q = ParseQuery(req, false);
    if (!q.ok()) return Fail(q.status());
    auto values = store_->LabelValues(req.params["name"], *q);
    return values.ok() ? Json({{"values", *values}}) : Fail(values.status());
  }

 private:
  json TopJson(const pprof::PreparedProfile& prepared, const store::MergeOutcome& merged,
               size_t limit) {
    pprof::ReportOptions options;
    options.node_count = static_cast<int>(limit);
    options.node_fraction = 0;
    pprof::TopReport top = pprof::BuildTop(prepared, options);
    json rows = json::array();
    for (const pprof::TopRow& row : top.rows) {
      rows.push_back({{"name", row.name},
                      {"flat", row.flat},
                      {"flat_percent", top.total ? 100.0 * row.flat / top.total : 0.0},
                      {"cum", row.cum},
                      {"cum_percent", top.total ? 100.0 * row.cum / top.total : 0.0}});
    }
    return {{"sample_type", top.sample_type},
            {"unit", top.sample_unit},
            {"total", top.total},
            {"profiles", CountJson(merged)},
            {"rows", rows}};
  }

  store::ProfileStore* store_;
  IngestService* ingest_;
};

}  // namespace

void AddNativeRoutes(net::Router* router, store::ProfileStore* store, IngestService* ingest,
                     const RouteContext& context) {
  auto api = std::make_shared<NativeApi>(store, ingest);
  auto bind = [api](Response (NativeApi::*method)(Request&)) {
    return [api, method](Request& req) { return ((*api).*method)(req); };
  };
  AddObserved(router, context, "POST", "/api/v1/profiles", bind(&NativeApi::Upload),
              "Store a profile: ?service=S&type=T[&labels=k=v,…][&time=…]; body: pprof");
  AddObserved(router, context, "GET", "/api/v1/profiles", bind(&NativeApi::List),
              "List profiles: ?service&type&query&from&to&limit&page_token&order");
  AddObserved(router, context, "GET", "/api/v1/profiles/{id}", bind(&NativeApi::Get),
              "One profile: pprof (default) or ?format=json for its metadata");
  AddObserved(router, context, "GET", "/api/v1/merge", bind(&NativeApi::Merge),
              "Merge a selection: ?type&service&query&from&to&format=pprof|flame|folded|top");
  AddObserved(router, context, "GET", "/api/v1/top", bind(&NativeApi::Top),
              "Top functions of a selection; without service, across all services");
  AddObserved(router, context, "GET", "/api/v1/diff", bind(&NativeApi::Diff),
              "Compare two selections: base_query/base_from/base_to vs query/from/to; "
              "format=json|flame|pprof");
  AddObserved(router, context, "GET", "/api/v1/series", bind(&NativeApi::Series),
              "Profiles and total value per time bucket: ?type&service&query&from&to&step");
  AddObserved(router, context, "GET", "/api/v1/services", bind(&NativeApi::Services),
              "Services and their types");
  AddObserved(router, context, "GET", "/api/v1/labels", bind(&NativeApi::LabelNames),
              "Label names in a selection");
  AddObserved(router, context, "GET", "/api/v1/labels/{name}/values", bind(&NativeApi::LabelValues),
              "Values of one label in a selection");
}

}  // namespace kprof::api
