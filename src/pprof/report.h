// Reports over one (usually merged) profile: preparation shared by every report,
// and the top table.
//
// Preparation follows `go tool pprof`'s order, so numbers agree with it:
//   1. simplify C++-style names (pprof's demangling heuristics; Go names unchanged)
//   2. honour the profile's drop_frames / keep_frames
//   3. choose the sample value (-sample_index, else default_sample_type, else last)
//   4. compute the total Σ|value| — before filters unless relative_percentages
//   5. apply filters (focus, ignore, hide, show, show_from, tagfocus, tagignore)
//   6. aggregate to the granularity
//
// Thread-safety: functions over values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/aggregate.h"
#include "pprof/filter.h"
#include "pprof/graph.h"
#include "pprof/profile.h"

namespace kprof::pprof {

struct ReportOptions {
  std::string sample_index;  // name or number; "" = the profile's default
  FilterOptions filters;
  Granularity granularity = Granularity::kFunctions;
  bool inlines = true;
  bool relative_percentages = false;
  bool simplify_names = true;
  // Nodes: at most node_count (0 = all) after dropping those with |cum| below
  // node_fraction of the total. Edges lighter than edge_fraction are ignored.
  int node_count = 0;
  double node_fraction = 0.005;
  double edge_fraction = 0.001;
  std::string unit = "minimum";  // "minimum", "auto" or a unit such as "ms", "MB"
  bool cum_sort = false;
  bool compact_labels = false;
};

// Resolves -sample_index against a profile's sample types.
Result<size_t> SampleIndex(const Profile& profile, std::string_view sample_index);

struct PreparedProfile {
  Profile profile;  // filtered and aggregated
  size_t sample_index = 0;
  std::string sample_type;
  std::string sample_unit;
  int64_t total = 0;  // Σ|value|; the denominator of every percentage
  std::vector<std::string> warnings;
};

Result<PreparedProfile> Prepare(Profile profile, const ReportOptions& options);

// The header lines pprof prints above a report: File, Build ID, comments, Type,
// Time (local zone), Duration with Total samples. `output_unit` formats the total.
std::vector<std::string> ProfileLabels(const PreparedProfile& prepared,
                                       const std::string& output_unit);

// Formats a value of the prepared profile's unit in `output_unit`.
std::string FormatValue(const PreparedProfile& prepared, const std::string& output_unit,
                        int64_t value);

struct TopRow {
  std::string name;
  int64_t flat = 0;
  int64_t cum = 0;
  std::string inline_label;  // "", "(inline)" or "(partial-inline)"
};

struct TopReport {
  std::vector<std::string> labels;  // header lines, as pprof prints them
  std::vector<TopRow> rows;
  int64_t total = 0;
  std::string sample_type;
  std::string sample_unit;
  std::string output_unit;  // the unit rows are shown in
  int dropped_nodes = 0;
  size_t nodes_before_count_limit = 0;
};

// Builds the trimmed, sorted graph pprof's text report shows.
Graph BuildTrimmedGraph(const PreparedProfile& prepared, const ReportOptions& options,
                        int* dropped_nodes, size_t* count_before_limit);

// Picks the unit for "minimum" the way pprof does: from the smallest shown value,
// unless it is below 1% of the total in a smaller unit.
std::string SelectOutputUnit(const PreparedProfile& prepared, const Graph& graph,
                             const std::string& requested);

TopReport BuildTop(const PreparedProfile& prepared, const ReportOptions& options);

// `go tool pprof -top` text.
std::string FormatTopText(const TopReport& report, const PreparedProfile& prepared);

}  // namespace kprof::pprof
