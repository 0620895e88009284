// Samplers: the threads that measure pods every interval and append Samples to a
// ResourceStore.
//
// KubeletSampler (cluster mode) fetches each node's kubelet Summary API through the API
// server's node proxy (RBAC: nodes/proxy get), one node after the other with a per-node
// timeout, and turns it into Samples with SummaryRates. A node that fails is counted,
// logged when it starts failing and when it recovers, and the others go on.
//
// CgroupSampler (local mode, no Kubernetes) measures local processes: static targets
// given by pid or by the address they listen on, through process_stats.h.
//
// Metrics: kprof_resources_scrapes_total{result="ok"|"error"} (one per node, or per local
// target), kprof_resources_samples_total.
//
// Thread-safety: Start() and Stop() from one thread; SampleOnce() from any (rounds are
// serialized). The callbacks run on the sampler's thread (or SampleOnce's caller) and
// must be thread-safe with respect to whatever they read. Stop() returns once the round
// in progress has finished its current request (at most one per-node timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "kube/client.h"
#include "resources/process_stats.h"
#include "resources/sample.h"
#include "resources/store.h"

namespace kprof::resources {

// The owner labels of a pod. KubeletSampler always uses the node it scraped.
struct Owner {
  std::string node, deployment, replicaset;
};

using NodeLister = std::function<std::vector<std::string>()>;
using OwnerLookup = std::function<Owner(const std::string& ns, const std::string& pod)>;
using LogFunction = std::function<void(const std::string& message)>;

// Runs `round` now and then every `interval` on its own thread until Stop(); shared by the
// samplers. Waits on a condition variable, so Stop() wakes it at once.
class PeriodicRound {
 public:
  PeriodicRound(std::chrono::milliseconds interval, std::function<void()> round);
  ~PeriodicRound();  // Stop()
  void Start();
  void Stop();
  // True once Stop() was called; rounds check it between steps.
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  std::function<void()> round_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

struct KubeletSamplerOptions {
  NodeLister nodes;    // required: the nodes to sample (the caller's Node informer)
  OwnerLookup owners;  // optional: deployment and replicaset of a pod
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds node_timeout{5000};
  LogFunction log;  // default: a line on stderr
};

class KubeletSampler {
 public:
  // `client`, `store` and `registry` must outlive the sampler; `registry` may be null.
  KubeletSampler(kube::Client* client, ResourceStore* store, metrics::Registry* registry,
                 KubeletSamplerOptions options);
  ~KubeletSampler();  // Stop()

  void Start();
  void Stop();

  // One round over every node; the samples go to the store. Nodes that fail do not stop
  // the others: the result then names them (kUnavailable), as does a failed append.
  Status SampleOnce();

 private:
  // A round; the loop's (`stoppable`) ends early, between nodes, once Stop() was called.
  Status Round(bool stoppable);
  Status SampleNode(const std::string& node, std::vector<Sample>* out);
  void NoteNode(const std::string& node, const Status& status);

  kube::Client* client_;
  ResourceStore* store_;
  KubeletSamplerOptions options_;
  metrics::Counter* scrapes_ok_ = nullptr;
  metrics::Counter* scrapes_failed_ = nullptr;
  metrics::Counter* samples_ = nullptr;
  std::mutex round_mu_;                             // one round at a time
  SummaryRates rates_;                              // guarded by round_mu_
  std::map<std::string, std::string> node_errors_;  // failing node → error; round_mu_
  PeriodicRound loop_;
};

// A local process measured as a pod: `name` becomes the pod name, its process name
// (comm) the container. Either `pid`, or `host` and `port` of a TCP socket it listens on
// (looked up again every round, so a restarted process is followed).
struct LocalTarget {
  std::string name;
  int pid = 0;
  std::string host;
  int port = 0;
};

struct CgroupSamplerOptions {
  std::vector<LocalTarget> targets;
  std::string namespace_ = "local";  // the namespace of the samples
  std::chrono::milliseconds interval{10000};
  ProcfsPaths paths;
  LogFunction log;  // default: a line on stderr
};

// Local mode. Each round gives, per target, a container row (CPU from the second round
// on, memory) and a pod-level row with network rates (from the second round on).
class CgroupSampler {
 public:
  // `store` and `registry` must outlive the sampler; `registry` may be null.
  CgroupSampler(ResourceStore* store, metrics::Registry* registry, CgroupSamplerOptions options);
  ~CgroupSampler();  // Stop()

  void Start();
  void Stop();

  // One round: measures every target and appends the samples. The result names targets
  // that could not be measured (kUnavailable), or a failed append.
  Status SampleOnce();

 private:
  struct Previous {
    int pid = 0;
    std::chrono::steady_clock::time_point when;
    ProcessCounters counters;
  };

  CgroupSamplerOptions options_;
  ResourceStore* store_;
  metrics::Counter* scrapes_ok_ = nullptr;
  metrics::Counter* scrapes_failed_ = nullptr;
  metrics::Counter* samples_ = nullptr;
  std::mutex round_mu_;
  std::map<std::string, Previous> previous_;    // target name → last reading; round_mu_
  std::map<std::string, std::string> failing_;  // target name → error; round_mu_
  PeriodicRound loop_;
};

}  // namespace kprof::resources
