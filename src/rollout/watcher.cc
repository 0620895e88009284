#include "rollout/watcher.h"

#include <cstdio>

namespace kprof::rollout {

namespace {

template <typename T>
std::unique_ptr<kube::Informer<T>> MakeInformer(kube::Client* client, kube::Resource resource,
                                                kube::ListOptions list,
                                                std::function<void(const T&)> on_change,
                                                std::function<void(const T&)> on_delete) {
  kube::InformerHandlers<T> handlers;
  handlers.on_add = on_change;
  handlers.on_update = [on_change](const T&, const T& after) { on_change(after); };
  handlers.on_delete = std::move(on_delete);
  return std::make_unique<kube::Informer<T>>(*client, resource, list, std::move(handlers));
}

}  // namespace

KubeRolloutWatcher::KubeRolloutWatcher(kube::Client* client, WatcherOptions options,
                                       Tracker* tracker, RolloutStore* store)
    : client_(client), options_(std::move(options)), tracker_(tracker), store_(store) {}

KubeRolloutWatcher::~KubeRolloutWatcher() { Stop(); }

Status KubeRolloutWatcher::Start() {
  if (options_.events_api != "v1" && options_.events_api != "events.k8s.io/v1") {
    return InvalidArgument("events API \"" + options_.events_api +
                           "\": want events.k8s.io/v1 or v1");
  }
  if (store_ != nullptr) {
    auto stored = store_->List(RolloutFilter{}, 0);
    if (!stored.ok()) return stored.status().WithContext("loading rollouts");
    std::vector<Rollout> unfinished;
    for (Rollout& r : *stored) {
      if (!r.Final()) unfinished.push_back(std::move(r));
    }
    tracker_->Restore(std::move(unfinished));
  }
  std::vector<std::string> namespaces = options_.namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  Tracker* t = tracker_;
  const kube::Resource events =
      options_.events_api == "v1" ? kube::Resource::kEvents : kube::Resource::kEventsV1;
  auto options = [&](const std::string& ns, std::string labels, std::string fields) {
    kube::ListOptions o;
    o.namespace_ = ns;
    o.label_selector = std::move(labels);
    o.field_selector = std::move(fields);
    return o;
  };
  const bool narrow = !options_.deployment_name.empty();
  const std::string event_fields =
      !narrow
          ? ""
          : (events == kube::Resource::kEvents ? "involvedObject.kind=Pod" : "regarding.kind=Pod");
  for (const std::string& ns : namespaces) {
    // ReplicaSets first, so a Deployment seen at startup finds its ReplicaSets.
    replicasets_.push_back(MakeInformer<kube::ReplicaSet>(
        client_, kube::Resource::kReplicaSets, options(ns, options_.pod_selector, ""),
        [t](const kube::ReplicaSet& rs) { t->OnReplicaSet(rs); },
        [t](const kube::ReplicaSet& rs) { t->OnReplicaSetDeleted(rs); }));
    pods_.push_back(MakeInformer<kube::Pod>(
        client_, kube::Resource::kPods, options(ns, options_.pod_selector, ""),
        [t](const kube::Pod& p) { t->OnPod(p); }, [t](const kube::Pod& p) { t->OnPodDeleted(p); }));
    events_.push_back(MakeInformer<kube::Event>(
        client_, events, options(ns, "", event_fields),
        [t](const kube::Event& e) { t->OnEvent(e); }, [](const kube::Event&) {}));
  }
  for (auto& i : replicasets_) i->Start();
  for (auto& i : pods_) i->Start();
  for (auto& i : events_) i->Start();
  for (auto& i : replicasets_) i->WaitForSync(std::chrono::seconds(10));
  for (const std::string& ns : namespaces) {
    deployments_.push_back(MakeInformer<kube::Deployment>(
        client_, kube::Resource::kDeployments,
        options(ns, "", narrow ? "metadata.name=" + options_.deployment_name : ""),
        [t](const kube::Deployment& d) { t->OnDeployment(d); },
        [t](const kube::Deployment& d) { t->OnDeploymentDeleted(d); }));
  }
  for (auto& i : deployments_) i->Start();
  saver_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, options_.save_interval, [&] { return stopping_; });
      lock.unlock();
      Flush();
      lock.lock();
    }
  });
  return Status::Ok();
}

void KubeRolloutWatcher::Flush() {
  if (store_ == nullptr) {
    tracker_->TakeChanged();
    return;
  }
  std::lock_guard lock(flush_mu_);
  for (const Rollout& r : tracker_->TakeChanged()) {
    if (Status s = store_->Put(r); !s.ok()) {
      std::fprintf(stderr, "kprof: saving rollout %s: %s\n", r.id.c_str(), s.message().c_str());
    }
  }
}

bool KubeRolloutWatcher::WaitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
        deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero()));
  };
  for (auto& i : replicasets_) {
    if (!i->WaitForSync(left())) return false;
  }
  for (auto& i : pods_) {
    if (!i->WaitForSync(left())) return false;
  }
  for (auto& i : events_) {
    if (!i->WaitForSync(left())) return false;
  }
  for (auto& i : deployments_) {
    if (!i->WaitForSync(left())) return false;
  }
  return true;
}

void KubeRolloutWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !saver_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (saver_.joinable()) saver_.join();
  for (auto& i : deployments_) i->Stop();
  for (auto& i : events_) i->Stop();
  for (auto& i : pods_) i->Stop();
  for (auto& i : replicasets_) i->Stop();
  Flush();
}

}  // namespace kprof::rollout
