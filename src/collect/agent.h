// The collector agent: discovery (Kubernetes pods and static targets) → collector →
// spool → pusher → sink. `kprof agent` runs it with an HTTP sink; `kprof server
// --kubeconfig` runs it in-process with a sink that writes to the local store.
//
// Thread-safety: Start/Stop from one thread; the accessors from any.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "collect/collector.h"
#include "collect/delivery.h"
#include "collect/discovery.h"
#include "collect/spool.h"
#include "kube/client.h"
#include "kube/config.h"
#include "net/router.h"

namespace kprof::collect {

struct AgentOptions {
  // Kubernetes discovery; disabled when `kubernetes` is false.
  bool kubernetes = true;
  kube::ConfigOptions kube_config;
  std::vector<std::string> namespaces;
  std::string label_selector;
  // "direct" (pod IP; in-cluster), "proxy" (the API server's pod proxy; from a laptop), or
  // "auto" (direct in cluster, proxy otherwise).
  std::string via = "auto";
  std::string targets_file;  // static targets (YAML)
  ScrapeDefaults defaults;
  CollectorOptions collector;
  SpoolOptions spool;
  PusherOptions pusher;
};

class Agent {
 public:
  // `sink` must outlive the agent; `registry` too.
  static Result<std::unique_ptr<Agent>> Create(AgentOptions options, Sink* sink,
                                               metrics::Registry* registry,
                                               std::shared_ptr<net::HttpClient> http);
  ~Agent();
  Status Start();
  void Stop();

  // GET /status: targets, scrape statistics, discovery problems (JSON).
  void AddRoutes(net::Router* router);
  std::string StatusJson() const;

  Collector& collector() { return *collector_; }
  const kube::RestConfig* kube_config() const { return kube_config_ ? &*kube_config_ : nullptr; }
  // The Kubernetes client discovery uses (null without Kubernetes), for other watchers of
  // the same cluster (rollouts, pod resources).
  kube::Client* kube_client() const { return kube_.get(); }
  const AgentOptions& options() const { return options_; }

 private:
  Agent() = default;

  AgentOptions options_;
  metrics::Registry* registry_ = nullptr;
  std::shared_ptr<net::HttpClient> http_;
  std::optional<kube::RestConfig> kube_config_;
  std::unique_ptr<kube::Client> kube_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<Pusher> pusher_;
  std::unique_ptr<KubeDiscovery> discovery_;
  std::vector<Target> static_targets_;
};

}  // namespace kprof::collect
