#include "api/resources_api.h"

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/params.h"
#include "base/strings.h"
#include "net/http.h"
#include "store/timeparse.h"

namespace kprof::api {
namespace {

using json = nlohmann::ordered_json;
using net::Request;
using net::Response;
using resources::Sample;

constexpr size_t kMaxSamples = 100000;
constexpr int64_t kMaxBuckets = 10000;
constexpr int64_t kDefaultRangeNanos = int64_t{3600} * 1000000000;

std::string Param(const Request& req, std::string_view name) {
  return std::string(TrimSpace(req.Query(name).value_or("")));
}

struct ResourceRequest {
  resources::ResourceQuery query;
  int64_t step_nanos = 0;  // 0 = every sample
};

Result<ResourceRequest> ParseRequest(const Request& req) {
  ResourceRequest r;
  resources::ResourceQuery& q = r.query;
  q.namespace_ = Param(req, "namespace");
  q.pod = Param(req, "pod");
  q.deployment = Param(req, "deployment");
  q.container = Param(req, "container");
  q.replicasets = ListParam(req, "replicaset");
  std::string format = Param(req, "format");
  if (!format.empty() && format != "json") return InvalidArgument("format must be json");
  KPROF_ASSIGN_OR_RETURN(TimeRange range, TimeRangeParams(req, NowNanos(), kDefaultRangeNanos));
  q.from_nanos = range.from;
  q.to_nanos = range.to;
  KPROF_ASSIGN_OR_RETURN(r.step_nanos, DurationParam(req, "step", 0));
  if (r.step_nanos > 0) {
    double buckets =
        (static_cast<double>(q.to_nanos) - static_cast<double>(q.from_nanos)) / r.step_nanos;
    if (buckets > kMaxBuckets) {
      return InvalidArgument("more than 10000 buckets: use a larger \"step\"");
    }
  }
  KPROF_ASSIGN_OR_RETURN(q.limit, CountParam(req, "limit", kMaxSamples, kMaxSamples, true));
  return r;
}

// A point's measured fields; unmeasured ones are left out.
json PointJson(int64_t time, const Sample& s) {
  json p = {{"time", store::FormatRfc3339(time)}};
  if (s.cpu_cores >= 0) p["cpu_cores"] = s.cpu_cores;
  if (s.memory_working_set_bytes >= 0) {
    p["memory_working_set_bytes"] = std::llround(s.memory_working_set_bytes);
  }
  if (s.memory_rss_bytes >= 0) p["memory_rss_bytes"] = std::llround(s.memory_rss_bytes);
  if (s.rx_bytes_per_second >= 0) p["rx_bytes_per_second"] = s.rx_bytes_per_second;
  if (s.tx_bytes_per_second >= 0) p["tx_bytes_per_second"] = s.tx_bytes_per_second;
  return p;
}

// Averages of each measured field over the samples of one bucket.
class BucketMean {
 public:
  void Add(const Sample& s) {
    double values[kFields] = {s.cpu_cores, s.memory_working_set_bytes, s.memory_rss_bytes,
                              s.rx_bytes_per_second, s.tx_bytes_per_second};
    for (size_t i = 0; i < kFields; ++i) {
      if (values[i] < 0) continue;
      sums_[i] += values[i];
      ++counts_[i];
    }
  }
  Sample Mean() const {
    Sample s;
    double* fields[kFields] = {&s.cpu_cores, &s.memory_working_set_bytes, &s.memory_rss_bytes,
                               &s.rx_bytes_per_second, &s.tx_bytes_per_second};
    for (size_t i = 0; i < kFields; ++i) {
      if (counts_[i] > 0) *fields[i] = sums_[i] / static_cast<double>(counts_[i]);
    }
    return s;
  }

 private:
  static constexpr size_t kFields = 5;
  double sums_[kFields] = {};
  size_t counts_[kFields] = {};
};

// The points of one series (samples of one namespace/pod/container, in time order).
json PointsJson(const std::vector<const Sample*>& series, int64_t from, int64_t step) {
  json points = json::array();
  if (step == 0) {
    for (const Sample* s : series) points.push_back(PointJson(s->time_nanos, *s));
    return points;
  }
  std::map<int64_t, BucketMean> buckets;
  for (const Sample* s : series) {
    buckets[from + (s->time_nanos - from) / step * step].Add(*s);
  }
  for (const auto& [start, mean] : buckets) points.push_back(PointJson(start, mean.Mean()));
  return points;
}

json UsageJson(const resources::Usage& u) {
  json j = {{"pods", u.pods}, {"samples", u.samples}};
  auto put = [&](const char* name, double v) {
    if (v >= 0) j[name] = v;
  };
  put("cpu_cores_mean", u.cpu_cores_mean);
  put("cpu_cores_max", u.cpu_cores_max);
  put("memory_working_set_bytes_mean", u.memory_mean);
  put("memory_working_set_bytes_max", u.memory_max);
  put("rx_bytes_per_second_mean", u.rx_mean);
  put("tx_bytes_per_second_mean", u.tx_mean);
  return j;
}

Response Resources(resources::ResourceStore* store, Request& req) {
  Result<ResourceRequest> parsed = ParseRequest(req);
  if (!parsed.ok()) return net::ErrorFromStatus(parsed.status());
  const resources::ResourceQuery& q = parsed->query;
  Result<std::vector<Sample>> samples = store->Query(q);
  if (!samples.ok()) return net::ErrorFromStatus(samples.status());

  // The store returns samples ordered by namespace, pod, container and time.
  json series = json::array();
  for (size_t i = 0; i < samples->size();) {
    const Sample& first = (*samples)[i];
    std::vector<const Sample*> rows;
    Sample owners;  // the latest non-empty owner labels
    for (; i < samples->size(); ++i) {
      const Sample& s = (*samples)[i];
      if (s.namespace_ != first.namespace_ || s.pod != first.pod || s.container != first.container)
        break;
      rows.push_back(&s);
      if (!s.node.empty()) owners.node = s.node;
      if (!s.deployment.empty()) owners.deployment = s.deployment;
      if (!s.replicaset.empty()) owners.replicaset = s.replicaset;
    }
    series.push_back({{"namespace", first.namespace_},
                      {"pod", first.pod},
                      {"container", first.container},
                      {"node", owners.node},
                      {"deployment", owners.deployment},
                      {"replicaset", owners.replicaset},
                      {"points", PointsJson(rows, q.from_nanos, parsed->step_nanos)}});
  }

  // Usage per ReplicaSet (pods without one together under "").
  std::map<std::string, std::pair<std::string, std::vector<Sample>>> by_replicaset;
  for (const Sample& s : *samples) {
    auto& [deployment, rows] = by_replicaset[s.replicaset];
    if (deployment.empty()) deployment = s.deployment;
    rows.push_back(s);
  }
  json summary = json::array();
  for (const auto& [replicaset, group] : by_replicaset) {
    json entry = {{"replicaset", replicaset}, {"deployment", group.first}};
    entry.update(UsageJson(resources::Summarize(group.second)));
    summary.push_back(std::move(entry));
  }

  json out = {{"from", store::FormatRfc3339(q.from_nanos)},
              {"to", store::FormatRfc3339(q.to_nanos)}};
  if (parsed->step_nanos > 0) out["step_seconds"] = static_cast<double>(parsed->step_nanos) / 1e9;
  out["truncated"] = samples->size() >= q.limit;
  out["series"] = std::move(series);
  out["summary"] = std::move(summary);
  return net::JsonOk(out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace

void AddResourceRoutes(net::Router* router, resources::ResourceStore* store,
                       const RouteContext& context) {
  AddObserved(
      router, context, "GET", "/api/v1/resources",
      [store](Request& req) { return Resources(store, req); },
      "Pod CPU, memory and network over time: "
      "?namespace&pod&deployment&replicaset=a,b&container&from&to&step&limit");
}

}  // namespace kprof::api
