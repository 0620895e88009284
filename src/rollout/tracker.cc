#include "rollout/tracker.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <set>

#include "rollout/events.h"

namespace kprof::rollout {

namespace {

constexpr std::int64_t kSecond = 1000000000;
constexpr std::int64_t kSettleNanos = 60 * kSecond;
constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t Revision(const kube::ObjectMeta& meta) {
  const std::string* text = kube::FindPair(meta.annotations, kRevisionAnnotation);
  if (text == nullptr) return 0;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  return ec == std::errc() && v > 0 ? v : 0;
}

// The API server stamps whole seconds. When the tracker saw the change within that
// second, the moment it saw it is the better estimate.
std::int64_t Refine(std::int64_t stamp, std::int64_t observed) {
  if (stamp <= 0) return stamp;
  if (stamp % kSecond == 0 && observed >= stamp && observed - stamp < kSecond) return observed;
  return stamp;
}

kube::StringPairs Images(const std::vector<kube::Container>& containers) {
  kube::StringPairs out;
  for (const kube::Container& c : containers) out.emplace_back(c.name, c.image);
  std::sort(out.begin(), out.end());
  return out;
}

// What identifies a pod template for rollout purposes: the deployment controller makes a
// new ReplicaSet when any of it changes. kprof reads containers, labels and annotations
// (kubectl rollout restart changes an annotation).
std::string TemplateSignature(const kube::Deployment& d) {
  std::string s;
  for (const kube::Container& c : d.containers)
    s.append(c.name).append("=").append(c.image).append(";");
  s.append("|");
  for (const auto& [k, v] : d.template_labels) s.append(k).append("=").append(v).append(";");
  s.append("|");
  for (const auto& [k, v] : d.template_annotations) s.append(k).append("=").append(v).append(";");
  return s;
}

const kube::Condition* FindCondition(const std::vector<kube::Condition>& conditions,
                                     std::string_view type) {
  for (const kube::Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::string ControllerUid(const kube::ObjectMeta& meta, std::string_view kind) {
  const kube::OwnerReference* owner = meta.Controller();
  return owner != nullptr && owner->kind == kind ? owner->uid : std::string();
}

bool SameCounts(const ProgressPoint& a, const ProgressPoint& b) {
  return a.desired == b.desired && a.updated == b.updated && a.ready == b.ready &&
         a.available == b.available && a.total == b.total;
}

void AddProblem(PodTimeline* t, std::string reason, std::string message, std::int64_t first,
                std::int64_t last, int count) {
  for (PodProblem& p : t->problems) {
    if (p.reason == reason && p.message == message) {
      if (first > 0 && (p.first_time == 0 || first < p.first_time)) p.first_time = first;
      p.last_time = std::max(p.last_time, last);
      p.count = std::max(p.count, count);
      return;
    }
  }
  if (t->problems.size() >= 32) return;  // enough to explain; bounded against floods
  t->problems.push_back({std::move(reason), std::move(message), first, last, count});
}

}  // namespace

DeploymentStatus EvaluateStatus(const kube::Deployment& d) {
  DeploymentStatus s;
  const std::string quoted = "deployment \"" + d.meta.name + "\"";
  if (d.meta.generation > d.observed_generation) {
    s.message = "Waiting for deployment spec update to be observed...";
    return s;
  }
  const kube::Condition* progressing = FindCondition(d.conditions, "Progressing");
  if (progressing != nullptr && progressing->reason == "ProgressDeadlineExceeded") {
    s.failed = true;
    s.message = quoted + " exceeded its progress deadline";
    return s;
  }
  const std::string waiting = "Waiting for " + quoted + " rollout to finish: ";
  if (d.updated_replicas < d.spec_replicas) {
    s.message = waiting + std::to_string(d.updated_replicas) + " out of " +
                std::to_string(d.spec_replicas) + " new replicas have been updated...";
  } else if (d.replicas > d.updated_replicas) {
    s.message = waiting + std::to_string(d.replicas - d.updated_replicas) +
                " old replicas are pending termination...";
  } else if (d.available_replicas < d.updated_replicas) {
    s.message = waiting + std::to_string(d.available_replicas) + " of " +
                std::to_string(d.updated_replicas) + " updated replicas are available...";
  } else {
    s.done = true;
    s.message = quoted + " successfully rolled out";
  }
  return s;
}

struct Tracker::PodState {
  PodTimeline t;
  std::string ns;
  std::string rs_uid;
  std::string last_waiting;
  bool scheduled_precise = false;
  bool phases_observed = false;
};

struct Tracker::ReplicaSetState {
  std::string uid;
  std::string name;
  std::string ns;
  std::string deployment_uid;
  std::int64_t revision = 0;
  std::int64_t created = 0;
  int spec_replicas = 0;
  int replicas = 0;
  kube::StringPairs images;
  bool seen = false;         // false while only its pods have named it
  bool rollout_new = false;  // the new ReplicaSet of some rollout: its pods' phases count
  std::set<std::string> pods;
};

struct Tracker::DeploymentState {
  std::string uid;
  std::string ns;
  std::string name;
  bool seen = false;
  kube::Deployment last;
  std::string signature;
  std::int64_t revision = 0;
  std::deque<Rollout> rollouts;  // oldest first; back() is the newest
  bool live = false;             // back() still follows the cluster
  bool start_is_guess = false;
  bool duration_observed = false;
  std::string new_rs_uid;
  metrics::Gauge* in_progress = nullptr;
  metrics::Gauge* ratio = nullptr;
};

struct Tracker::PendingEvent {
  std::int64_t observed = 0;
  kube::Event event;
};

Tracker::Tracker(TrackerOptions options, metrics::Registry* registry)
    : options_(std::move(options)), registry_(registry) {
  if (!options_.clock) options_.clock = SystemNow;
  started_at_ = options_.clock();
  if (registry_ != nullptr) {
    for (Phase phase : kPhases) {
      phase_histograms_[static_cast<int>(phase)] = registry_->GetHistogram(
          "kprof_pod_phase_duration_seconds",
          "Time pods of a rollout's new ReplicaSet spent in each phase (schedule, image_pull, "
          "start, ready, total)",
          {{"phase", std::string(PhaseName(phase))}},
          {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600});
    }
  }
}

Tracker::~Tracker() = default;

std::int64_t Tracker::Now() const { return options_.clock(); }

Tracker::DeploymentState* Tracker::FindDeployment(const std::string& uid) {
  auto it = deployments_.find(uid);
  return it == deployments_.end() ? nullptr : it->second.get();
}

void Tracker::Touch(DeploymentState* d) {
  if (d->live && !d->rollouts.back().id.empty()) {
    d->rollouts.back().updated_at = Now();
    changed_[d->rollouts.back().id] = d->uid;
  }
  ++version_;
  changed_cv_.notify_all();
}

void Tracker::Park(Rollout rollout) {
  if (rollout.id.empty() || !changed_.count(rollout.id)) return;
  changed_.erase(rollout.id);
  parked_.push_back(std::move(rollout));
}

void Tracker::OnDeployment(const kube::Deployment& object) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  const std::int64_t now = Now();
  auto& slot = deployments_[object.meta.uid];
  if (!slot) {
    slot = std::make_unique<DeploymentState>();
    slot->uid = object.meta.uid;
    slot->ns = object.meta.namespace_;
    slot->name = object.meta.name;
    if (registry_ != nullptr) {
      std::map<std::string, std::string> labels = {{"namespace", slot->ns},
                                                   {"deployment", slot->name}};
      slot->in_progress = registry_->GetGauge(
          "kprof_rollout_in_progress", "1 while a Deployment's rollout runs or is paused", labels);
      slot->ratio = registry_->GetGauge(
          "kprof_rollout_progress_ratio",
          "Updated / desired replicas of a Deployment (1 once its rollout is complete)", labels);
    }
    ++counts_.deployments;
  }
  DeploymentState* d = slot.get();
  const std::int64_t revision = Revision(object.meta);
  const std::string signature = TemplateSignature(object);

  if (!d->seen) {
    d->seen = true;
    d->last = object;
    d->signature = signature;
    d->revision = revision;
    auto restored = std::find_if(restored_.begin(), restored_.end(), [&](const Rollout& r) {
      return r.deployment_uid == object.meta.uid && r.revision == revision;
    });
    if (restored != restored_.end()) {
      d->rollouts.push_back(std::move(*restored));
      restored_.erase(restored);
      d->live = true;
      AttachRevision(d);
    } else {
      const bool created_now = object.meta.creation_time >= started_at_ - 2 * kSecond;
      if (created_now) {
        StartRollout(d, object, Refine(object.meta.creation_time, now), false);
      } else if (!EvaluateStatus(object).done) {
        StartRollout(d, object, now, true);
      }
      if (d->live && revision > 0) {
        d->rollouts.back().revision = revision;
        AttachRevision(d);
      }
    }
  } else {
    const bool template_changed = signature != d->signature;
    const bool revision_moved = revision > d->revision;
    if (template_changed) {
      StartRollout(d, object, now, false);
    } else if (revision_moved && !(d->live && d->rollouts.back().revision == 0)) {
      // The revision moved on without a template change we saw (a missed update).
      StartRollout(d, object, now, false);
    }
    if (revision_moved && d->live && d->rollouts.back().revision == 0) {
      d->rollouts.back().revision = revision;
      AttachRevision(d);
    }
    d->signature = signature;
    d->revision = std::max(d->revision, revision);
    d->last = object;
  }
  UpdateProgress(d, object);
  Settle(d);
  ExportMetrics(*d);
  Touch(d);
}

void Tracker::StartRollout(DeploymentState* d, const kube::Deployment& object, std::int64_t start,
                           bool start_is_guess) {
  const std::int64_t now = Now();
  if (d->live && !d->rollouts.empty()) {
    Rollout& previous = d->rollouts.back();
    if (previous.revision == 0) {
      d->rollouts.pop_back();  // never got a ReplicaSet: nothing to keep
    } else if (!previous.Final()) {
      Finish(d, Outcome::kSuperseded, now);
    } else {
      Freeze(d);  // a failed rollout that was still being followed
    }
  }
  Rollout r;
  r.namespace_ = object.meta.namespace_;
  r.deployment = object.meta.name;
  r.deployment_uid = object.meta.uid;
  r.start = start;
  r.strategy = object.strategy;
  r.desired = object.spec_replicas;
  r.images_after = Images(object.containers);
  if (d->seen && d->signature != TemplateSignature(object)) {
    r.images_before = Images(d->last.containers);
  }
  for (const auto& [uid, rs] : replicasets_) {
    if (rs->deployment_uid != d->uid || !rs->seen) continue;
    if (rs->replicas > 0 || rs->spec_replicas > 0) r.old_replicasets.push_back(rs->name);
  }
  std::sort(r.old_replicasets.begin(), r.old_replicasets.end());
  d->rollouts.push_back(std::move(r));
  d->live = true;
  d->start_is_guess = start_is_guess;
  d->duration_observed = false;
  d->new_rs_uid.clear();
  ++counts_.rollouts_started;
  while (d->rollouts.size() > options_.finished_per_deployment + 1) {
    Park(std::move(d->rollouts.front()));
    d->rollouts.pop_front();
  }
}

// Binds the live rollout to its revision's ReplicaSet once both are known.
void Tracker::AttachRevision(DeploymentState* d) {
  Rollout& r = d->rollouts.back();
  if (r.revision == 0) return;
  r.id = RolloutId(r.namespace_, r.deployment, r.revision, r.deployment_uid);
  for (const auto& [uid, rs] : replicasets_) {
    if (rs->deployment_uid != d->uid || rs->revision != r.revision || !rs->seen) continue;
    d->new_rs_uid = uid;
    r.new_replicaset = rs->name;
    rs->rollout_new = true;
    if (d->start_is_guess && rs->created > 0) {
      r.start = std::min(r.start, rs->created);
      d->start_is_guess = false;
    }
  }
  std::erase(r.old_replicasets, r.new_replicaset);
  if (r.images_before.empty()) {
    // Not seen changing: the images of the newest older ReplicaSet are the "before".
    const ReplicaSetState* best = nullptr;
    for (const auto& [uid, rs] : replicasets_) {
      if (rs->deployment_uid == d->uid && rs->revision < r.revision && rs->seen &&
          (best == nullptr || rs->revision > best->revision)) {
        best = rs.get();
      }
    }
    if (best != nullptr) r.images_before = best->images;
  }
}

void Tracker::UpdateProgress(DeploymentState* d, const kube::Deployment& object) {
  if (!d->live || d->rollouts.empty()) return;
  Rollout& r = d->rollouts.back();
  if (r.outcome == Outcome::kComplete) return;  // settling: only pods still change
  const std::int64_t now = Now();
  ProgressPoint point{now,
                      object.spec_replicas,
                      object.updated_replicas,
                      object.ready_replicas,
                      object.available_replicas,
                      object.replicas};
  if (r.progress.empty() || !SameCounts(r.progress.back(), point)) {
    if (r.progress.size() >= kMaxProgressPoints) {
      // Thin the older half so long rollouts keep their shape in bounded space.
      std::vector<ProgressPoint> thinned;
      for (std::size_t i = 0; i < r.progress.size(); ++i) {
        if (i >= r.progress.size() / 2 || i % 2 == 0) thinned.push_back(r.progress[i]);
      }
      r.progress = std::move(thinned);
    }
    r.progress.push_back(point);
  }
  r.desired = object.spec_replicas;
  const DeploymentStatus status = EvaluateStatus(object);
  r.message = status.message;
  if (const kube::Condition* c = FindCondition(object.conditions, "Progressing")) {
    r.reason = c->reason;
  }
  if (r.revision == 0 || object.meta.generation > object.observed_generation) {
    r.outcome = object.paused ? Outcome::kPaused : Outcome::kInProgress;
    return;
  }
  if (status.done) {
    Finish(d, Outcome::kComplete, now);
  } else if (status.failed) {
    if (r.outcome != Outcome::kFailed) Finish(d, Outcome::kFailed, now);
  } else if (r.outcome != Outcome::kFailed) {
    r.outcome = object.paused ? Outcome::kPaused : Outcome::kInProgress;
  }
}

void Tracker::Finish(DeploymentState* d, Outcome outcome, std::int64_t end) {
  Rollout& r = d->rollouts.back();
  r.outcome = outcome;
  r.end = end;
  r.updated_at = Now();
  if (!r.id.empty()) changed_[r.id] = d->uid;
  // A failed rollout keeps following the cluster: it may still complete. A superseded one
  // is frozen now; a complete one once the pod watch has caught up (see Settle).
  if (outcome == Outcome::kSuperseded) Freeze(d);
  if (!d->duration_observed && registry_ != nullptr && r.revision != 0) {
    d->duration_observed = true;
    registry_
        ->GetHistogram("kprof_rollout_duration_seconds",
                       "Deployment rollouts from template change to outcome",
                       {{"outcome", std::string(OutcomeName(outcome))}},
                       {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600})
        ->Observe(static_cast<double>(std::max<std::int64_t>(0, end - r.start)) / 1e9);
  }
}

// The Deployment's status can say "complete" before the pod watch has delivered the last
// pods' Ready: a complete rollout keeps following its pods until they are all ready (or
// gone), for at most kSettleNanos.
void Tracker::Settle(DeploymentState* d) {
  if (!d->live || d->rollouts.empty()) return;
  const Rollout& r = d->rollouts.back();
  if (r.outcome != Outcome::kComplete) return;
  bool settled = Now() - r.end > kSettleNanos;
  if (!settled) {
    int ready = 0;
    bool all = true;
    auto rs = replicasets_.find(d->new_rs_uid);
    if (rs != replicasets_.end()) {
      for (const std::string& uid : rs->second->pods) {
        auto it = pods_.find(uid);
        if (it == pods_.end()) continue;
        const PodTimeline& t = it->second->t;
        if (t.ready != 0) ++ready;
        if (t.ready == 0 && t.deleted == 0) all = false;
      }
    }
    settled = all || ready >= r.desired;
  }
  if (settled) Freeze(d);
}

void Tracker::Freeze(DeploymentState* d) {
  Rollout& r = d->rollouts.back();
  auto rs = replicasets_.find(d->new_rs_uid);
  if (rs != replicasets_.end()) {
    for (const std::string& uid : rs->second->pods) {
      auto it = pods_.find(uid);
      if (it != pods_.end() && ReadyToObserve(*it->second)) ObservePhases(it->second.get());
    }
  }
  FillPods(&r, d->new_rs_uid);
  d->live = false;
  if (!r.id.empty()) changed_[r.id] = d->uid;
  // Pods deleted during the rollout were kept for its story; the record has them now.
  if (rs == replicasets_.end()) return;
  std::set<std::string>& members = rs->second->pods;
  for (auto it = members.begin(); it != members.end();) {
    auto p = pods_.find(*it);
    if (p == pods_.end() || p->second->t.state != "Deleted") {
      ++it;
      continue;
    }
    auto name = pod_uid_by_name_.find(p->second->ns + "/" + p->second->t.name);
    if (name != pod_uid_by_name_.end() && name->second == *it) pod_uid_by_name_.erase(name);
    RememberDeleted(*it);
    pods_.erase(p);
    it = members.erase(it);
  }
}

void Tracker::ExportMetrics(const DeploymentState& d) {
  if (d.in_progress == nullptr) return;
  const bool running = d.live && !d.rollouts.empty() && !d.rollouts.back().Final();
  d.in_progress->Set(running ? 1 : 0);
  const kube::Deployment& o = d.last;
  double ratio = 1.0;
  if (running && o.spec_replicas > 0) {
    ratio = std::min(1.0, static_cast<double>(o.updated_replicas) / o.spec_replicas);
    if (o.meta.generation > o.observed_generation) ratio = 0;  // not started yet
  }
  d.ratio->Set(ratio);
}

void Tracker::OnDeploymentDeleted(const kube::Deployment& object) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  DeploymentState* d = FindDeployment(object.meta.uid);
  if (d == nullptr) return;
  if (d->live && !d->rollouts.empty()) {
    Rollout& r = d->rollouts.back();
    if (r.revision != 0 && !r.Final()) {
      r.reason = "DeploymentDeleted";
      Finish(d, Outcome::kSuperseded, Now());
    }
  }
  for (Rollout& r : d->rollouts) Park(std::move(r));
  if (registry_ != nullptr) {
    std::map<std::string, std::string> labels = {{"namespace", d->ns}, {"deployment", d->name}};
    registry_->Remove("kprof_rollout_in_progress", labels);
    registry_->Remove("kprof_rollout_progress_ratio", labels);
  }
  deployments_.erase(object.meta.uid);
  ++version_;
  changed_cv_.notify_all();
}

void Tracker::OnReplicaSet(const kube::ReplicaSet& object) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  auto& slot = replicasets_[object.meta.uid];
  if (!slot) {
    slot = std::make_unique<ReplicaSetState>();
    ++counts_.replicasets;
  }
  ReplicaSetState* rs = slot.get();
  rs->uid = object.meta.uid;
  rs->name = object.meta.name;
  rs->ns = object.meta.namespace_;
  rs->deployment_uid = ControllerUid(object.meta, "Deployment");
  rs->revision = Revision(object.meta);
  rs->created = object.meta.creation_time;
  rs->spec_replicas = object.spec_replicas;
  rs->replicas = object.replicas;
  rs->images = Images(object.containers);
  rs->seen = true;
  DeploymentState* d = FindDeployment(rs->deployment_uid);
  if (d == nullptr || !d->live || d->rollouts.empty()) return;
  Rollout& r = d->rollouts.back();
  if (r.revision != 0 && rs->revision == r.revision && d->new_rs_uid != rs->uid) {
    AttachRevision(d);
    Touch(d);
  }
}

void Tracker::OnReplicaSetDeleted(const kube::ReplicaSet& object) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  auto it = replicasets_.find(object.meta.uid);
  if (it == replicasets_.end()) return;
  // Pods of a deleted ReplicaSet go too; their states are dropped with their own deletes.
  replicasets_.erase(it);
}

void Tracker::OnPod(const kube::Pod& pod) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  const std::int64_t now = Now();
  auto& slot = pods_[pod.meta.uid];
  if (!slot) {
    slot = std::make_unique<PodState>();
    slot->t.name = pod.meta.name;
    slot->t.uid = pod.meta.uid;
    slot->ns = pod.meta.namespace_;
    slot->t.created = Refine(pod.meta.creation_time, now);
    slot->rs_uid = ControllerUid(pod.meta, "ReplicaSet");
    pod_uid_by_name_[pod.meta.namespace_ + "/" + pod.meta.name] = pod.meta.uid;
    if (!slot->rs_uid.empty()) {
      auto& rs = replicasets_[slot->rs_uid];
      if (!rs) {
        rs = std::make_unique<ReplicaSetState>();
        rs->uid = slot->rs_uid;
      }
      rs->pods.insert(pod.meta.uid);
    }
    ++counts_.pods;
  }
  PodState* p = slot.get();
  PodTimeline& t = p->t;
  t.node = pod.node_name;
  if (pod.meta.deletion_time != 0 && t.deleted == 0)
    t.deleted = Refine(pod.meta.deletion_time, now);

  for (const kube::Condition& c : pod.conditions) {
    if (c.type == "PodScheduled") {
      if (c.status == "True" && t.scheduled == 0) {
        t.scheduled = Refine(c.last_transition_time, now);
      } else if (c.status == "False" && !c.reason.empty()) {
        AddProblem(&t, c.reason, c.message, c.last_transition_time, c.last_transition_time, 1);
      }
    } else if (c.type == "Ready" && c.status == "True" && t.ready == 0) {
      t.ready = Refine(c.last_transition_time, now);
    }
  }
  bool all_running = !pod.container_statuses.empty();
  std::int64_t started = 0;
  int restarts = 0;
  std::string waiting;
  for (const kube::ContainerStatus& cs : pod.container_statuses) {
    restarts += cs.restart_count;
    if (cs.state == "running" && cs.started_at != 0) {
      started = std::max(started, cs.started_at);
    } else {
      all_running = false;
    }
    if (cs.state == "waiting" && !cs.state_reason.empty() &&
        cs.state_reason != "ContainerCreating" && cs.state_reason != "PodInitializing") {
      waiting = cs.state_reason;
    }
  }
  if (all_running && t.started == 0) t.started = Refine(started, now);
  t.restarts = restarts;
  if (!waiting.empty() && waiting != p->last_waiting) {
    AddProblem(&t, waiting, "container waiting: " + waiting, now, now, 1);
  }
  p->last_waiting = waiting;

  if (t.deleted != 0) {
    t.state = "Terminating";
  } else if (t.ready != 0 && pod.phase == "Running") {
    bool ready_now = false;
    for (const kube::Condition& c : pod.conditions) {
      if (c.type == "Ready") ready_now = c.status == "True";
    }
    t.state = ready_now ? "Ready" : "NotReady";
  } else if (!waiting.empty()) {
    t.state = waiting;
  } else if (all_running) {
    t.state = "Running";
  } else if (t.pull_started != 0 && t.pull_finished == 0) {
    t.state = "PullingImage";
  } else if (t.scheduled != 0) {
    t.state = "ContainerCreating";
  } else {
    t.state = "Pending";
  }

  // Events that arrived before the pod did.
  for (const std::string& key : {pod.meta.uid, pod.meta.namespace_ + "/" + pod.meta.name}) {
    auto range = pending_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      ApplyEvent(p, it->second.event, it->second.observed);
    }
    pending_.erase(range.first, range.second);
  }

  PodChanged(p);
}

void Tracker::OnPodDeleted(const kube::Pod& pod) {
  std::lock_guard lock(mu_);
  ++counts_.events;
  auto it = pods_.find(pod.meta.uid);
  if (it == pods_.end()) return;
  auto rs = replicasets_.find(it->second->rs_uid);
  if (rs != replicasets_.end()) {
    DeploymentState* d = FindDeployment(rs->second->deployment_uid);
    if (d != nullptr && d->live && d->new_rs_uid == rs->first) {
      // Still part of a running rollout's story: keep its timeline, marked deleted.
      if (it->second->t.deleted == 0) it->second->t.deleted = Now();
      it->second->t.state = "Deleted";
      Touch(d);
      return;
    }
    rs->second->pods.erase(pod.meta.uid);
    if (!rs->second->seen && rs->second->pods.empty()) replicasets_.erase(rs);
  }
  pod_uid_by_name_.erase(pod.meta.namespace_ + "/" + pod.meta.name);
  pods_.erase(it);
  RememberDeleted(pod.meta.uid);
}

// Events keep arriving for pods already gone (Killing comes after the pod's DELETED):
// they are dropped rather than held for a pod that will never come.
void Tracker::RememberDeleted(const std::string& uid) {
  if (!deleted_pods_.insert(uid).second) return;
  deleted_order_.push_back(uid);
  while (deleted_order_.size() > options_.max_pending_events) {
    deleted_pods_.erase(deleted_order_.front());
    deleted_order_.pop_front();
  }
}

void Tracker::OnEvent(const kube::Event& event) {
  if (event.regarding_kind != "Pod") return;
  std::lock_guard lock(mu_);
  ++counts_.events;
  const std::int64_t now = Now();
  PodState* p = nullptr;
  if (!event.regarding_uid.empty()) {
    auto it = pods_.find(event.regarding_uid);
    if (it != pods_.end()) p = it->second.get();
  } else {
    auto name = pod_uid_by_name_.find(event.regarding_namespace + "/" + event.regarding_name);
    if (name != pod_uid_by_name_.end()) p = pods_.at(name->second).get();
  }
  if (p == nullptr) {
    if (!event.regarding_uid.empty() && deleted_pods_.count(event.regarding_uid)) return;
    // The pod's own watch may lag the events' watch: hold the event for a while.
    PrunePending(now);
    std::string key = event.regarding_uid.empty()
                          ? event.regarding_namespace + "/" + event.regarding_name
                          : event.regarding_uid;
    pending_.emplace(key, PendingEvent{now, event});
    pending_order_.emplace_back(now, std::move(key));
    return;
  }
  ApplyEvent(p, event, now);
  PodChanged(p);
}

// After a pod or one of its events changed it: its phases go to the histogram once it is
// ready and its pull is known (the kubelet's Pulled event may come after the rollout was
// frozen), and a running rollout of its ReplicaSet is touched and maybe settled.
void Tracker::PodChanged(PodState* p) {
  auto rs = replicasets_.find(p->rs_uid);
  if (rs == replicasets_.end()) return;
  if (rs->second->rollout_new && ReadyToObserve(*p)) ObservePhases(p);
  DeploymentState* d = FindDeployment(rs->second->deployment_uid);
  if (d == nullptr || !d->live || d->new_rs_uid != p->rs_uid) return;
  Touch(d);
  Settle(d);
}

void Tracker::ApplyEvent(PodState* p, const kube::Event& e, std::int64_t observed) {
  PodTimeline& t = p->t;
  const bool precise = e.event_time != 0;
  std::int64_t first =
      precise ? e.event_time
              : Refine(e.first_time != 0 ? e.first_time : e.meta.creation_time, observed);
  std::int64_t last = precise ? std::max(e.event_time, e.last_time)
                              : Refine(e.last_time != 0 ? e.last_time : first, observed);
  if (e.reason == "Scheduled") {
    if (precise || t.scheduled == 0) {
      if (!p->scheduled_precise || first < t.scheduled) t.scheduled = first;
      p->scheduled_precise = p->scheduled_precise || precise;
    }
  } else if (e.reason == "Pulling") {
    if (t.pull_started == 0 || first < t.pull_started) t.pull_started = first;
    if (t.state == "Pending" || t.state == "ContainerCreating") t.state = "PullingImage";
  } else if (e.reason == "Pulled") {
    std::optional<PullMessage> pulled = ParsePulledMessage(e.message);
    if (!pulled) return;
    if (pulled->already_present) {
      if (t.pull_finished == 0) {
        t.image_present = true;
        t.pull_finished = first;
        if (t.pull_started == 0) t.pull_started = first;
      }
      return;
    }
    if (t.pull_finished == 0 || t.image_present || first < t.pull_finished) {
      t.pull_finished = first;
    }
    t.image_present = false;
    if (t.pull_started == 0) t.pull_started = first;
    t.pull_reported_nanos = std::max(t.pull_reported_nanos, pulled->pull_nanos);
    t.pull_waiting_nanos = std::max(t.pull_waiting_nanos, pulled->with_waiting_nanos);
    t.image_size_bytes = std::max(t.image_size_bytes, pulled->size_bytes);
  } else if (e.reason == "Started") {
    if (t.started == 0) t.started = first;
  } else if (e.type == "Warning" || IsProblemReason(e.reason)) {
    AddProblem(&t, e.reason, e.message, first, last, std::max(1, e.count));
  }
}

bool Tracker::ReadyToObserve(const PodState& p) {
  return !p.phases_observed && p.t.ready != 0 && (p.t.pull_finished != 0 || p.t.image_present);
}

void Tracker::ObservePhases(PodState* p) {
  p->phases_observed = true;
  for (Phase phase : kPhases) {
    metrics::Histogram* h = phase_histograms_[static_cast<int>(phase)];
    std::int64_t v = p->t.PhaseNanos(phase);
    if (h != nullptr && v >= 0) h->Observe(static_cast<double>(v) / 1e9);
  }
}

// Oldest first: drops held events past their TTL, and the oldest beyond the cap. The
// order queue may name keys whose events were already used (their pod arrived); popping
// such an entry just finds nothing. Amortized O(log n) per event.
void Tracker::PrunePending(std::int64_t now) {
  auto drop_front = [&] {
    const auto& [time, key] = pending_order_.front();
    auto range = pending_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.observed == time) {
        pending_.erase(it);
        break;
      }
    }
    pending_order_.pop_front();
  };
  while (!pending_order_.empty() &&
         (now - pending_order_.front().first > options_.pending_event_ttl_nanos ||
          pending_.size() >= options_.max_pending_events ||
          pending_order_.size() > 2 * options_.max_pending_events)) {
    drop_front();
  }
}

void Tracker::FillPods(Rollout* r, const std::string& rs_uid) const {
  r->pods.clear();
  auto rs = replicasets_.find(rs_uid);
  if (rs == replicasets_.end()) return;
  for (const std::string& uid : rs->second->pods) {
    auto it = pods_.find(uid);
    if (it != pods_.end()) r->pods.push_back(it->second->t);
  }
  std::sort(r->pods.begin(), r->pods.end(), [](const PodTimeline& a, const PodTimeline& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
  if (r->pods.size() > kMaxPodsPerRollout) r->pods.resize(kMaxPodsPerRollout);
}

Rollout Tracker::Snapshot(const DeploymentState& d, const Rollout& r) const {
  Rollout copy = r;
  if (d.live && &r == &d.rollouts.back()) FillPods(&copy, d.new_rs_uid);
  return copy;
}

void Tracker::Restore(std::vector<Rollout> unfinished) {
  std::lock_guard lock(mu_);
  for (Rollout& r : unfinished) {
    if (!r.Final()) restored_.push_back(std::move(r));
  }
}

std::vector<Rollout> Tracker::List(const RolloutFilter& filter) const {
  std::lock_guard lock(mu_);
  const std::int64_t now = Now();
  std::vector<Rollout> out;
  for (const auto& [uid, d] : deployments_) {
    if (!filter.namespace_.empty() && d->ns != filter.namespace_) continue;
    if (!filter.deployment.empty() && d->name != filter.deployment) continue;
    for (const Rollout& r : d->rollouts) {
      if (r.id.empty()) continue;
      std::int64_t end = r.end != 0 ? r.end : now;
      if (end < filter.from || r.start >= filter.to) continue;
      out.push_back(Snapshot(*d, r));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Rollout& a, const Rollout& b) { return a.start > b.start; });
  return out;
}

std::optional<Rollout> Tracker::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& [uid, d] : deployments_) {
    for (const Rollout& r : d->rollouts) {
      if (r.id == id) return Snapshot(*d, r);
    }
  }
  return std::nullopt;
}

std::optional<Rollout> Tracker::Current(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& [uid, d] : deployments_) {
    if (d->ns != ns || d->name != name) continue;
    for (auto it = d->rollouts.rbegin(); it != d->rollouts.rend(); ++it) {
      if (!it->id.empty()) return Snapshot(*d, *it);
    }
  }
  return std::nullopt;
}

std::vector<Rollout> Tracker::TakeChanged() {
  std::lock_guard lock(mu_);
  std::vector<Rollout> out;
  for (const auto& [id, uid] : changed_) {
    DeploymentState* d = FindDeployment(uid);
    if (d == nullptr) continue;
    for (const Rollout& r : d->rollouts) {
      if (r.id == id) out.push_back(Snapshot(*d, r));
    }
  }
  changed_.clear();
  for (Rollout& r : parked_) out.push_back(std::move(r));
  parked_.clear();
  return out;
}

Tracker::PodOwner Tracker::OwnerOf(const std::string& ns, const std::string& pod) const {
  std::lock_guard lock(mu_);
  PodOwner owner;
  auto uid = pod_uid_by_name_.find(ns + "/" + pod);
  if (uid == pod_uid_by_name_.end()) return owner;
  auto p = pods_.find(uid->second);
  if (p == pods_.end()) return owner;
  owner.node = p->second->t.node;
  auto rs = replicasets_.find(p->second->rs_uid);
  if (rs == replicasets_.end()) return owner;
  owner.replicaset = rs->second->name;
  auto d = deployments_.find(rs->second->deployment_uid);
  if (d != deployments_.end()) owner.deployment = d->second->name;
  return owner;
}

std::uint64_t Tracker::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::uint64_t Tracker::WaitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  changed_cv_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

Tracker::Counts Tracker::counts() const {
  std::lock_guard lock(mu_);
  Counts c = counts_;
  c.pending_events = pending_.size();
  return c;
}

}  // namespace kprof::rollout
