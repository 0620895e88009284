#include "rollout/rollout_json.h"

#include "store/timeparse.h"

namespace kprof::rollout {

namespace {

using json = nlohmann::ordered_json;

json Time(std::int64_t nanos) {
  return nanos > 0 ? json(store::FormatRfc3339(nanos)) : json(nullptr);
}

json Seconds(std::int64_t nanos) {
  return nanos >= 0 ? json(static_cast<double>(nanos) / 1e9) : json(nullptr);
}

json Pairs(const kube::StringPairs& pairs) {
  json out = json::object();
  for (const auto& [k, v] : pairs) out[k] = v;
  return out;
}

// Readers: a missing or null field leaves the default; a wrong type is an error.
struct Reader {
  const json& j;
  std::string error;

  std::int64_t TimeField(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_string()) return Fail(name, "want an RFC 3339 string"), 0;
    auto t = store::ParseTime(it->get<std::string>(), 0);
    if (!t.ok()) return Fail(name, t.status().message()), 0;
    return *t;
  }
  std::int64_t SecondsField(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return -1;
    if (!it->is_number()) return Fail(name, "want a number"), -1;
    double v = it->get<double>();
    if (!(v >= 0 && v < 9e9)) return Fail(name, "out of range"), -1;
    return static_cast<std::int64_t>(v * 1e9 + 0.5);
  }
  std::string String(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return "";
    if (!it->is_string()) return Fail(name, "want a string"), "";
    return it->get<std::string>();
  }
  std::int64_t Int(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) return Fail(name, "want an integer"), 0;
    return it->get<std::int64_t>();
  }
  bool Bool(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return false;
    if (!it->is_boolean()) return Fail(name, "want true or false"), false;
    return it->get<bool>();
  }
  kube::StringPairs PairsField(const char* name) {
    kube::StringPairs out;
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_object()) return Fail(name, "want an object"), out;
    for (auto& [k, v] : it->items()) {
      if (!v.is_string()) return Fail(name, "want string values"), out;
      out.emplace_back(k, v.get<std::string>());
    }
    return out;
  }
  const json* Array(const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return nullptr;
    if (!it->is_array()) return Fail(name, "want an array"), nullptr;
    return &*it;
  }
  void Fail(const char* name, std::string_view why) {
    if (error.empty()) error = std::string(name) + ": " + std::string(why);
  }
};

}  // namespace

json PodToJson(const PodTimeline& p) {
  json phases = json::object();
  for (Phase phase : kPhases) phases[std::string(PhaseName(phase))] = Seconds(p.PhaseNanos(phase));
  json problems = json::array();
  for (const PodProblem& pr : p.problems) {
    problems.push_back({{"reason", pr.reason},
                        {"message", pr.message},
                        {"first_time", Time(pr.first_time)},
                        {"last_time", Time(pr.last_time)},
                        {"count", pr.count}});
  }
  return {{"name", p.name},
          {"uid", p.uid},
          {"node", p.node},
          {"state", p.state},
          {"created", Time(p.created)},
          {"scheduled", Time(p.scheduled)},
          {"pull_started", Time(p.pull_started)},
          {"pull_finished", Time(p.pull_finished)},
          {"started", Time(p.started)},
          {"ready", Time(p.ready)},
          {"deleted", Time(p.deleted)},
          {"image_present", p.image_present},
          {"pull_reported_seconds", Seconds(p.pull_reported_nanos)},
          {"pull_including_waiting_seconds", Seconds(p.pull_waiting_nanos)},
          {"image_size_bytes", p.image_size_bytes},
          {"restarts", p.restarts},
          {"phases_seconds", phases},
          {"problems", problems}};
}

json RolloutToJson(const Rollout& r, bool detail) {
  json stats = json::object();
  const PodTimeline* slowest = nullptr;
  for (const PodTimeline& p : r.pods) {
    if (p.PhaseNanos(Phase::kTotal) >= 0 &&
        (slowest == nullptr || p.PhaseNanos(Phase::kTotal) > slowest->PhaseNanos(Phase::kTotal))) {
      slowest = &p;
    }
  }
  for (const PhaseStats& s : r.Stats()) {
    stats[std::string(PhaseName(s.phase))] = {{"pods", s.pods},
                                              {"p50_seconds", Seconds(s.pods ? s.p50_nanos : -1)},
                                              {"p95_seconds", Seconds(s.pods ? s.p95_nanos : -1)},
                                              {"max_seconds", Seconds(s.pods ? s.max_nanos : -1)},
                                              {"max_pod", s.max_pod}};
  }
  json slow = nullptr;
  if (slowest != nullptr) {
    Phase worst = Phase::kSchedule;
    for (Phase phase : kPhases) {
      if (phase != Phase::kTotal && slowest->PhaseNanos(phase) > slowest->PhaseNanos(worst)) {
        worst = phase;
      }
    }
    slow = {{"pod", slowest->name},
            {"total_seconds", Seconds(slowest->PhaseNanos(Phase::kTotal))},
            {"slowest_phase", PhaseName(worst)},
            {"slowest_phase_seconds", Seconds(slowest->PhaseNanos(worst))}};
  }
  int ready = 0;
  int problems = 0;
  for (const PodTimeline& p : r.pods) {
    ready += p.ready != 0 ? 1 : 0;
    problems += p.problems.empty() ? 0 : 1;
  }
  json out = {
      {"id", r.id},
      {"namespace", r.namespace_},
      {"deployment", r.deployment},
      {"deployment_uid", r.deployment_uid},
      {"revision", r.revision},
      {"outcome", OutcomeName(r.outcome)},
      {"reason", r.reason},
      {"message", r.message},
      {"start", Time(r.start)},
      {"end", Time(r.end)},
      {"duration_seconds", r.end != 0 ? Seconds(r.end - r.start) : json(nullptr)},
      {"strategy", r.strategy},
      {"desired", r.desired},
      {"progress_ratio", r.ProgressRatio()},
      {"new_replicaset", r.new_replicaset},
      {"old_replicasets", r.old_replicasets},
      {"images_before", Pairs(r.images_before)},
      {"images_after", Pairs(r.images_after)},
      {"pods_total", r.pods.size()},
      {"pods_ready", ready},
      {"pods_with_problems", problems},
      {"phase_stats", stats},
      {"slowest", slow},
      {"updated_at", Time(r.updated_at)},
  };
  if (detail) {
    json progress = json::array();
    for (const ProgressPoint& p : r.progress) {
      progress.push_back({{"time", Time(p.time)},
                          {"desired", p.desired},
                          {"updated", p.updated},
                          {"ready", p.ready},
                          {"available", p.available},
                          {"total", p.total}});
    }
    json pods = json::array();
    for (const PodTimeline& p : r.pods) pods.push_back(PodToJson(p));
    out["progress"] = std::move(progress);
    out["pods"] = std::move(pods);
  }
  return out;
}

Result<Rollout> RolloutFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument("rollout record: not a JSON object");
  Reader in{j, {}};
  Rollout r;
  r.id = in.String("id");
  r.namespace_ = in.String("namespace");
  r.deployment = in.String("deployment");
  r.deployment_uid = in.String("deployment_uid");
  r.revision = in.Int("revision");
  auto outcome = ParseOutcome(in.String("outcome"));
  if (!outcome.ok()) in.Fail("outcome", outcome.status().message());
  r.outcome = outcome.ok() ? *outcome : Outcome::kInProgress;
  r.reason = in.String("reason");
  r.message = in.String("message");
  r.start = in.TimeField("start");
  r.end = in.TimeField("end");
  r.strategy = in.String("strategy");
  r.desired = static_cast<int>(in.Int("desired"));
  r.new_replicaset = in.String("new_replicaset");
  if (const json* old = in.Array("old_replicasets")) {
    for (const json& name : *old) {
      if (name.is_string()) r.old_replicasets.push_back(name.get<std::string>());
    }
  }
  r.images_before = in.PairsField("images_before");
  r.images_after = in.PairsField("images_after");
  r.updated_at = in.TimeField("updated_at");
  if (const json* progress = in.Array("progress")) {
    for (const json& p : *progress) {
      if (!p.is_object()) return InvalidArgument("rollout record: progress: want objects");
      Reader pr{p, {}};
      r.progress.push_back({pr.TimeField("time"), static_cast<int>(pr.Int("desired")),
                            static_cast<int>(pr.Int("updated")), static_cast<int>(pr.Int("ready")),
                            static_cast<int>(pr.Int("available")),
                            static_cast<int>(pr.Int("total"))});
      if (!pr.error.empty()) return InvalidArgument("rollout record: progress: " + pr.error);
      if (r.progress.size() > kMaxProgressPoints) break;
    }
  }
  if (const json* pods = in.Array("pods")) {
    for (const json& p : *pods) {
      if (!p.is_object()) return InvalidArgument("rollout record: pods: want objects");
      Reader pr{p, {}};
      PodTimeline t;
      t.name = pr.String("name");
      t.uid = pr.String("uid");
      t.node = pr.String("node");
      t.state = pr.String("state");
      t.created = pr.TimeField("created");
      t.scheduled = pr.TimeField("scheduled");
      t.pull_started = pr.TimeField("pull_started");
      t.pull_finished = pr.TimeField("pull_finished");
      t.started = pr.TimeField("started");
      t.ready = pr.TimeField("ready");
      t.deleted = pr.TimeField("deleted");
      t.image_present = pr.Bool("image_present");
      t.pull_reported_nanos = pr.SecondsField("pull_reported_seconds");
      t.pull_waiting_nanos = pr.SecondsField("pull_including_waiting_seconds");
      t.image_size_bytes = pr.Int("image_size_bytes");
      t.restarts = static_cast<int>(pr.Int("restarts"));
      if (const json* problems = pr.Array("problems")) {
        for (const json& q : *problems) {
          if (!q.is_object()) continue;
          Reader qr{q, {}};
          t.problems.push_back({qr.String("reason"), qr.String("message"),
                                qr.TimeField("first_time"), qr.TimeField("last_time"),
                                static_cast<int>(qr.Int("count"))});
          if (!qr.error.empty()) return InvalidArgument("rollout record: problems: " + qr.error);
        }
      }
      if (!pr.error.empty()) return InvalidArgument("rollout record: pods: " + pr.error);
      r.pods.push_back(std::move(t));
      if (r.pods.size() > kMaxPodsPerRollout) break;
    }
  }
  if (!in.error.empty()) return InvalidArgument("rollout record: " + in.error);
  if (r.id.empty()) return InvalidArgument("rollout record: missing id");
  return r;
}

}  // namespace kprof::rollout
