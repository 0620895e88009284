// The report flags shared by top, tree, flame and diff. Names and meanings mirror
// `go tool pprof` (-nodecount, -sample_index, -focus, …); both -name and --name work.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "pprof/report.h"

namespace kprof::cli {

struct ReportFlags {
  pprof::ReportOptions options;
  std::string granularity = "functions";
  bool functions = false, filefunctions = false, files = false, lines = false, addresses = false;
  bool noinlines = false;
  bool flat = false;
  std::string symbolize;
  // Legacy value selectors.
  bool inuse_space = false, inuse_objects = false, alloc_space = false, alloc_objects = false;
  bool total_delay = false, contentions = false;
  bool json = false;
  bool trim = true;

  // Registers the flags on `cmd`.
  void Register(CLI::App* cmd, bool with_node_limits = true);
  // Resolves aliases and conflicts into `options`.
  Status Resolve();
};

// Rewrites pprof-style "-nodecount=10" into "--nodecount=10" so CLI11 parses it;
// single-letter flags (-o, -n, -l, -A) stay, and kubectl-style -n=shop becomes -n shop.
std::vector<std::string> NormalizeArgs(int argc, char** argv);

}  // namespace kprof::cli
