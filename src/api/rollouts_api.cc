#include "api/rollouts_api.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "api/ingest.h"
#include "api/params.h"
#include "net/http.h"
#include "rollout/report.h"
#include "rollout/rollout_json.h"
#include "store/timeparse.h"

namespace kprof::api {

namespace {

using json = nlohmann::ordered_json;
using net::Request;
using net::Response;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 10000;

Response Json(const json& j) {
  Response r;
  r.status = 200;
  r.body = j.dump() + "\n";
  return r;
}

Response Fail(const Status& s) { return net::ErrorFromStatus(s); }

class RolloutApi {
 public:
  explicit RolloutApi(RolloutSources sources) : s_(sources) {}

  Response List(Request& req) {
    rollout::RolloutFilter filter;
    filter.namespace_ = std::string(req.Query("namespace").value_or(""));
    filter.deployment = std::string(req.Query("deployment").value_or(""));
    if (filter.namespace_.empty() && !filter.deployment.empty()) {
      return Fail(InvalidArgument("\"deployment\" needs \"namespace\" too"));
    }
    auto range = TimeRangeParams(req, NowNanos(), NowNanos());  // default: all time
    if (!range.ok()) return Fail(range.status());
    if (req.Query("from")) filter.from = range->from;
    if (req.Query("to")) filter.to = range->to;
    std::optional<rollout::Outcome> outcome;
    if (auto text = req.Query("outcome")) {
      auto o = rollout::ParseOutcome(*text);
      if (!o.ok()) return Fail(o.status());
      outcome = *o;
    }
    auto limit = CountParam(req, "limit", kDefaultLimit, kMaxLimit, /*positive=*/true);
    if (!limit.ok()) return Fail(limit.status());
    auto all = Collect(filter);
    if (!all.ok()) return Fail(all.status());
    json items = json::array();
    for (const rollout::Rollout& r : *all) {
      if (outcome && r.outcome != *outcome) continue;
      if (items.size() >= *limit) break;
      items.push_back(rollout::RolloutToJson(r, /*detail=*/false));
    }
    return Json({{"rollouts", items}});
  }

  Response Get(Request& req) {
    auto r = Find(req.params["id"]);
    if (!r.ok()) return Fail(r.status());
    return Json(rollout::RolloutToJson(*r, /*detail=*/true));
  }

  Response Report(Request& req) {
    auto r = Find(req.params["id"]);
    if (!r.ok()) return Fail(r.status());
    rollout::ReportOptions options;
    auto window = DurationParam(req, "window", options.window_nanos);
    if (!window.ok()) return Fail(window.status());
    options.window_nanos = *window;
    for (const std::string& type : ListParam(req, "types")) {
      if (!IsKnownProfileType(type)) {
        return Fail(InvalidArgument("unknown profile type \"" + type + "\""));
      }
      options.types.push_back(type);
    }
    auto top = CountParam(req, "top", options.top, 1000, /*positive=*/true);
    if (!top.ok()) return Fail(top.status());
    options.top = *top;
    std::string format(req.Query("format").value_or("json"));
    if (format != "json" && format != "text") {
      return Fail(InvalidArgument("\"format\" must be json or text"));
    }
    // The neighbouring rollouts bound the before/after windows.
    rollout::RolloutFilter same;
    same.namespace_ = r->namespace_;
    same.deployment = r->deployment;
    if (auto siblings = Collect(same); siblings.ok()) {
      for (const rollout::Rollout& other : *siblings) {
        if (other.id == r->id || other.deployment_uid != r->deployment_uid) continue;
        if (other.revision < r->revision && other.end != 0) {
          options.previous_end = std::max(options.previous_end, other.end);
        } else if (other.revision > r->revision &&
                   (options.next_start == 0 || other.start < options.next_start)) {
          options.next_start = other.start;
        }
      }
    }
    auto report = rollout::BuildReport(*r, s_.profiles, s_.resources, options);
    if (!report.ok()) return Fail(report.status());
    if (format == "text") {
      Response out;
      out.status = 200;
      out.content_type = "text/plain; charset=utf-8";
      out.body = rollout::RenderReportText(*report);
      return out;
    }
    return Json(rollout::ReportToJson(*report));
  }

 private:
  // Live rollouts first, then stored ones not live any more; newest first.
  Result<std::vector<rollout::Rollout>> Collect(const rollout::RolloutFilter& filter) {
    std::vector<rollout::Rollout> out;
    std::map<std::string, bool> seen;
    if (s_.tracker != nullptr) {
      out = s_.tracker->List(filter);
      for (const rollout::Rollout& r : out) seen[r.id] = true;
    }
    if (s_.store != nullptr) {
      auto stored = s_.store->List(filter, 0);
      if (!stored.ok()) return stored.status();
      for (rollout::Rollout& r : *stored) {
        if (!seen.count(r.id)) out.push_back(std::move(r));
      }
    }
    std::stable_sort(
        out.begin(), out.end(),
        [](const rollout::Rollout& a, const rollout::Rollout& b) { return a.start > b.start; });
    return out;
  }

  Result<rollout::Rollout> Find(const std::string& id) {
    if (s_.tracker != nullptr) {
      if (auto live = s_.tracker->Get(id)) return *live;
    }
    if (s_.store != nullptr) return s_.store->Get(id);
    return NotFound("no rollout \"" + id + "\"");
  }

  RolloutSources s_;
};

}  // namespace

void AddRolloutRoutes(net::Router* router, RolloutSources sources, const RouteContext& context) {
  auto api = std::make_shared<RolloutApi>(sources);
  auto bind = [api](Response (RolloutApi::*method)(Request&)) {
    return [api, method](Request& req) { return ((*api).*method)(req); };
  };
  AddObserved(router, context, "GET", "/api/v1/rollouts", bind(&RolloutApi::List),
              "Deployment rollouts, newest first: ?namespace&deployment&from&to&outcome&limit");
  AddObserved(router, context, "GET", "/api/v1/rollouts/{id}", bind(&RolloutApi::Get),
              "One rollout: progress over time and every new pod's phase timeline");
  AddObserved(router, context, "GET", "/api/v1/rollouts/{id}/report", bind(&RolloutApi::Report),
              "Rollout report: phases, waterfall, resources and before/after profile diff "
              "(?format=json|text&window=10m&types=cpu,heap&top=10)");
}

}  // namespace kprof::api
