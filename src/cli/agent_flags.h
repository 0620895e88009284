// Collector flags shared by `kprof agent` and `kprof server --kubeconfig …`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "collect/agent.h"
#include "net/http_client.h"

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

// The HTTP client a collector scrapes and watches with. The Kubernetes API server is one
// host carrying every watch (Deployments, ReplicaSets, Pods, Events, Nodes) and, through
// its pod proxy, CPU captures that last their whole duration; with a pool of 8 the
// kubelet /stats/summary requests queued behind them until their timeout ran out.
net::HttpClientOptions CollectorHttpOptions();

// `kubernetes_flags`: also register --kubeconfig/--context/-n/-l/-A (the server registers
// its own --kubeconfig to switch the collector on).
void AddAgentFlags(CLI::App* app, AgentFlags* flags, bool kubernetes_flags);
// Checks the flags and fills flags->options.
Status FinishAgentFlags(AgentFlags* flags);

}  // namespace kprof::cli
