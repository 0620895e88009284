// Feeds a Tracker from the Kubernetes API: informers on Deployments, ReplicaSets, Pods and
// Events (events.k8s.io/v1 by default, or core v1), one set per namespace (or one for all
// namespaces), and a thread that saves changed rollouts to the RolloutStore every second.
// At start, rollouts the store holds as unfinished are handed to the tracker to continue.
//
// Thread-safety: Start/Stop from one thread. Informer handlers run on informer threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rollout/rollout_store.h"
#include "rollout/tracker.h"

namespace kprof::rollout {

struct WatcherOptions {
  std::vector<std::string> namespaces;          // empty = all namespaces
  std::string events_api = "events.k8s.io/v1";  // or "v1"
  // Narrower watches for one Deployment (kubectl kprof rollout status): its name, and
  // its selector for ReplicaSets and Pods. Events are then only those about pods.
  std::string deployment_name;
  std::string pod_selector;
  std::chrono::milliseconds save_interval{1000};
};

class KubeRolloutWatcher {
 public:
  // `store` may be null (nothing is saved). Pointers must outlive the watcher.
  KubeRolloutWatcher(kube::Client* client, WatcherOptions options, Tracker* tracker,
                     RolloutStore* store);
  ~KubeRolloutWatcher();  // stops
  KubeRolloutWatcher(const KubeRolloutWatcher&) = delete;
  KubeRolloutWatcher& operator=(const KubeRolloutWatcher&) = delete;

  Status Start();
  void Stop();
  bool WaitForSync(std::chrono::milliseconds timeout);
  // Saves what changed now (also done every save_interval).
  void Flush();

 private:
  kube::Client* client_;
  WatcherOptions options_;
  Tracker* tracker_;
  RolloutStore* store_;
  std::vector<std::unique_ptr<kube::Informer<kube::Deployment>>> deployments_;
  std::vector<std::unique_ptr<kube::Informer<kube::ReplicaSet>>> replicasets_;
  std::vector<std::unique_ptr<kube::Informer<kube::Pod>>> pods_;
  std::vector<std::unique_ptr<kube::Informer<kube::Event>>> events_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread saver_;
  std::mutex flush_mu_;
};

}  // namespace kprof::rollout
