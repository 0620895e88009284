// The rollout report: what a rollout did to the pods and to the code. For one rollout it
// puts together
//   - the phase table (p50/p95/max per phase) and a text waterfall of every new pod,
//   - resource use per pod of the old ReplicaSets before the rollout against the new
//     ReplicaSet after it,
//   - for each profile type, the old pods' profiles before the rollout against the new
//     pods' profiles after it, normalized per pod-second (CPU, allocations: values over
//     the seconds the profiles cover) or per pod (heap in use, goroutines: snapshot
//     averages), listing the functions whose share of the total grew most.
// Windows: `window` before the start and after the end (or from the start until now
// while the rollout runs), cut at the neighbouring rollouts.
//
// Thread-safety: functions; the stores are used through their thread-safe interfaces.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "resources/store.h"
#include "rollout/rollout.h"
#include "store/store.h"

namespace kprof::rollout {

struct ReportOptions {
  std::int64_t window_nanos = std::int64_t{600} * 1000000000;
  std::vector<std::string> types;  // empty = every type with profiles on both sides
  std::size_t top = 10;
  std::int64_t now = 0;  // 0 = the system clock
  // Neighbouring rollouts of the same Deployment bound the windows (0 = none).
  std::int64_t previous_end = 0;
  std::int64_t next_start = 0;
};

struct FunctionChange {
  std::string name;
  double base_share = 0;  // of the side's total, 0..1
  double comparison_share = 0;
  double base_per_unit = 0;  // value per pod-second (or per pod)
  double comparison_per_unit = 0;
};

struct ProfileComparison {
  std::string type;
  std::string sample_type;
  std::string unit;
  bool per_pod_second = true;  // false: per pod (snapshots)
  std::int64_t base_from = 0, base_to = 0, comparison_from = 0, comparison_to = 0;
  std::string base_query, comparison_query;  // the sides' selectors, for /api/v1/diff
  std::size_t base_profiles = 0, comparison_profiles = 0;
  double base_pod_seconds = 0, comparison_pod_seconds = 0;
  double base_total_per_unit = 0, comparison_total_per_unit = 0;
  std::vector<FunctionChange> grew;    // share grew most first
  std::vector<FunctionChange> shrank;  // share shrank most first
  std::string note;                    // why there is no comparison, when there is none
};

struct ResourceComparison {
  resources::Usage before;  // old ReplicaSets' pods before the rollout
  resources::Usage after;   // the new ReplicaSet's pods after it
};

struct RolloutReport {
  Rollout rollout;
  std::vector<ProfileComparison> profiles;
  std::optional<ResourceComparison> resources;
  std::vector<std::string> notes;
};

// `resources` may be null (no resource section).
Result<RolloutReport> BuildReport(const Rollout& rollout, store::ProfileStore* profiles,
                                  resources::ResourceStore* resources,
                                  const ReportOptions& options);

nlohmann::ordered_json ReportToJson(const RolloutReport& report);
std::string RenderReportText(const RolloutReport& report);

// Phase table and waterfall alone (also used by `rollout status`).
std::string RenderPhaseTable(const Rollout& rollout);
std::string RenderWaterfall(const Rollout& rollout, int width, std::int64_t now);

// "1.5s", "250ms", "2m05s".
std::string FormatSeconds(std::int64_t nanos);

}  // namespace kprof::rollout
