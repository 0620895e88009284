#include "rollout/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "pprof/diff.h"
#include "pprof/report.h"
#include "rollout/rollout_json.h"
#include "store/timeparse.h"

namespace kprof::rollout {

namespace {

using json = nlohmann::ordered_json;
constexpr std::int64_t kSecond = 1000000000;

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Printf(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

// A label matcher for "any of these ReplicaSets". Names are DNS labels, so the only
// character a regex would misread is '.'.
std::string ReplicaSetMatcher(const std::vector<std::string>& names) {
  if (names.size() == 1) return "replicaset=\"" + names[0] + "\"";
  std::string re;
  for (const std::string& name : names) {
    if (!re.empty()) re += "|";
    for (char c : name) {
      if (c == '.') {
        re += "[.]";
      } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
        re += c;
      }
    }
  }
  return "replicaset=~\"" + re + "\"";
}

bool IsSnapshot(const std::string& type, const std::string& sample_type) {
  if (type == "goroutine" || type == "threadcreate") return true;
  return type == "heap" && sample_type.rfind("inuse", 0) == 0;
}

struct Side {
  store::ProfileQuery query;
  std::vector<store::ProfileMeta> metas;
};

// The profiles of these ReplicaSets' pods, as a selector.
std::string SideSelector(const std::string& ns, const std::vector<std::string>& replicasets) {
  return "{namespace=\"" + ns + "\"," + ReplicaSetMatcher(replicasets) + "}";
}

Result<Side> Select(store::ProfileStore* profiles, const std::string& ns,
                    const std::vector<std::string>& replicasets, const std::string& type,
                    std::int64_t from, std::int64_t to) {
  Side side;
  auto selector = store::Selector::Parse(SideSelector(ns, replicasets));
  if (!selector.ok()) return selector.status();
  side.query.selector = std::move(selector).value();
  side.query.type = type;
  side.query.from_nanos = from;
  side.query.to_nanos = to;
  auto metas = profiles->List(side.query);
  if (!metas.ok()) return metas.status();
  side.metas = std::move(metas).value();
  return side;
}

Result<ProfileComparison> Compare(store::ProfileStore* profiles, const Rollout& r,
                                  const std::string& type, std::int64_t base_from,
                                  std::int64_t base_to, std::int64_t cmp_from, std::int64_t cmp_to,
                                  std::size_t top) {
  ProfileComparison c;
  c.type = type;
  c.base_from = base_from;
  c.base_to = base_to;
  c.comparison_from = cmp_from;
  c.comparison_to = cmp_to;
  c.base_query = SideSelector(r.namespace_, r.old_replicasets);
  c.comparison_query = SideSelector(r.namespace_, {r.new_replicaset});
  auto base = Select(profiles, r.namespace_, r.old_replicasets, type, base_from, base_to);
  if (!base.ok()) return base.status();
  auto cmp = Select(profiles, r.namespace_, {r.new_replicaset}, type, cmp_from, cmp_to);
  if (!cmp.ok()) return cmp.status();
  c.base_profiles = base->metas.size();
  c.comparison_profiles = cmp->metas.size();
  if (base->metas.empty() || cmp->metas.empty()) {
    c.note = base->metas.empty() ? "no " + type + " profiles of the old pods before the rollout"
                                 : "no " + type + " profiles of the new pods after the rollout yet";
    return c;
  }
  base->query.use_rollups = false;  // exact windows
  cmp->query.use_rollups = false;
  auto a = profiles->Merge(base->query);
  if (!a.ok()) return a.status().WithContext("old pods");
  auto b = profiles->Merge(cmp->query);
  if (!b.ok()) return b.status().WithContext("new pods");
  pprof::ReportOptions prep;
  auto pa = pprof::Prepare(std::move(a->profile), prep);
  if (!pa.ok()) return pa.status();
  auto pb = pprof::Prepare(std::move(b->profile), prep);
  if (!pb.ok()) return pb.status();
  auto diff = pprof::BuildDiff(*pa, *pb, pprof::DiffNormalization::kNone);
  if (!diff.ok()) return diff.status();
  c.sample_type = diff->sample_type;
  c.unit = diff->sample_unit;
  c.per_pod_second = !IsSnapshot(type, c.sample_type);
  auto units = [&](const std::vector<store::ProfileMeta>& metas, double* seconds) {
    double s = 0;
    for (const store::ProfileMeta& m : metas) s += static_cast<double>(m.duration_nanos) / 1e9;
    *seconds = s;
    return s;
  };
  double base_seconds = units(base->metas, &c.base_pod_seconds);
  double cmp_seconds = units(cmp->metas, &c.comparison_pod_seconds);
  if (c.per_pod_second && (base_seconds <= 0 || cmp_seconds <= 0)) c.per_pod_second = false;
  const double base_units = c.per_pod_second ? base_seconds : static_cast<double>(c.base_profiles);
  const double cmp_units =
      c.per_pod_second ? cmp_seconds : static_cast<double>(c.comparison_profiles);
  c.base_total_per_unit = static_cast<double>(diff->base_total) / base_units;
  c.comparison_total_per_unit = static_cast<double>(diff->comparison_total) / cmp_units;
  std::vector<FunctionChange> changes;
  for (const pprof::DiffRow& row : diff->rows) {
    FunctionChange f;
    f.name = row.name;
    f.base_share = diff->base_total ? row.base_flat / static_cast<double>(diff->base_total) : 0;
    f.comparison_share = diff->comparison_total
                             ? row.comparison_flat / static_cast<double>(diff->comparison_total)
                             : 0;
    f.base_per_unit = row.base_flat / base_units;
    f.comparison_per_unit = row.comparison_flat / cmp_units;
    changes.push_back(std::move(f));
  }
  auto growth = [](const FunctionChange& f) { return f.comparison_share - f.base_share; };
  std::sort(changes.begin(), changes.end(), [&](const FunctionChange& x, const FunctionChange& y) {
    return growth(x) != growth(y) ? growth(x) > growth(y) : x.name < y.name;
  });
  for (const FunctionChange& f : changes) {
    if (c.grew.size() >= top || growth(f) <= 0) break;
    c.grew.push_back(f);
  }
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    if (c.shrank.size() >= top || growth(*it) >= 0) break;
    c.shrank.push_back(*it);
  }
  return c;
}

json UsageJson(const resources::Usage& u) {
  return {{"pods", u.pods},
          {"samples", u.samples},
          {"cpu_cores_mean", u.cpu_cores_mean},
          {"cpu_cores_max", u.cpu_cores_max},
          {"memory_working_set_bytes_mean", u.memory_mean},
          {"memory_working_set_bytes_max", u.memory_max},
          {"rx_bytes_per_second_mean", u.rx_mean},
          {"tx_bytes_per_second_mean", u.tx_mean}};
}

std::string Percent(double before, double after) {
  if (before < 0 || after < 0) return "";
  if (before == 0) return after > 0 ? "new" : "";
  return Printf("%+.0f%%", (after - before) / before * 100);
}

std::string Bytes(double b) {
  if (b < 0) return "-";  // not measured
  if (b >= 1 << 30) return Printf("%.2fGiB", b / (1 << 30));
  if (b >= 1 << 20) return Printf("%.1fMiB", b / (1 << 20));
  if (b >= 1 << 10) return Printf("%.1fKiB", b / (1 << 10));
  return Printf("%.0fB", b);
}

// A value of the profile's unit, per pod-second or per pod.
std::string Amount(double v, const std::string& unit) {
  if (unit == "nanoseconds") {
    if (v >= 1e9) return Printf("%.2fs", v / 1e9);
    if (v >= 1e6) return Printf("%.1fms", v / 1e6);
    return Printf("%.0fus", v / 1e3);
  }
  if (unit == "bytes") return Bytes(v);
  return Printf("%.3g", v);
}

std::string ImagesLine(const kube::StringPairs& before, const kube::StringPairs& after) {
  std::string out;
  std::set<std::string> names;
  for (const auto& [k, v] : before) names.insert(k);
  for (const auto& [k, v] : after) names.insert(k);
  for (const std::string& name : names) {
    const std::string* b = kube::FindPair(before, name);
    const std::string* a = kube::FindPair(after, name);
    out += "  " + name + ": " + (b ? *b : "-") + " → " + (a ? *a : "-") + "\n";
  }
  return out;
}

}  // namespace

std::string FormatSeconds(std::int64_t nanos) {
  if (nanos < 0) return "-";
  if (nanos < kSecond) return Printf("%.0fms", static_cast<double>(nanos) / 1e6);
  if (nanos < 60 * kSecond) return Printf("%.1fs", static_cast<double>(nanos) / 1e9);
  std::int64_t s = nanos / kSecond;
  if (s < 3600)
    return Printf("%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return Printf("%lldh%02lldm", static_cast<long long>(s / 3600),
                static_cast<long long>(s % 3600 / 60));
}

Result<RolloutReport> BuildReport(const Rollout& rollout, store::ProfileStore* profiles,
                                  resources::ResourceStore* resources,
                                  const ReportOptions& options) {
  RolloutReport report;
  report.rollout = rollout;
  const std::int64_t now = options.now != 0 ? options.now : SystemNow();
  std::int64_t base_from = std::max(rollout.start - options.window_nanos, options.previous_end);
  std::int64_t base_to = rollout.start;
  std::int64_t cmp_from = rollout.start;
  std::int64_t cmp_to = now;
  if (rollout.outcome == Outcome::kComplete && rollout.end != 0) {
    cmp_from = rollout.end;
    cmp_to = std::min(now, rollout.end + options.window_nanos);
  } else if (rollout.end != 0 && rollout.outcome == Outcome::kSuperseded) {
    cmp_to = rollout.end;
  }
  if (options.next_start != 0) cmp_to = std::min(cmp_to, options.next_start);
  if (cmp_to < cmp_from) cmp_to = cmp_from;

  if (rollout.new_replicaset.empty()) {
    report.notes.push_back("the new ReplicaSet is not known yet: no before/after comparison");
    return report;
  }
  if (rollout.old_replicasets.empty()) {
    report.notes.push_back(
        "no old ReplicaSet had pods when the rollout began (first "
        "revision?): nothing to compare against");
  }
  if (resources != nullptr && !rollout.old_replicasets.empty()) {
    resources::ResourceQuery before;
    before.namespace_ = rollout.namespace_;
    before.replicasets = rollout.old_replicasets;
    before.from_nanos = base_from;
    before.to_nanos = base_to;
    resources::ResourceQuery after = before;
    after.replicasets = {rollout.new_replicaset};
    after.from_nanos = cmp_from;
    after.to_nanos = cmp_to;
    auto b = resources->Query(before);
    auto a = resources->Query(after);
    if (b.ok() && a.ok()) {
      report.resources = ResourceComparison{resources::Summarize(*b), resources::Summarize(*a)};
    } else {
      report.notes.push_back("resources: " + (b.ok() ? a.status() : b.status()).message());
    }
  }
  if (profiles == nullptr || rollout.old_replicasets.empty()) return report;

  std::vector<std::string> types = options.types;
  if (types.empty()) {
    // The types the new pods have; each is compared if the old pods have it too.
    auto cmp = Select(profiles, rollout.namespace_, {rollout.new_replicaset}, "", cmp_from, cmp_to);
    if (!cmp.ok()) return cmp.status();
    std::set<std::string> seen;
    for (const store::ProfileMeta& m : cmp->metas) seen.insert(m.type);
    static const std::vector<std::string> kOrder = {"cpu",   "heap",  "allocs",      "goroutine",
                                                    "block", "mutex", "threadcreate"};
    for (const std::string& t : kOrder) {
      if (seen.erase(t)) types.push_back(t);
    }
    types.insert(types.end(), seen.begin(), seen.end());
    if (types.empty()) {
      report.notes.push_back("no profiles of the new pods in " + FormatSeconds(cmp_to - cmp_from) +
                             " after the rollout yet; profiles arrive at the scrape interval");
    }
  }
  for (const std::string& type : types) {
    auto c = Compare(profiles, rollout, type, base_from, base_to, cmp_from, cmp_to, options.top);
    if (!c.ok()) {
      ProfileComparison failed;
      failed.type = type;
      failed.note = c.status().message();
      report.profiles.push_back(std::move(failed));
      continue;
    }
    report.profiles.push_back(std::move(c).value());
  }
  return report;
}

json ReportToJson(const RolloutReport& report) {
  json profiles = json::array();
  for (const ProfileComparison& c : report.profiles) {
    auto rows = [&](const std::vector<FunctionChange>& list) {
      json out = json::array();
      for (const FunctionChange& f : list) {
        out.push_back({{"function", f.name},
                       {"share_before", f.base_share},
                       {"share_after", f.comparison_share},
                       {"share_change", f.comparison_share - f.base_share},
                       {"before", f.base_per_unit},
                       {"after", f.comparison_per_unit}});
      }
      return out;
    };
    profiles.push_back({{"type", c.type},
                        {"sample_type", c.sample_type},
                        {"unit", c.unit},
                        {"normalized", c.per_pod_second ? "per_pod_second" : "per_pod"},
                        {"before",
                         {{"from", store::FormatRfc3339(c.base_from)},
                          {"to", store::FormatRfc3339(c.base_to)},
                          {"query", c.base_query},
                          {"profiles", c.base_profiles},
                          {"pod_seconds", c.base_pod_seconds},
                          {"total", c.base_total_per_unit}}},
                        {"after",
                         {{"from", store::FormatRfc3339(c.comparison_from)},
                          {"to", store::FormatRfc3339(c.comparison_to)},
                          {"query", c.comparison_query},
                          {"profiles", c.comparison_profiles},
                          {"pod_seconds", c.comparison_pod_seconds},
                          {"total", c.comparison_total_per_unit}}},
                        {"grew", rows(c.grew)},
                        {"shrank", rows(c.shrank)},
                        {"note", c.note}});
  }
  json out = {{"rollout", RolloutToJson(report.rollout, /*detail=*/true)},
              {"profiles", profiles},
              {"resources", nullptr},
              {"notes", report.notes}};
  if (report.resources) {
    out["resources"] = {{"before", UsageJson(report.resources->before)},
                        {"after", UsageJson(report.resources->after)}};
  }
  return out;
}

std::string RenderPhaseTable(const Rollout& r) {
  std::string out =
      Printf("%-11s %5s %9s %9s %9s  %s\n", "PHASE", "PODS", "P50", "P95", "MAX", "SLOWEST POD");
  for (const PhaseStats& s : r.Stats()) {
    out += Printf("%-11s %5d %9s %9s %9s  %s\n", std::string(PhaseName(s.phase)).c_str(), s.pods,
                  FormatSeconds(s.pods ? s.p50_nanos : -1).c_str(),
                  FormatSeconds(s.pods ? s.p95_nanos : -1).c_str(),
                  FormatSeconds(s.pods ? s.max_nanos : -1).c_str(), s.max_pod.c_str());
  }
  return out;
}

std::string RenderWaterfall(const Rollout& r, int width, std::int64_t now) {
  if (r.pods.empty()) return "";
  width = std::clamp(width, 10, 400);
  std::int64_t from = r.start;
  std::int64_t to = r.end != 0 ? r.end : now;
  for (const PodTimeline& p : r.pods) {
    if (p.created != 0) from = std::min(from, p.created);
    to = std::max({to, p.ready, p.started});
  }
  std::int64_t span = std::max<std::int64_t>(to - from, kSecond);
  std::size_t name_width = 3;
  for (const PodTimeline& p : r.pods) name_width = std::max(name_width, p.name.size());
  name_width = std::min<std::size_t>(name_width, 48);
  auto column = [&](std::int64_t t) {
    return static_cast<int>(std::clamp<std::int64_t>((t - from) * width / span, 0, width - 1));
  };
  std::string out = Printf("%-*s |%s| each column %s; s schedule, P image pull, c start, r ready\n",
                           static_cast<int>(name_width), "POD", std::string(width, '-').c_str(),
                           FormatSeconds(span / width).c_str());
  for (const PodTimeline& p : r.pods) {
    std::string bar(width, ' ');
    auto paint = [&](std::int64_t a, std::int64_t b, char c) {
      if (a == 0) return;
      if (b == 0) b = std::min(now, to);
      for (int i = column(a); i <= column(std::max(a, b)); ++i) bar[i] = c;
    };
    const std::int64_t pulled = std::max(p.pull_finished, p.scheduled);
    paint(p.created, p.scheduled ? p.scheduled : (p.ready ? p.ready : 0), 's');
    if (p.pull_started != 0 && !p.image_present) paint(p.pull_started, p.pull_finished, 'P');
    if (p.scheduled != 0) paint(pulled, p.started, 'c');
    if (p.started != 0) paint(p.started, p.ready, 'r');
    if (p.ready != 0) bar[column(p.ready)] = '|';
    std::string total = p.ready ? FormatSeconds(p.PhaseNanos(Phase::kTotal)) : p.state;
    if (!p.problems.empty()) total += " (" + p.problems.back().reason + ")";
    out += Printf("%-*s |%s| %s\n", static_cast<int>(name_width),
                  p.name.substr(0, name_width).c_str(), bar.c_str(), total.c_str());
  }
  return out;
}

std::string RenderReportText(const RolloutReport& report) {
  const Rollout& r = report.rollout;
  const std::int64_t now = SystemNow();
  std::string out;
  out += "Rollout of deployment " + r.namespace_ + "/" + r.deployment + " to revision " +
         std::to_string(r.revision) + ": " + std::string(OutcomeName(r.outcome));
  if (r.end != 0)
    out += " after " + FormatSeconds(r.end - r.start);
  else
    out += ", running for " + FormatSeconds(now - r.start);
  out += "\n  id " + r.id + ", started " + store::FormatRfc3339(r.start);
  if (r.end != 0) out += ", ended " + store::FormatRfc3339(r.end);
  out += "\n";
  if (!r.message.empty()) out += "  " + r.message + "\n";
  std::string old = r.old_replicasets.empty() ? "-" : "";
  for (const std::string& name : r.old_replicasets) old += (old.empty() ? "" : ", ") + name;
  out +=
      "  ReplicaSets: " + old + " → " + (r.new_replicaset.empty() ? "-" : r.new_replicaset) + "\n";
  out += ImagesLine(r.images_before, r.images_after);

  const PodTimeline* slowest = nullptr;
  for (const PodTimeline& p : r.pods) {
    if (p.PhaseNanos(Phase::kTotal) >= 0 &&
        (!slowest || p.PhaseNanos(Phase::kTotal) > slowest->PhaseNanos(Phase::kTotal))) {
      slowest = &p;
    }
  }
  if (slowest != nullptr) {
    Phase worst = Phase::kSchedule;
    for (Phase phase : kPhases) {
      if (phase != Phase::kTotal && slowest->PhaseNanos(phase) > slowest->PhaseNanos(worst)) {
        worst = phase;
      }
    }
    out += "  slowest pod: " + slowest->name + " ready after " +
           FormatSeconds(slowest->PhaseNanos(Phase::kTotal)) + ", most of it in " +
           std::string(PhaseName(worst)) + " (" + FormatSeconds(slowest->PhaseNanos(worst)) + ")\n";
  }
  out += "\nPhases of the new pods\n" + RenderPhaseTable(r);
  std::string problems;
  for (const PodTimeline& p : r.pods) {
    for (const PodProblem& pr : p.problems) {
      problems += "  " + p.name + ": " + pr.reason +
                  (pr.count > 1 ? " ×" + std::to_string(pr.count) : "") +
                  (pr.message.empty() ? "" : ": " + pr.message) + "\n";
    }
  }
  if (!problems.empty()) out += "\nProblems\n" + problems;
  out += "\nWaterfall\n" + RenderWaterfall(r, 60, now);

  if (report.resources) {
    const resources::Usage& b = report.resources->before;
    const resources::Usage& a = report.resources->after;
    out += Printf("\nResources per pod (old pods before: %zu pods, new pods after: %zu pods)\n",
                  b.pods, a.pods);
    out += Printf("  %-22s %12s %12s %8s\n", "", "BEFORE", "AFTER", "CHANGE");
    auto cores = [](double v) { return v < 0 ? std::string("-") : Printf("%.3f", v); };
    out += Printf("  %-22s %12s %12s %8s\n", "cpu cores (mean)", cores(b.cpu_cores_mean).c_str(),
                  cores(a.cpu_cores_mean).c_str(),
                  Percent(b.cpu_cores_mean, a.cpu_cores_mean).c_str());
    out += Printf("  %-22s %12s %12s %8s\n", "memory working set", Bytes(b.memory_mean).c_str(),
                  Bytes(a.memory_mean).c_str(), Percent(b.memory_mean, a.memory_mean).c_str());
    out += Printf("  %-22s %12s %12s %8s\n", "network rx /s", Bytes(b.rx_mean).c_str(),
                  Bytes(a.rx_mean).c_str(), Percent(b.rx_mean, a.rx_mean).c_str());
    out += Printf("  %-22s %12s %12s %8s\n", "network tx /s", Bytes(b.tx_mean).c_str(),
                  Bytes(a.tx_mean).c_str(), Percent(b.tx_mean, a.tx_mean).c_str());
  }
  for (const ProfileComparison& c : report.profiles) {
    out += "\nProfile " + c.type;
    if (!c.note.empty()) {
      out += ": " + c.note + "\n";
      continue;
    }
    const char* per = c.per_pod_second ? "per pod-second" : "per pod";
    out += Printf(" (%s, %s): old pods %zu profiles, new pods %zu profiles\n",
                  c.sample_type.c_str(), per, c.base_profiles, c.comparison_profiles);
    out += "  total " + Amount(c.base_total_per_unit, c.unit) + " → " +
           Amount(c.comparison_total_per_unit, c.unit) + " " + per + " (" +
           Percent(c.base_total_per_unit, c.comparison_total_per_unit) + ")\n";
    if (c.grew.empty()) {
      out += "  no function's share grew\n";
      continue;
    }
    out += Printf("  %8s %8s %9s %12s %12s  %s\n", "BEFORE", "AFTER", "CHANGE", "BEFORE/U",
                  "AFTER/U", "FUNCTIONS WHOSE SHARE GREW MOST");
    for (const FunctionChange& f : c.grew) {
      out += Printf("  %7.2f%% %7.2f%% %+8.2fpp %12s %12s  %s\n", f.base_share * 100,
                    f.comparison_share * 100, (f.comparison_share - f.base_share) * 100,
                    Amount(f.base_per_unit, c.unit).c_str(),
                    Amount(f.comparison_per_unit, c.unit).c_str(), f.name.c_str());
    }
  }
  for (const std::string& note : report.notes) out += "\nnote: " + note + "\n";
  return out;
}

}  // namespace kprof::rollout
