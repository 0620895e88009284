#include "collect/agent.h"

#include <nlohmann/json.hpp>

namespace kprof::collect {

using nlohmann::json;

Result<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, Sink* sink,
                                             metrics::Registry* registry,
                                             std::shared_ptr<net::HttpClient> http) {
  std::unique_ptr<Agent> a(new Agent());
  a->options_ = std::move(options);
  a->registry_ = registry;
  a->http_ = std::move(http);
  const AgentOptions& o = a->options_;
  if (!o.targets_file.empty()) {
    KPROF_ASSIGN_OR_RETURN(a->static_targets_, LoadStaticTargets(o.targets_file, o.defaults));
  }
  if (o.kubernetes) {
    auto config = kube::LoadConfig(o.kube_config);
    if (!config.ok()) {
      return config.status().WithContext(
          "Kubernetes config (give --kubeconfig/--context, run in a pod, or pass "
          "--no-kubernetes to scrape only --targets-file)");
    }
    a->kube_config_ = std::move(config).value();
    KPROF_ASSIGN_OR_RETURN(a->kube_, kube::Client::Create(*a->kube_config_, a->http_));
  } else if (a->static_targets_.empty()) {
    return InvalidArgument("nothing to scrape: no Kubernetes discovery and no --targets-file");
  }
  KPROF_ASSIGN_OR_RETURN(a->spool_, Spool::Open(o.spool));
  a->collector_ =
      std::make_unique<Collector>(o.collector, a->http_, a->kube_.get(), a->spool_.get(), registry);
  a->pusher_ = std::make_unique<Pusher>(o.pusher, a->spool_.get(), sink, registry);
  if (a->kube_) {
    KubeDiscoveryOptions d;
    d.namespaces = o.namespaces;
    d.label_selector = o.label_selector;
    d.pod.defaults = o.defaults;
    if (o.via == "direct") {
      d.pod.via = Target::Via::kDirect;
    } else if (o.via == "proxy") {
      d.pod.via = Target::Via::kPodProxy;
    } else if (o.via == "auto") {
      d.pod.via = a->kube_config_->in_cluster ? Target::Via::kDirect : Target::Via::kPodProxy;
    } else {
      return InvalidArgument("--via wants direct, proxy or auto, not \"" + o.via + "\"");
    }
    a->discovery_ = std::make_unique<KubeDiscovery>(a->kube_.get(), std::move(d),
                                                    a->collector_.get(), registry);
  }
  Spool* spool = a->spool_.get();
  registry->AddCollector([spool](metrics::Registry* r) {
    SpoolStats s = spool->stats();
    r->GetGauge("kprof_agent_spool_profiles", "Profiles waiting in the spool.")->Set(s.files);
    r->GetGauge("kprof_agent_spool_bytes", "Bytes waiting in the spool.")->Set(s.bytes);
    r->GetGauge("kprof_agent_spool_dropped_total",
                "Profiles dropped because the spool was full (oldest first).")
        ->Set(s.dropped);
  });
  return a;
}

Agent::~Agent() { Stop(); }

Status Agent::Start() {
  for (const Target& t : static_targets_) collector_->Upsert(t);
  collector_->Start();
  pusher_->Start();
  if (discovery_) discovery_->Start();
  return Status::Ok();
}

void Agent::Stop() {
  if (discovery_) discovery_->Stop();
  if (collector_) collector_->Stop();
  if (pusher_) pusher_->Stop();
}

std::string Agent::StatusJson() const {
  json targets = json::array();
  for (const Target& t : collector_->Targets()) {
    json labels = json::object();
    for (const store::Label& l : t.labels) labels[l.name] = l.value;
    json types = json::array();
    for (ProfileKind k : t.kinds) types.push_back(KindName(k));
    targets.push_back({{"key", t.key},
                       {"service", t.service},
                       {"labels", labels},
                       {"types", types},
                       {"via", t.via == Target::Via::kDirect ? "direct" : "proxy"}});
  }
  CollectorStats s = collector_->stats();
  SpoolStats sp = spool_->stats();
  PusherStats ps = pusher_->stats();
  json problems = json::array();
  if (discovery_) {
    for (const std::string& p : discovery_->Problems()) problems.push_back(p);
  }
  json out = {
      {"targets", targets},
      {"scrapes",
       {{"finished", s.scrapes},
        {"failed", s.failures},
        {"skipped", s.skipped},
        {"baselines", s.baselines},
        {"resets", s.resets},
        {"spooled", s.spooled}}},
      {"lag_seconds",
       {{"p50", s.lag.p50},
        {"p90", s.lag.p90},
        {"p99", s.lag.p99},
        {"max", s.lag.max},
        {"count", s.lag.count}}},
      {"spool", {{"profiles", sp.files}, {"bytes", sp.bytes}, {"dropped", sp.dropped}}},
      {"pushes", {{"delivered", ps.delivered}, {"rejected", ps.rejected}, {"retries", ps.retries}}},
      {"problems", problems},
  };
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Agent::AddRoutes(net::Router* router) {
  router->Add(
      "GET", "/status", [this](net::Request&) { return net::JsonOk(StatusJson()); },
      "Targets, scrape statistics, spool and discovery problems (JSON)");
}

}  // namespace kprof::collect
