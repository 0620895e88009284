#include "pprof/report.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "base/paths.h"
#include "pprof/units.h"

namespace kprof::pprof {

namespace {

int64_t AbsTotal(const Profile& p, size_t index) {
  int64_t total = 0;
  const size_t n = p.num_values();
  for (size_t i = 0; i < p.samples.size(); ++i) total += std::llabs(p.values[i * n + index]);
  return total;
}

// Go's time layout "Jan 2, 2006 at 3:04pm (MST)" in the local zone.
std::string FormatProfileTime(int64_t nanos) {
  time_t seconds = static_cast<time_t>(nanos / 1000000000);
  if (nanos < 0 && nanos % 1000000000 != 0) --seconds;
  tm local{};
  localtime_r(&seconds, &local);
  char month[16];
  std::strftime(month, sizeof(month), "%b", &local);
  int hour12 = local.tm_hour % 12;
  if (hour12 == 0) hour12 = 12;
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%s %d, %d at %d:%02d%s (%s)", month, local.tm_mday,
                local.tm_year + 1900, hour12, local.tm_min, local.tm_hour < 12 ? "am" : "pm",
                local.tm_zone != nullptr ? local.tm_zone : "UTC");
  return buf;
}

}  // namespace

Result<size_t> SampleIndex(const Profile& p, std::string_view wanted) {
  const size_t n = p.sample_types.size();
  if (n == 0) return InvalidArgument("profile has no samples");
  auto type_list = [&p]() {
    std::string out = "[";
    for (size_t i = 0; i < p.sample_types.size(); ++i) {
      if (i > 0) out += " ";
      out += p.str(p.sample_types[i].type);
    }
    return out + "]";
  };
  if (wanted.empty()) {
    if (p.default_sample_type != 0) {
      std::string_view def = p.str(p.default_sample_type);
      for (size_t i = 0; i < n; ++i) {
        if (p.str(p.sample_types[i].type) == def) return i;
      }
    }
    return n - 1;
  }
  // A number, as Go's strconv.Atoi reads one.
  std::string text(wanted);
  char* end = nullptr;
  errno = 0;
  long long number = std::strtoll(text.c_str(), &end, 10);
  bool is_number = end != text.c_str() && *end == '\0' && errno == 0 && !std::isspace(text[0]);
  if (is_number) {
    if (number < 0 || number >= static_cast<long long>(n)) {
      return InvalidArgument("sample_index " + text + " is outside the range [0.." +
                             std::to_string(n - 1) + "]");
    }
    return static_cast<size_t>(number);
  }
  std::string_view no_inuse = wanted;
  if (no_inuse.substr(0, 6) == "inuse_") no_inuse.remove_prefix(6);
  for (size_t i = 0; i < n; ++i) {
    std::string_view type = p.str(p.sample_types[i].type);
    if (type == wanted || type == no_inuse) return i;
  }
  return InvalidArgument("sample_index \"" + text + "\" must be one of: " + type_list());
}

Result<PreparedProfile> Prepare(Profile profile, const ReportOptions& options) {
  PreparedProfile out;
  if (options.simplify_names) SimplifyFunctionNames(&profile);
  KPROF_RETURN_IF_ERROR(PruneDropFrames(&profile));
  KPROF_ASSIGN_OR_RETURN(out.sample_index, SampleIndex(profile, options.sample_index));
  out.sample_type = std::string(profile.str(profile.sample_types[out.sample_index].type));
  out.sample_unit = std::string(profile.str(profile.sample_types[out.sample_index].unit));
  if (options.relative_percentages) {
    KPROF_ASSIGN_OR_RETURN(FilterOutcome outcome, ApplyFilters(&profile, options.filters));
    out.warnings = std::move(outcome.warnings);
    out.total = AbsTotal(profile, out.sample_index);
  } else {
    out.total = AbsTotal(profile, out.sample_index);
    KPROF_ASSIGN_OR_RETURN(FilterOutcome outcome, ApplyFilters(&profile, options.filters));
    out.warnings = std::move(outcome.warnings);
  }
  Aggregate(&profile, options.granularity, options.inlines);
  out.profile = std::move(profile);
  return out;
}

std::string FormatValue(const PreparedProfile& prepared, const std::string& output_unit,
                        int64_t value) {
  return ScaledLabel(value, prepared.sample_unit, output_unit);
}

std::vector<std::string> ProfileLabels(const PreparedProfile& prepared,
                                       const std::string& output_unit) {
  const Profile& p = prepared.profile;
  std::vector<std::string> labels;
  if (!p.mappings.empty()) {
    std::string_view file = p.str(p.mappings[0].filename);
    if (!file.empty()) labels.push_back("File: " + std::string(BaseName(file)));
    std::string_view build_id = p.str(p.mappings[0].build_id);
    if (!build_id.empty()) labels.push_back("Build ID: " + std::string(build_id));
  }
  for (uint32_t c : p.comments) {
    std::string_view comment = p.str(c);
    if (comment.empty() || comment.front() != '#') labels.emplace_back(comment);
  }
  labels.push_back("Type: " + prepared.sample_type);
  if (p.time_nanos != 0) labels.push_back("Time: " + FormatProfileTime(p.time_nanos));
  if (p.duration_nanos != 0) {
    std::string duration = ScaledLabel(p.duration_nanos, "nanoseconds", "auto");
    auto [total_nanos, unit] = ScaleValue(prepared.total, prepared.sample_unit, "nanoseconds");
    std::string ratio;
    if (unit == "ns" && total_nanos != 0) {
      ratio = "(" + Percentage(static_cast<int64_t>(total_nanos), p.duration_nanos) + ")";
    }
    labels.push_back("Duration: " + duration + ", Total samples = " +
                     FormatValue(prepared, output_unit, prepared.total) + " " + ratio);
  }
  return labels;
}

Graph BuildTrimmedGraph(const PreparedProfile& prepared, const ReportOptions& options,
                        int* dropped_nodes, size_t* count_before_limit) {
  GraphOptions graph_options;
  graph_options.sample_index = prepared.sample_index;
  Graph graph = Graph::Build(prepared.profile, graph_options);
  int64_t flat_sum = graph.FlatSum();
  int64_t node_cutoff =
      std::llabs(static_cast<int64_t>(static_cast<double>(flat_sum) * options.node_fraction));
  int64_t edge_cutoff =
      std::llabs(static_cast<int64_t>(static_cast<double>(flat_sum) * options.edge_fraction));
  *dropped_nodes = 0;
  if (node_cutoff > 0) {
    NodeSet kept = graph.NodesAtLeast(node_cutoff);
    *dropped_nodes = static_cast<int>(graph.nodes.size() - kept.size());
    graph_options.kept = &kept;
    graph = Graph::Build(prepared.profile, graph_options);
  }
  *count_before_limit = graph.nodes.size();
  auto sort = [&](Graph& g) {
    if (options.cum_sort) {
      g.SortByCum();
    } else {
      g.SortByFlat();
    }
  };
  sort(graph);
  if (options.node_count > 0) {
    graph.TrimEdgesBelow(edge_cutoff);
    if (graph.nodes.size() > static_cast<size_t>(options.node_count)) {
      NodeSet kept = graph.FirstNodes(static_cast<size_t>(options.node_count));
      graph_options.kept = &kept;
      graph = Graph::Build(prepared.profile, graph_options);
      sort(graph);
    }
  }
  graph.TrimEdgesBelow(edge_cutoff);
  return graph;
}

std::string SelectOutputUnit(const PreparedProfile& prepared, const Graph& graph,
                             const std::string& requested) {
  if (requested != "minimum" || graph.nodes.empty()) return requested;
  int64_t min_value = 0;
  for (const GraphNode& n : graph.nodes) {
    int64_t node_min = std::llabs(n.flat);
    if (node_min == 0) node_min = std::llabs(n.cum);
    if (node_min > 0 && (min_value == 0 || node_min < min_value)) min_value = node_min;
  }
  int64_t max_value = prepared.total;
  if (min_value == 0) min_value = max_value;
  std::string min_unit = ScaleValue(min_value, prepared.sample_unit, "minimum").second;
  std::string max_unit = ScaleValue(max_value, prepared.sample_unit, "minimum").second;
  std::string unit = min_unit;
  if (min_unit != max_unit && min_value * 100 < max_value) {
    unit = ScaleValue(100 * min_value, prepared.sample_unit, "minimum").second;
  }
  return unit.empty() ? prepared.sample_unit : unit;
}

TopReport BuildTop(const PreparedProfile& prepared, const ReportOptions& options) {
  TopReport report;
  size_t before_limit = 0;
  Graph graph = BuildTrimmedGraph(prepared, options, &report.dropped_nodes, &before_limit);
  report.nodes_before_count_limit = before_limit;
  report.total = prepared.total;
  report.sample_type = prepared.sample_type;
  report.sample_unit = prepared.sample_unit;
  report.output_unit = SelectOutputUnit(prepared, graph, options.unit);
  auto format = [&](int64_t v) { return FormatValue(prepared, report.output_unit, v); };

  if (!options.compact_labels) report.labels = ProfileLabels(prepared, report.output_unit);
  for (std::string& line : ActiveFilterLegend(options.filters)) report.labels.push_back(line);
  int64_t flat_sum = graph.FlatSum();
  std::string percent = Percentage(flat_sum, prepared.total);
  size_t first = percent.find_first_not_of(' ');
  percent = first == std::string::npos ? "" : percent.substr(first);
  report.labels.push_back("Showing nodes accounting for " + format(flat_sum) + ", " + percent +
                          " of " + format(prepared.total) + " total");
  if (prepared.total != 0) {
    if (report.dropped_nodes > 0) {
      int64_t cutoff = std::llabs(
          static_cast<int64_t>(static_cast<double>(prepared.total) * options.node_fraction));
      report.labels.push_back("Dropped " + std::to_string(report.dropped_nodes) +
                              (report.dropped_nodes > 1 ? " nodes" : " node") +
                              " (cum <= " + format(cutoff) + ")");
    }
    if (!graph.nodes.empty() && graph.nodes.size() < before_limit) {
      report.labels.push_back("Showing top " + std::to_string(graph.nodes.size()) +
                              " nodes out of " + std::to_string(before_limit));
    }
  }
  for (const GraphNode& n : graph.nodes) {
    TopRow row;
    row.name = n.info.PrintableName();
    row.flat = n.flat;
    row.cum = n.cum;
    bool has_inline = false, has_call = false;
    for (const auto& [parent, edge] : n.in) {
      if (edge.inline_call) {
        has_inline = true;
      } else {
        has_call = true;
      }
    }
    if (has_inline) row.inline_label = has_call ? "(partial-inline)" : "(inline)";
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::string FormatTopText(const TopReport& report, const PreparedProfile& prepared) {
  std::string out;
  for (const std::string& line : report.labels) {
    out += line;
    out += '\n';
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum",
                "cum");
  out += buf;
  int64_t running = 0;
  for (const TopRow& row : report.rows) {
    running += row.flat;
    std::string flat = FormatValue(prepared, report.output_unit, row.flat);
    std::string cum = FormatValue(prepared, report.output_unit, row.cum);
    std::snprintf(buf, sizeof(buf), "%10s %s %s %10s %s  ", flat.c_str(),
                  Percentage(row.flat, report.total).c_str(),
                  Percentage(running, report.total).c_str(), cum.c_str(),
                  Percentage(row.cum, report.total).c_str());
    out += buf;
    out += row.name;
    if (!row.inline_label.empty()) {
      out += ' ';
      out += row.inline_label;
    }
    out += '\n';
  }
  return out;
}

}  // namespace kprof::pprof
