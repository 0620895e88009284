// Pod resource samples: what one measurement of a container's (or a pod's network) CPU,
// memory and traffic looks like, the decoder of the kubelet Summary API
// (GET /api/v1/nodes/NODE/proxy/stats/summary) and the conversion of its cumulative
// counters into rates.
//
// The Summary API reports CPU as a cumulative counter (usageCoreNanoSeconds) and as the
// kubelet's own recent rate (usageNanoCores), memory as gauges, and network as cumulative
// byte counters per pod (the containers of a pod share its network namespace). Its `time`
// fields are metav1.Time, whole seconds: a rate over a 10 s interval is exact to about
// a tenth, one over 1 s only to a factor of two.
//
// Thread-safety: Sample and SummaryPod are plain values; ParseStatsSummary is a pure
// function (each thread reuses its own simdjson parser); a SummaryRates object is not
// thread-safe (its owner serializes calls).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kprof::resources {

// One measurement. Numbers are -1 when not measured. A container row has CPU and memory;
// the pod-level row (container "") has the pod's network rates.
struct Sample {
  int64_t time_nanos = 0;                    // when it was taken (Unix nanoseconds)
  std::string namespace_, pod, container;    // container "" = pod-level row (network)
  std::string node, deployment, replicaset;  // owner labels, "" when unknown
  double cpu_cores = -1;                     // -1 = not measured
  double memory_working_set_bytes = -1;
  double memory_rss_bytes = -1;
  double rx_bytes_per_second = -1, tx_bytes_per_second = -1;  // pod-level rows
};

// One container of the Summary API, as reported (absent fields are nullopt / 0).
struct SummaryContainer {
  std::string name;
  int64_t cpu_time_nanos = 0;  // cpu.time; 0 = absent
  std::optional<uint64_t> usage_nano_cores;
  std::optional<uint64_t> usage_core_nano_seconds;
  int64_t memory_time_nanos = 0;  // memory.time; 0 = absent
  std::optional<uint64_t> working_set_bytes;
  std::optional<uint64_t> usage_bytes;
  std::optional<uint64_t> rss_bytes;
};

// One pod of the Summary API. rx/tx are network.rxBytes/txBytes, or the sums over
// network.interfaces[] when the top-level counters are absent.
struct SummaryPod {
  std::string name, namespace_, uid;  // podRef
  std::vector<SummaryContainer> containers;
  int64_t network_time_nanos = 0;  // network.time; 0 = absent
  std::optional<uint64_t> rx_bytes, tx_bytes;
};

inline constexpr size_t kMaxStatsSummaryBytes = size_t{32} << 20;

// Decodes a /stats/summary body (untrusted: whatever a kubelet or a proxy sends).
// Missing fields and nulls are "not measured"; unknown fields are skipped; the node
// section is ignored. Malformed JSON, wrong types, negative or out-of-range numbers and
// bad times are kInvalidArgument naming the field ("pods[2].containers[0].cpu.time: …");
// a body over kMaxStatsSummaryBytes is kResourceExhausted.
Result<std::vector<SummaryPod>> ParseStatsSummary(std::string_view json);

// Turns successive Summary snapshots of each node into Samples, keeping the previous
// counters of every container (by pod uid and container name) and pod network.
//   cpu_cores: Δ usageCoreNanoSeconds / Δ cpu.time against the previous snapshot of the
//     same container; usageNanoCores / 1e9 when there is no usable previous one (first
//     sight, the counter went down after a restart, or the kubelet's cached stats have
//     not moved since).
//   rx/tx: Δ bytes / Δ network.time per pod uid; nothing on first sight or after a
//     counter reset (no fallback exists).
// Samples carry `time_nanos`, namespace, pod, container and `node`; owners are the
// caller's. A pod-level row is emitted only when a network rate is known; a container
// row when anything of it was measured. Pods without a name or namespace are skipped.
class SummaryRates {
 public:
  std::vector<Sample> Update(const std::string& node, const std::vector<SummaryPod>& pods,
                             int64_t time_nanos);
  // Drops the state of nodes not in `nodes` (nodes that left the cluster).
  void RetainNodes(const std::vector<std::string>& nodes);

 private:
  struct Counter {
    int64_t time_nanos = 0;
    uint64_t value = 0;
  };
  struct NodeState {
    std::map<std::string, Counter> cpu;  // uid/container → usageCoreNanoSeconds
    std::map<std::string, Counter> rx;   // uid → rxBytes
    std::map<std::string, Counter> tx;   // uid → txBytes
  };
  std::map<std::string, NodeState> nodes_;
};

}  // namespace kprof::resources
