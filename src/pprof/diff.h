// Comparing two profiles: which functions take a bigger share, or more per second.
//
// Both sides are prepared the same way (sample type, filters, granularity), turned
// into untrimmed graphs, and joined by node name. Values are normalized so that a
// longer or busier capture does not look like a regression:
//   total       share of each profile's own total (default)
//   per-second  value per second of profile duration
//   none        raw values
//
// Thread-safety: functions over values.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/report.h"

namespace kprof::pprof {

enum class DiffNormalization { kTotal, kPerSecond, kNone };

Result<DiffNormalization> ParseDiffNormalization(std::string_view name);

struct DiffRow {
  std::string name;
  double base_flat = 0;
  double comparison_flat = 0;
  double base_cum = 0;
  double comparison_cum = 0;
  double delta_flat() const { return comparison_flat - base_flat; }
  double delta_cum() const { return comparison_cum - base_cum; }
};

struct DiffReport {
  DiffNormalization normalization = DiffNormalization::kTotal;
  std::string sample_type;
  std::string sample_unit;
  int64_t base_total = 0;
  int64_t comparison_total = 0;
  double base_seconds = 0;
  double comparison_seconds = 0;
  std::vector<DiffRow> rows;  // largest |change| first
};

// `sort_by_cum` orders rows by |Δcum| instead of |Δflat|.
Result<DiffReport> BuildDiff(const PreparedProfile& base, const PreparedProfile& comparison,
                             DiffNormalization normalization, bool sort_by_cum = false);

// The factor that puts base values on the comparison's scale under the report's
// normalization: comparison_total / base_total (total), the ratio of the durations
// (per-second), or 1 (none). comparison − base·scale is then the change.
double BaseScale(const DiffReport& report);

// A profile holding comparison − base·scale, which `go tool pprof` reads as a diff
// (negative values where the comparison shrank). Sample types must match.
Result<Profile> DiffProfile(const Profile& base, const Profile& comparison, double base_scale);

// The same with one scale per sample type of `base` (as DiffScales gives them).
Result<Profile> DiffProfile(const Profile& base, const Profile& comparison,
                            const std::vector<double>& base_scales);

// The scale of each of `base`'s sample types for DiffProfile: under total normalization
// each type's own ratio of totals (a heap profile's inuse_space and alloc_space shrink
// and grow apart), otherwise BaseScale(report) for all.
std::vector<double> DiffScales(const DiffReport& report, const Profile& base,
                               const Profile& comparison);

}  // namespace kprof::pprof
