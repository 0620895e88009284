#include "collect/discovery.h"

namespace kprof::collect {

KubeDiscovery::KubeDiscovery(kube::Client* client, KubeDiscoveryOptions options,
                             Collector* collector, metrics::Registry* registry)
    : client_(client), options_(std::move(options)), collector_(collector) {
  problems_counter_ =
      registry->GetCounter("kprof_agent_discovery_problems_total",
                           "Pods that opt in to profiling with annotations kprof cannot use.");
  std::vector<std::string> namespaces = options_.namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  for (const std::string& ns : namespaces) {
    kube::ListOptions pod_list;
    pod_list.namespace_ = ns;
    pod_list.label_selector = options_.label_selector;
    kube::InformerHandlers<kube::Pod> ph;
    ph.on_add = [this](const kube::Pod& p) { OnPod(p); };
    ph.on_update = [this](const kube::Pod&, const kube::Pod& p) { OnPod(p); };
    ph.on_delete = [this](const kube::Pod& p) { OnPodGone(p); };
    pods_.push_back(std::make_unique<kube::Informer<kube::Pod>>(*client_, kube::Resource::kPods,
                                                                pod_list, std::move(ph)));
    kube::ListOptions rs_list;
    rs_list.namespace_ = ns;
    kube::InformerHandlers<kube::ReplicaSet> rh;
    rh.on_add = [this](const kube::ReplicaSet& rs) { OnReplicaSet(rs); };
    rh.on_update = [this](const kube::ReplicaSet&, const kube::ReplicaSet& rs) {
      OnReplicaSet(rs);
    };
    rh.on_delete = [this](const kube::ReplicaSet& rs) {
      std::lock_guard<std::mutex> lock(mu_);
      rs_seen_.erase(rs.meta.uid);
    };
    replicasets_.push_back(std::make_unique<kube::Informer<kube::ReplicaSet>>(
        *client_, kube::Resource::kReplicaSets, rs_list, std::move(rh)));
  }
}

KubeDiscovery::~KubeDiscovery() { Stop(); }

void KubeDiscovery::Start() {
  // ReplicaSets first, so the first pods already find their owners.
  for (auto& i : replicasets_) i->Start();
  for (auto& i : replicasets_) i->WaitForSync(std::chrono::seconds(10));
  for (auto& i : pods_) i->Start();
}

void KubeDiscovery::Stop() {
  for (auto& i : pods_) i->Stop();
  for (auto& i : replicasets_) i->Stop();
}

bool KubeDiscovery::WaitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& i : replicasets_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!i->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  for (auto& i : pods_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!i->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

std::vector<std::string> KubeDiscovery::Problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [pod, message] : problems_) out.push_back(message);
  return out;
}

OwnerInfo KubeDiscovery::OwnerOf(const kube::Pod& pod) const {
  OwnerInfo info;
  const kube::OwnerReference* owner = pod.meta.Controller();
  if (owner == nullptr || owner->kind != "ReplicaSet") return info;
  info.replicaset = owner->name;
  for (const auto& informer : replicasets_) {
    auto rs = informer->Get(pod.meta.namespace_, owner->name);
    if (!rs) continue;
    if (const kube::OwnerReference* d = rs->meta.Controller(); d && d->kind == "Deployment") {
      info.deployment = d->name;
    }
    if (const std::string* rev =
            kube::FindPair(rs->meta.annotations, "deployment.kubernetes.io/revision")) {
      info.revision = *rev;
    }
    break;
  }
  return info;
}

void KubeDiscovery::OnPod(const kube::Pod& pod) {
  const std::string pod_key = pod.meta.namespace_ + "/" + pod.meta.name;
  auto target = TargetFromPod(pod, OwnerOf(pod), options_.pod);
  std::string old_key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!target.ok()) {
      if (problems_.find(pod_key) == problems_.end()) problems_counter_->Add();
      problems_[pod_key] = target.status().message();
    } else {
      problems_.erase(pod_key);
    }
    auto it = pod_target_.find(pod_key);
    if (it != pod_target_.end()) old_key = it->second;
    if (target.ok() && target->has_value()) {
      pod_target_[pod_key] = (*target)->key;
    } else {
      pod_target_.erase(pod_key);
    }
  }
  std::string new_key = target.ok() && target->has_value() ? (*target)->key : "";
  if (!old_key.empty() && old_key != new_key) collector_->Remove(old_key);
  if (!new_key.empty()) collector_->Upsert(std::move(**target));
}

void KubeDiscovery::OnPodGone(const kube::Pod& pod) {
  const std::string pod_key = pod.meta.namespace_ + "/" + pod.meta.name;
  std::string old_key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    problems_.erase(pod_key);
    auto it = pod_target_.find(pod_key);
    if (it == pod_target_.end()) return;
    old_key = it->second;
    pod_target_.erase(it);
  }
  collector_->Remove(old_key);
}

void KubeDiscovery::OnReplicaSet(const kube::ReplicaSet& rs) {
  // Pods seen before their ReplicaSet lack owner labels: refresh the ones it owns, but
  // only when what pods take from it is new (status updates are frequent).
  const std::string* rev = kube::FindPair(rs.meta.annotations, "deployment.kubernetes.io/revision");
  const kube::OwnerReference* d = rs.meta.Controller();
  std::string seen = (rev ? *rev : "") + "/" + (d ? d->name : "");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = rs_seen_.try_emplace(rs.meta.uid, seen);
    if (!inserted && it->second == seen) return;
    it->second = seen;
  }
  for (const auto& informer : pods_) {
    for (const kube::Pod& pod : informer->List()) {
      const kube::OwnerReference* owner = pod.meta.Controller();
      if (owner && owner->uid == rs.meta.uid) OnPod(pod);
    }
  }
}

}  // namespace kprof::collect
