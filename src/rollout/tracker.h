// The rollout tracker: fed Deployments, ReplicaSets, Pods and Events (from informers, or
// from a recorded stream in benchmarks), it keeps every Deployment's current rollout and
// its recent ones, with per-pod phase timelines, and exports Prometheus metrics:
//
//   kprof_rollout_in_progress{namespace,deployment}      1 while a rollout runs or is paused
//   kprof_rollout_progress_ratio{namespace,deployment}   updated / desired replicas
//   kprof_rollout_duration_seconds{outcome}              histogram, when a rollout ends
//   kprof_pod_phase_duration_seconds{phase}              histogram, when a new pod is ready
//
// A rollout starts when a Deployment's pod template changes (or its revision annotation
// moves on) and ends as `kubectl rollout status` decides (FACTS.md): complete, failed
// (ProgressDeadlineExceeded), superseded by a newer template, or it is paused. A
// Deployment created while the tracker runs is revision 1's rollout; one that already
// existed counts only if it is still rolling out.
//
// Thread-safety: every method may be called from any thread; one mutex guards the state.
// Callbacks (the sink) run with the lock released.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/metrics.h"
#include "kube/objects.h"
#include "rollout/rollout.h"

namespace kprof::rollout {

// What `kubectl rollout status` would say about a Deployment now.
struct DeploymentStatus {
  bool done = false;
  bool failed = false;
  std::string message;
};
DeploymentStatus EvaluateStatus(const kube::Deployment& deployment);

struct TrackerOptions {
  // Unix nanoseconds now; tests replace it.
  std::function<std::int64_t()> clock;
  // Finished rollouts kept in memory per Deployment (older ones live in the store).
  std::size_t finished_per_deployment = 10;
  // Events for pods not seen yet are held this long, at most this many.
  std::int64_t pending_event_ttl_nanos = std::int64_t{600} * 1000000000;
  std::size_t max_pending_events = 100000;
};

struct RolloutFilter {
  std::string namespace_;  // "" = any
  std::string deployment;  // "" = any
  std::int64_t from = 0;   // rollouts running at any time in [from, to)
  std::int64_t to = INT64_MAX;
};

class Tracker {
 public:
  Tracker(TrackerOptions options, metrics::Registry* registry);
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  void OnDeployment(const kube::Deployment& deployment);
  void OnDeploymentDeleted(const kube::Deployment& deployment);
  void OnReplicaSet(const kube::ReplicaSet& replicaset);
  void OnReplicaSetDeleted(const kube::ReplicaSet& replicaset);
  void OnPod(const kube::Pod& pod);
  void OnPodDeleted(const kube::Pod& pod);
  void OnEvent(const kube::Event& event);

  // Rollouts loaded from the store at startup that had not ended: continued if their
  // Deployment is still at that revision when it is first seen.
  void Restore(std::vector<Rollout> unfinished);

  // Snapshots, newest first.
  std::vector<Rollout> List(const RolloutFilter& filter) const;
  std::optional<Rollout> Get(const std::string& id) const;
  // The current (newest) rollout of a Deployment.
  std::optional<Rollout> Current(const std::string& ns, const std::string& deployment) const;

  // The node, ReplicaSet and Deployment of a pod the tracker knows ("" where unknown), so
  // other samplers of the same cluster can label what they measure without a second
  // pod watch.
  struct PodOwner {
    std::string node;
    std::string replicaset;
    std::string deployment;
  };
  PodOwner OwnerOf(const std::string& ns, const std::string& pod) const;

  // Rollouts that changed since the last call, for the store.
  std::vector<Rollout> TakeChanged();

  // Bumped on every change; WaitForChange blocks until it passes `seen` or the timeout.
  std::uint64_t version() const;
  std::uint64_t WaitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) const;

  struct Counts {
    std::uint64_t deployments = 0;
    std::uint64_t replicasets = 0;
    std::uint64_t pods = 0;
    std::uint64_t events = 0;
    std::uint64_t pending_events = 0;
    std::uint64_t rollouts_started = 0;
  };
  Counts counts() const;

 private:
  struct PodState;
  struct ReplicaSetState;
  struct DeploymentState;
  struct PendingEvent;

  std::int64_t Now() const;
  DeploymentState* FindDeployment(const std::string& uid);
  void StartRollout(DeploymentState* d, const kube::Deployment& object, std::int64_t start,
                    bool start_is_guess);
  void AttachRevision(DeploymentState* d);
  void UpdateProgress(DeploymentState* d, const kube::Deployment& object);
  void Finish(DeploymentState* d, Outcome outcome, std::int64_t end);
  void Settle(DeploymentState* d);
  void Freeze(DeploymentState* d);
  void ApplyEvent(PodState* pod, const kube::Event& event, std::int64_t observed);
  void PodChanged(PodState* pod);
  static bool ReadyToObserve(const PodState& pod);
  void ObservePhases(PodState* pod);
  Rollout Snapshot(const DeploymentState& d, const Rollout& r) const;
  void FillPods(Rollout* r, const std::string& rs_uid) const;
  void Touch(DeploymentState* d);
  void Park(Rollout rollout);
  void ExportMetrics(const DeploymentState& d);
  void PrunePending(std::int64_t now);
  void RememberDeleted(const std::string& uid);

  TrackerOptions options_;
  metrics::Registry* registry_;
  metrics::Histogram* phase_histograms_[5] = {};
  std::int64_t started_at_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_cv_;
  std::uint64_t version_ = 0;
  std::unordered_map<std::string, std::unique_ptr<DeploymentState>> deployments_;  // by uid
  std::unordered_map<std::string, std::unique_ptr<ReplicaSetState>> replicasets_;  // by uid
  std::unordered_map<std::string, std::unique_ptr<PodState>> pods_;                // by uid
  std::unordered_map<std::string, std::string> pod_uid_by_name_;    // "ns/name" → uid
  std::multimap<std::string, PendingEvent> pending_;                // pod uid or ns/name
  std::deque<std::pair<std::int64_t, std::string>> pending_order_;  // arrival, key
  std::unordered_set<std::string> deleted_pods_;                    // recently deleted uids
  std::deque<std::string> deleted_order_;
  std::map<std::string, std::string> changed_;  // rollout id → deployment uid
  std::vector<Rollout> restored_;               // unfinished ones from the store, not yet matched
  std::vector<Rollout> parked_;                 // left memory before the store saw their last state
  Counts counts_;
};

}  // namespace kprof::rollout
