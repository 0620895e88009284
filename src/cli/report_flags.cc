#include "cli/report_flags.h"

#include <cctype>

namespace kprof::cli {

void ReportFlags::Register(CLI::App* cmd, bool with_node_limits) {
  pprof::ReportOptions& o = options;
  cmd->add_option("--sample_index,--sample-index", o.sample_index,
                  "Sample value to report: a sample type name (cpu, inuse_space, …) or index; "
                  "default: the profile's default sample type, else the last");
  cmd->add_flag("--inuse_space", inuse_space, "Same as -sample_index=inuse_space");
  cmd->add_flag("--inuse_objects", inuse_objects, "Same as -sample_index=inuse_objects");
  cmd->add_flag("--alloc_space", alloc_space, "Same as -sample_index=alloc_space");
  cmd->add_flag("--alloc_objects", alloc_objects, "Same as -sample_index=alloc_objects");
  cmd->add_flag("--total_delay", total_delay, "Same as -sample_index=delay");
  cmd->add_flag("--contentions", contentions, "Same as -sample_index=contentions");
  if (with_node_limits) {
    cmd->add_option("--nodecount", o.node_count, "Show at most this many nodes (0 = all)");
    cmd->add_option("--nodefraction", o.node_fraction,
                    "Hide nodes below this fraction of the total (default 0.005)");
    cmd->add_option("--edgefraction", o.edge_fraction,
                    "Ignore edges below this fraction of the total (default 0.001)");
    cmd->add_flag(
        "!--notrim,--trim{true}", trim,
        "Honor nodecount/nodefraction/edgefraction (default true; -trim=false shows all)");
  }
  cmd->add_option("--unit", o.unit,
                  "Unit of values: minimum (default), auto, or a unit such as ms, s, kB, MB");
  cmd->add_option("--granularity", granularity,
                  "functions (default), filefunctions, files, lines or addresses");
  cmd->add_flag("--functions", functions, "Same as -granularity=functions");
  cmd->add_flag("--filefunctions", filefunctions, "Same as -granularity=filefunctions");
  cmd->add_flag("--files", files, "Same as -granularity=files");
  cmd->add_flag("--lines", lines, "Same as -granularity=lines");
  cmd->add_flag("--addresses", addresses, "Same as -granularity=addresses");
  cmd->add_flag("--noinlines", noinlines, "Attribute inlined functions to their callers");
  cmd->add_option("--focus", o.filters.focus,
                  "Keep only samples with a frame matching this regex (function, file or binary)");
  cmd->add_option("--ignore", o.filters.ignore, "Drop samples with a frame matching this regex");
  cmd->add_option("--hide", o.filters.hide, "Remove frames matching this regex from stacks");
  cmd->add_option("--show", o.filters.show, "Keep only frames matching this regex in stacks");
  cmd->add_option("--show_from,--show-from", o.filters.show_from,
                  "Cut stacks above the outermost frame matching this regex");
  cmd->add_option("--tagfocus", o.filters.tagfocus,
                  "Keep samples whose labels match: key=regex[,regex], regex, or key=64kb:1mb");
  cmd->add_option("--tagignore", o.filters.tagignore, "Drop samples whose labels match");
  cmd->add_option("--prune_from,--prune-from", o.filters.prune_from,
                  "Cut stacks beneath the innermost frame matching this regex");
  cmd->add_flag("--relative_percentages", o.relative_percentages,
                "Percentages of the filtered total instead of the whole profile");
  cmd->add_flag("--cum", o.cum_sort, "Sort by cumulative value");
  cmd->add_flag("--flat", flat, "Sort by flat value (default)");
  cmd->add_flag("--compact_labels", o.compact_labels, "Omit the profile header lines");
  cmd->add_option("--symbolize", symbolize,
                  "none: keep function names exactly as stored (no C++ name simplification)");
}

Status ReportFlags::Resolve() {
  pprof::ReportOptions& o = options;
  int chosen = functions + filefunctions + files + lines + addresses;
  if (chosen > 1) return InvalidArgument("conflicting options set: choose one granularity");
  if (functions) granularity = "functions";
  if (filefunctions) granularity = "filefunctions";
  if (files) granularity = "files";
  if (lines) granularity = "lines";
  if (addresses) granularity = "addresses";
  KPROF_ASSIGN_OR_RETURN(o.granularity, pprof::ParseGranularity(granularity));
  o.inlines = !noinlines;
  if (o.sample_index.empty()) {
    if (total_delay)
      o.sample_index = "delay";
    else if (contentions)
      o.sample_index = "contentions";
    else if (inuse_space)
      o.sample_index = "inuse_space";
    else if (inuse_objects)
      o.sample_index = "inuse_objects";
    else if (alloc_space)
      o.sample_index = "alloc_space";
    else if (alloc_objects)
      o.sample_index = "alloc_objects";
  }
  if (symbolize == "none") o.simplify_names = false;
  if (!trim) {
    o.node_count = 0;
    o.node_fraction = 0;
    o.edge_fraction = 0;
  }
  if (o.node_count < 0) o.node_count = 0;
  if (o.node_fraction < 0 || o.node_fraction > 1) {
    return InvalidArgument("-nodefraction must be between 0 and 1");
  }
  return Status::Ok();
}

std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  std::vector<std::string> args;
  bool after_double_dash = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") after_double_dash = true;
    if (!after_double_dash && a.size() > 2 && a[0] == '-' && a[1] != '-' &&
        std::isalpha(static_cast<unsigned char>(a[1]))) {
      size_t name_end = a.find('=');
      size_t name_len = (name_end == std::string::npos ? a.size() : name_end) - 1;
      if (name_len > 1) {
        a = "-" + a;
      } else if (name_end != std::string::npos) {
        // kubectl style -n=shop, -w=false: CLI11 wants the value as its own argument.
        args.push_back(a.substr(0, 2));
        a = a.substr(3);
      }
    }
    args.push_back(std::move(a));
  }
  return args;
}

}  // namespace kprof::cli
