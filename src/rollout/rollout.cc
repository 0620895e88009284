#include "rollout/rollout.h"

#include <algorithm>
#include <cstdio>

namespace kprof::rollout {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kInProgress:
      return "in_progress";
    case Outcome::kComplete:
      return "complete";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSuperseded:
      return "superseded";
    case Outcome::kPaused:
      return "paused";
  }
  return "in_progress";
}

Result<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : {Outcome::kInProgress, Outcome::kComplete, Outcome::kFailed,
                    Outcome::kSuperseded, Outcome::kPaused}) {
    if (OutcomeName(o) == name) return o;
  }
  return InvalidArgument("unknown rollout outcome \"" + std::string(name) +
                         "\" (in_progress, complete, failed, superseded, paused)");
}

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kSchedule:
      return "schedule";
    case Phase::kImagePull:
      return "image_pull";
    case Phase::kStart:
      return "start";
    case Phase::kReady:
      return "ready";
    case Phase::kTotal:
      return "total";
  }
  return "total";
}

namespace {

std::int64_t Between(std::int64_t from, std::int64_t to) {
  if (from == 0 || to == 0) return -1;
  return std::max<std::int64_t>(0, to - from);
}

}  // namespace

std::int64_t PodTimeline::PhaseNanos(Phase phase) const {
  switch (phase) {
    case Phase::kSchedule:
      return Between(created, scheduled);
    case Phase::kImagePull: {
      if (image_present && pull_started == 0) return 0;
      // The wall-clock span includes back-offs between failed attempts; the kubelet's
      // own figure is finer than event timestamps. Take whichever is longer.
      std::int64_t wall = Between(pull_started, pull_finished);
      std::int64_t reported = std::max(pull_reported_nanos, pull_waiting_nanos);
      if (pull_finished == 0 && reported < 0) return -1;
      return std::max(wall, reported);
    }
    case Phase::kStart: {
      std::int64_t from = std::max(scheduled, pull_finished);
      return Between(from, started);
    }
    case Phase::kReady:
      return Between(started, ready);
    case Phase::kTotal:
      return Between(created, ready);
  }
  return -1;
}

bool Rollout::Final() const {
  return outcome == Outcome::kComplete || outcome == Outcome::kFailed ||
         outcome == Outcome::kSuperseded;
}

double Rollout::ProgressRatio() const {
  if (outcome == Outcome::kComplete) return 1.0;
  if (progress.empty()) return 0.0;
  const ProgressPoint& p = progress.back();
  if (p.desired <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(p.updated) / p.desired);
}

std::vector<PhaseStats> Rollout::Stats() const {
  std::vector<PhaseStats> out;
  for (Phase phase : kPhases) {
    std::vector<std::pair<std::int64_t, const PodTimeline*>> values;
    for (const PodTimeline& pod : pods) {
      std::int64_t v = pod.PhaseNanos(phase);
      if (v >= 0) values.emplace_back(v, &pod);
    }
    PhaseStats s;
    s.phase = phase;
    s.pods = static_cast<int>(values.size());
    if (!values.empty()) {
      std::sort(values.begin(), values.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      // Nearest rank: the smallest value with at least q of the pods at or below it.
      auto rank = [&](double q) {
        std::size_t k = static_cast<std::size_t>(q * values.size() + 0.999999);
        return values[std::clamp<std::size_t>(k, 1, values.size()) - 1].first;
      };
      s.p50_nanos = rank(0.50);
      s.p95_nanos = rank(0.95);
      s.max_nanos = values.back().first;
      s.max_pod = values.back().second->name;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string RolloutId(std::string_view ns, std::string_view deployment, std::int64_t revision,
                      std::string_view deployment_uid) {
  std::string id;
  id.reserve(ns.size() + deployment.size() + 32);
  id.append(ns).append(":").append(deployment).append(":").append(std::to_string(revision));
  std::string uid8;
  for (char c : deployment_uid) {
    if (c != '-') uid8.push_back(c);
    if (uid8.size() == 8) break;
  }
  if (!uid8.empty()) id.append(":").append(uid8);
  return id;
}

}  // namespace kprof::rollout
