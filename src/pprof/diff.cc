#include "pprof/diff.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "pprof/merge.h"

namespace kprof::pprof {

Result<DiffNormalization> ParseDiffNormalization(std::string_view name) {
  if (name == "total") return DiffNormalization::kTotal;
  if (name == "per-second" || name == "seconds" || name == "per_second") {
    return DiffNormalization::kPerSecond;
  }
  if (name == "none") return DiffNormalization::kNone;
  return InvalidArgument("unknown normalization \"" + std::string(name) +
                         "\": use total, per-second or none");
}

Result<DiffReport> BuildDiff(const PreparedProfile& base, const PreparedProfile& comparison,
                             DiffNormalization normalization, bool sort_by_cum) {
  if (base.sample_type != comparison.sample_type || base.sample_unit != comparison.sample_unit) {
    return FailedPrecondition("cannot compare " + base.sample_type + "/" + base.sample_unit +
                              " with " + comparison.sample_type + "/" + comparison.sample_unit +
                              "; pick the same -sample_index for both");
  }
  DiffReport report;
  report.normalization = normalization;
  report.sample_type = base.sample_type;
  report.sample_unit = base.sample_unit;
  report.base_total = base.total;
  report.comparison_total = comparison.total;
  report.base_seconds = static_cast<double>(base.profile.duration_nanos) / 1e9;
  report.comparison_seconds = static_cast<double>(comparison.profile.duration_nanos) / 1e9;

  double base_div = 1, comparison_div = 1;
  switch (normalization) {
    case DiffNormalization::kTotal:
      base_div = base.total == 0 ? 1 : static_cast<double>(base.total);
      comparison_div = comparison.total == 0 ? 1 : static_cast<double>(comparison.total);
      break;
    case DiffNormalization::kPerSecond:
      if (report.base_seconds <= 0 || report.comparison_seconds <= 0) {
        return FailedPrecondition(
            "a profile has no duration (heap, goroutine and other snapshots don't); "
            "use --normalize=total");
      }
      base_div = report.base_seconds;
      comparison_div = report.comparison_seconds;
      break;
    case DiffNormalization::kNone:
      break;
  }

  GraphOptions options;
  options.sample_index = base.sample_index;
  Graph base_graph = Graph::Build(base.profile, options);
  options.sample_index = comparison.sample_index;
  Graph comparison_graph = Graph::Build(comparison.profile, options);

  std::unordered_map<std::string, size_t> index;
  auto row_for = [&](const GraphNode& n) -> DiffRow& {
    std::string name = n.info.PrintableName();
    auto [it, inserted] = index.try_emplace(name, report.rows.size());
    if (inserted) report.rows.push_back(DiffRow{std::move(name)});
    return report.rows[it->second];
  };
  for (const GraphNode& n : base_graph.nodes) {
    DiffRow& row = row_for(n);
    row.base_flat += static_cast<double>(n.flat) / base_div;
    row.base_cum += static_cast<double>(n.cum) / base_div;
  }
  for (const GraphNode& n : comparison_graph.nodes) {
    DiffRow& row = row_for(n);
    row.comparison_flat += static_cast<double>(n.flat) / comparison_div;
    row.comparison_cum += static_cast<double>(n.cum) / comparison_div;
  }
  std::sort(report.rows.begin(), report.rows.end(),
            [sort_by_cum](const DiffRow& a, const DiffRow& b) {
              double da = std::fabs(sort_by_cum ? a.delta_cum() : a.delta_flat());
              double db = std::fabs(sort_by_cum ? b.delta_cum() : b.delta_flat());
              if (da != db) return da > db;
              return a.name < b.name;
            });
  return report;
}

double BaseScale(const DiffReport& report) {
  switch (report.normalization) {
    case DiffNormalization::kTotal:
      return report.base_total == 0 ? 1.0
                                    : static_cast<double>(report.comparison_total) /
                                          static_cast<double>(report.base_total);
    case DiffNormalization::kPerSecond:
      return report.base_seconds > 0 ? report.comparison_seconds / report.base_seconds : 1.0;
    case DiffNormalization::kNone:
      break;
  }
  return 1.0;
}

Result<Profile> DiffProfile(const Profile& base, const Profile& comparison, double base_scale) {
  return DiffProfile(base, comparison, std::vector<double>(base.num_values(), base_scale));
}

std::vector<double> DiffScales(const DiffReport& report, const Profile& base,
                               const Profile& comparison) {
  const size_t n = base.num_values();
  std::vector<double> scales(n, BaseScale(report));
  if (report.normalization != DiffNormalization::kTotal) return scales;
  auto totals = [](const Profile& p) {
    std::vector<double> sum(p.num_values(), 0);
    for (size_t i = 0; i < p.values.size(); ++i) sum[i % sum.size()] += p.values[i];
    return sum;
  };
  std::vector<double> base_totals = n ? totals(base) : std::vector<double>();
  std::vector<double> cmp_totals =
      comparison.num_values() ? totals(comparison) : std::vector<double>();
  for (size_t t = 0; t < n; ++t) {
    const std::string_view name = base.str(base.sample_types[t].type);
    for (size_t c = 0; c < comparison.sample_types.size(); ++c) {
      if (comparison.str(comparison.sample_types[c].type) == name && base_totals[t] != 0) {
        scales[t] = cmp_totals[c] / base_totals[t];
      }
    }
  }
  return scales;
}

Result<Profile> DiffProfile(const Profile& base, const Profile& comparison,
                            const std::vector<double>& base_scales) {
  Profile scaled = base;
  const size_t n = base.num_values();
  for (size_t i = 0; n != 0 && i < scaled.values.size(); ++i) {
    const double scale = i % n < base_scales.size() ? base_scales[i % n] : 1.0;
    int64_t& v = scaled.values[i];
    v = -static_cast<int64_t>(std::llround(static_cast<double>(v) * scale));
  }
  Merger merger;
  KPROF_RETURN_IF_ERROR(merger.Add(comparison));
  KPROF_RETURN_IF_ERROR(merger.Add(scaled).WithContext("base profile"));
  Profile out = merger.Finish();
  out.time_nanos = comparison.time_nanos;
  out.duration_nanos = comparison.duration_nanos;
  return out;
}

}  // namespace kprof::pprof
