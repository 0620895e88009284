// A Deployment rollout as kprof records it: one new revision from its start to its
// outcome, the ReplicaSets and images it moved between, how progress (updated / desired,
// ready, available) went over time, and a timeline of phases for every pod of the new
// ReplicaSet (created → scheduled → image pulled → container started → ready).
//
// Times are Unix nanoseconds, 0 = not (yet) known. The API server stamps most times in
// whole seconds; where the tracker saw the change happen within that second it uses the
// moment it saw it, and events with microsecond `eventTime` are used as they are, so
// phase durations are sub-second where the cluster allows.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kube/objects.h"

namespace kprof::rollout {

// complete / failed / superseded are final; in_progress and paused may still change.
enum class Outcome { kInProgress, kComplete, kFailed, kSuperseded, kPaused };
std::string_view OutcomeName(Outcome outcome);  // "in_progress", "complete", …
Result<Outcome> ParseOutcome(std::string_view name);

// The phases of a pod of the new ReplicaSet, each measured from the end of the one before.
//   schedule    created → bound to a node
//   image_pull  kubelet started pulling → image pulled (0 when already present)
//   start       scheduled and pulled → container running
//   ready       running → Ready condition
//   total       created → ready
enum class Phase { kSchedule, kImagePull, kStart, kReady, kTotal };
inline constexpr Phase kPhases[] = {Phase::kSchedule, Phase::kImagePull, Phase::kStart,
                                    Phase::kReady, Phase::kTotal};
std::string_view PhaseName(Phase phase);

// A problem a pod ran into: ErrImagePull, ImagePullBackOff, CrashLoopBackOff,
// Unschedulable, FailedScheduling, BackOff, … with the cluster's own words.
struct PodProblem {
  std::string reason;
  std::string message;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
  int count = 0;
};

struct PodTimeline {
  std::string name;
  std::string uid;
  std::string node;
  std::int64_t created = 0;
  std::int64_t scheduled = 0;
  std::int64_t pull_started = 0;
  std::int64_t pull_finished = 0;
  std::int64_t started = 0;  // containers running (the last container's start)
  std::int64_t ready = 0;
  std::int64_t deleted = 0;
  // What the kubelet reported in its Pulled event: the pull itself and, on newer
  // clusters, including the wait behind other pulls on the node (-1 = not reported).
  std::int64_t pull_reported_nanos = -1;
  std::int64_t pull_waiting_nanos = -1;
  bool image_present = false;  // "already present on machine"
  std::int64_t image_size_bytes = 0;
  int restarts = 0;
  std::string state;  // now: Pending, Scheduled, PullingImage, ImagePullBackOff, Running, Ready…
  std::vector<PodProblem> problems;

  // Duration of `phase` in nanoseconds, or -1 while it is unknown.
  std::int64_t PhaseNanos(Phase phase) const;
};

struct ProgressPoint {
  std::int64_t time = 0;
  int desired = 0;
  int updated = 0;
  int ready = 0;
  int available = 0;
  int total = 0;  // status.replicas: old and new pods
};

// p50 / p95 / max of one phase over the pods that finished it.
struct PhaseStats {
  Phase phase = Phase::kTotal;
  int pods = 0;
  std::int64_t p50_nanos = 0;
  std::int64_t p95_nanos = 0;
  std::int64_t max_nanos = 0;
  std::string max_pod;
};

struct Rollout {
  std::string id;  // "NAMESPACE:DEPLOYMENT:REVISION:UID8"
  std::string namespace_;
  std::string deployment;
  std::string deployment_uid;
  std::int64_t revision = 0;
  Outcome outcome = Outcome::kInProgress;
  std::string reason;   // Progressing condition reason at the end (NewReplicaSetAvailable, …)
  std::string message;  // what `kubectl rollout status` would print now
  std::int64_t start = 0;
  std::int64_t end = 0;  // 0 while in progress or paused
  std::string strategy;
  int desired = 0;
  std::string new_replicaset;
  std::vector<std::string> old_replicasets;  // the ones with pods when the rollout began
  kube::StringPairs images_before;           // container → image
  kube::StringPairs images_after;
  std::vector<ProgressPoint> progress;  // one point per change, thinned past kMaxProgressPoints
  std::vector<PodTimeline> pods;        // pods of the new ReplicaSet, by creation
  std::int64_t updated_at = 0;          // last change the tracker saw

  bool Final() const;
  // Updated / desired replicas, 1 when complete.
  double ProgressRatio() const;
  std::vector<PhaseStats> Stats() const;
};

inline constexpr std::size_t kMaxProgressPoints = 2000;
inline constexpr std::size_t kMaxPodsPerRollout = 5000;

std::string RolloutId(std::string_view ns, std::string_view deployment, std::int64_t revision,
                      std::string_view deployment_uid);

}  // namespace kprof::rollout
