// Kubernetes discovery: pod and ReplicaSet informers turn annotated pods into collector
// targets, with owner labels (deployment, replicaset, revision). Pods that stop running,
// lose the annotation or go away are removed; a container restart changes the target's
// instance, so cumulative profiles start new baselines.
//
// Thread-safety: Start/Stop from one thread; the informers call back on their own threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "collect/collector.h"
#include "collect/target.h"
#include "kube/client.h"
#include "kube/informer.h"

namespace kprof::collect {

struct KubeDiscoveryOptions {
  std::vector<std::string> namespaces;  // empty = all namespaces
  std::string label_selector;           // pods to consider
  PodDiscoveryOptions pod;
};

class KubeDiscovery {
 public:
  KubeDiscovery(kube::Client* client, KubeDiscoveryOptions options, Collector* collector,
                metrics::Registry* registry);
  ~KubeDiscovery();
  void Start();
  void Stop();
  bool WaitForSync(std::chrono::milliseconds timeout);
  // Pods that opt in but whose annotations are wrong, with the reason (for status output).
  std::vector<std::string> Problems() const;

 private:
  void OnPod(const kube::Pod& pod);
  void OnPodGone(const kube::Pod& pod);
  void OnReplicaSet(const kube::ReplicaSet& rs);
  OwnerInfo OwnerOf(const kube::Pod& pod) const;

  kube::Client* client_;
  KubeDiscoveryOptions options_;
  Collector* collector_;
  metrics::Counter* problems_counter_;
  std::vector<std::unique_ptr<kube::Informer<kube::Pod>>> pods_;
  std::vector<std::unique_ptr<kube::Informer<kube::ReplicaSet>>> replicasets_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> problems_;    // pod key → message
  std::map<std::string, std::string> pod_target_;  // pod ns/name → target key
  std::map<std::string, std::string> rs_seen_;     // ReplicaSet uid → revision/deployment
};

}  // namespace kprof::collect
