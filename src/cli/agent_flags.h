// Collector flags shared by `kprof agent` and `kprof server --kubeconfig …`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "collect/agent.h"

namespace kprof::cli {

struct AgentFlags {
  collect::AgentOptions options;
  std::string types = "cpu,heap,allocs,goroutine,block,mutex";
  std::string interval = "60s";
  std::vector<std::string> type_intervals;  // TYPE=DURATION
  int cpu_seconds = 10;
  std::string timeout = "10s";
  bool all_namespaces = false;
  bool no_kubernetes = false;
  std::string target_ca_file;
  bool target_insecure = false;
  uint64_t spool_max_mb = 256;
};

// `kubernetes_flags`: also register --kubeconfig/--context/-n/-l/-A (the server registers
// its own --kubeconfig to switch the collector on).
void AddAgentFlags(CLI::App* app, AgentFlags* flags, bool kubernetes_flags);
// Checks the flags and fills flags->options.
Status FinishAgentFlags(AgentFlags* flags);

}  // namespace kprof::cli
