// kprof server: the profile repository (store + HTTP API) until SIGINT/SIGTERM.
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "api/auth.h"
#include "api/ingest.h"
#include "api/observe.h"
#include "api/profefe.h"
#include "api/resources_api.h"
#include "api/rollouts_api.h"
#include "api/ui.h"
#include "api/v1.h"
#include "base/metrics.h"
#include "cli/agent_flags.h"
#include "cli/commands.h"
#include "kube/informer.h"
#include "net/router.h"
#include "net/server.h"
#include "resources/sampler.h"
#include "resources/store.h"
#include "rollout/rollout_store.h"
#include "rollout/tracker.h"
#include "rollout/watcher.h"
#include "store/embedded/rocks_store.h"
#include "store/timeparse.h"

namespace kprof::cli {

namespace {

// The in-process collector's sink: straight into the store through the ingest path the
// HTTP API uses, with the same validation.
class IngestSink : public collect::Sink {
 public:
  explicit IngestSink(api::IngestService* ingest) : ingest_(ingest) {}
  Status Deliver(const collect::Envelope& e) override {
    api::IngestRequest in;
    in.service = e.service;
    in.type = e.type;
    in.labels = e.labels;
    in.body = e.profile;
    in.created_at_nanos = e.time_nanos;
    in.reject_empty = false;
    auto meta = ingest_->Ingest(std::move(in));
    return meta.ok() ? Status::Ok() : meta.status();
  }

 private:
  api::IngestService* ingest_;
};

bool IsLoopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "localhost" ||
         address.rfind("127.", 0) == 0;
}

struct ServerCommand {
  std::string listen = "127.0.0.1:7070";
  std::string data_dir = "kprof-data";
  std::string retention = "0";
  std::string raw_retention = "0";
  bool insecure = false;
  std::string tokens_file;
  std::string tls_cert;
  std::string tls_key;
  size_t max_body_bytes = 32u << 20;
  int workers = 32;
  size_t max_queued = 1024;
  bool no_sync = false;
  AgentFlags collect;
  bool collect_enabled = false;
  bool no_rollouts = false;
  std::string events_api = "events.k8s.io/v1";
  std::string resources_interval = "10s";

  int Run() {
    bool collecting = collect_enabled || !collect.options.kube_config.kubeconfig.empty() ||
                      !collect.options.kube_config.context.empty() ||
                      !collect.options.targets_file.empty();
    if (collecting) {
      collect.no_kubernetes = collect.options.kube_config.kubeconfig.empty() &&
                              collect.options.kube_config.context.empty() && !collect_enabled;
      if (Status s = FinishAgentFlags(&collect); !s.ok()) return Fail(s);
      if (collect.options.spool.dir.empty()) collect.options.spool.dir = data_dir + "/spool";
    }
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return Fail(InvalidArgument("--listen wants HOST:PORT, e.g. 127.0.0.1:7070"));
    }
    net::ServerOptions options;
    options.address = listen.substr(0, colon);
    if (options.address.size() > 2 && options.address.front() == '[') {
      options.address = options.address.substr(1, options.address.size() - 2);
    }
    options.port = static_cast<uint16_t>(std::atoi(listen.c_str() + colon + 1));
    std::optional<api::TokenAuth> auth;
    if (!tokens_file.empty()) {
      auto loaded = api::TokenAuth::LoadFile(tokens_file);
      if (!loaded.ok()) return Fail(loaded.status().WithContext("--tokens-file"));
      auth = std::move(loaded).value();
    }
    if (!IsLoopback(options.address) && !auth && !insecure) {
      return Fail(InvalidArgument(
          "refusing to serve profiles on " + options.address +
          " without authentication; give --tokens-file, listen on 127.0.0.1, or pass "
          "--insecure if the network is trusted"));
    }
    options.worker_threads = workers;
    // Room for every connection of a large fleet to have one upload waiting.
    options.max_queued_requests = max_queued;
    options.max_body_bytes = max_body_bytes + 4096;
    options.tls_cert_file = tls_cert;
    options.tls_key_file = tls_key;

    store::RetentionPolicy policy;
    for (auto [text, out] : {std::pair{&retention, &policy.profiles_nanos},
                             std::pair{&raw_retention, &policy.raw_nanos}}) {
      if (*text == "0") continue;
      auto d = store::ParseDuration(*text);
      if (!d.ok()) return Fail(d.status().WithContext("--retention"));
      *out = *d;
    }

    store::EmbeddedOptions store_options;
    store_options.data_dir = data_dir;
    store_options.sync = !no_sync;
    auto opened = store::OpenEmbeddedStore(store_options);
    if (!opened.ok()) return Fail(opened.status());
    std::unique_ptr<store::ProfileStore> store = std::move(opened).value();

    api::IngestLimits limits;
    limits.max_body_bytes = max_body_bytes;
    metrics::Registry registry;
    api::IngestService ingest(store.get(), limits, &registry);
    auto router = std::make_shared<net::Router>();
    api::RouteContext context{&registry, auth ? &*auth : nullptr};
    api::AddProfefeRoutes(router.get(), store.get(), &ingest, {"0.1.0", "", ""}, context);
    api::AddNativeRoutes(router.get(), store.get(), &ingest, context);
    api::AddOperationalRoutes(router.get(), context);
    api::AddUiRoutes(router.get(), api::UiAssets());
    // Rollouts: stored ones are served even when this server does not watch a cluster.
    auto rollout_store = rollout::OpenRolloutStore(data_dir + "/rollouts");
    if (!rollout_store.ok()) return Fail(rollout_store.status());
    std::unique_ptr<rollout::Tracker> tracker;
    if (collecting && !collect.no_kubernetes && !no_rollouts) {
      tracker = std::make_unique<rollout::Tracker>(rollout::TrackerOptions{}, &registry);
    }
    auto resource_store = resources::OpenResourceStore(data_dir + "/resources");
    if (!resource_store.ok()) return Fail(resource_store.status());
    api::AddResourceRoutes(router.get(), resource_store->get(), context);
    std::chrono::milliseconds sample_every{0};
    if (resources_interval != "0") {
      auto d = collect::ParseDurationFlag(resources_interval);
      if (!d.ok()) return Fail(d.status().WithContext("--resources-interval"));
      sample_every = *d;
    }
    rollout::RolloutStore* rollouts_ptr = rollout_store->get();
    resources::ResourceStore* resources_ptr = resource_store->get();
    registry.AddCollector([rollouts_ptr, resources_ptr](metrics::Registry* r) {
      r->GetGauge("kprof_store_corrupt_records", "Stored records skipped as unreadable",
                  {{"store", "rollouts"}})
          ->Set(static_cast<double>(rollouts_ptr->corrupt_records()));
      r->GetGauge("kprof_store_corrupt_records", "Stored records skipped as unreadable",
                  {{"store", "resources"}})
          ->Set(static_cast<double>(resources_ptr->corrupt_values()));
    });
    api::RolloutSources rollout_sources{tracker.get(), rollout_store->get(), store.get(),
                                        resource_store->get()};
    api::AddRolloutRoutes(router.get(), rollout_sources, context);
    store::ProfileStore* store_ptr = store.get();
    registry.AddCollector([store_ptr](metrics::Registry* r) {
      auto stats = store_ptr->Stats();
      if (!stats.ok()) return;
      r->GetGauge("kprof_store_profiles", "Profiles stored (estimate)")->Set(stats->profiles);
      r->GetGauge("kprof_store_series", "Series (service, type, labels)")->Set(stats->series);
      r->GetGauge("kprof_store_services", "Services with profiles")->Set(stats->services);
      r->GetGauge("kprof_store_symbols", "Interned functions, locations and stacks")
          ->Set(stats->symbols);
      r->GetGauge("kprof_store_disk_bytes", "Bytes on disk", {{"kind", "normalized"}})
          ->Set(stats->disk_bytes);
      r->GetGauge("kprof_store_disk_bytes", "Bytes on disk", {{"kind", "raw"}})
          ->Set(stats->raw_disk_bytes);
    });

    // The embedded collector writes into this store.
    IngestSink sink(&ingest);
    std::unique_ptr<collect::Agent> agent;
    if (collecting) {
      auto http = net::HttpClient::Create(CollectorHttpOptions());
      if (!http.ok()) return Fail(http.status());
      auto created =
          collect::Agent::Create(collect.options, &sink, &registry, std::move(http).value());
      if (!created.ok()) return Fail(created.status());
      agent = std::move(created).value();
      agent->AddRoutes(router.get());
    }
    // Pod resources: the kubelets' Summary API in a cluster, cgroups of local targets.
    std::unique_ptr<kube::Informer<kube::Node>> nodes;
    std::unique_ptr<resources::KubeletSampler> kubelet_sampler;
    std::unique_ptr<resources::CgroupSampler> cgroup_sampler;
    if (agent && sample_every.count() > 0) {
      if (agent->kube_client() != nullptr) {
        nodes = std::make_unique<kube::Informer<kube::Node>>(
            *agent->kube_client(), kube::Resource::kNodes, kube::ListOptions{},
            kube::InformerHandlers<kube::Node>{});
        resources::KubeletSamplerOptions ko;
        ko.interval = sample_every;
        kube::Informer<kube::Node>* node_cache = nodes.get();
        ko.nodes = [node_cache] {
          std::vector<std::string> names;
          for (const kube::Node& n : node_cache->List()) names.push_back(n.meta.name);
          return names;
        };
        if (rollout::Tracker* t = tracker.get()) {
          ko.owners = [t](const std::string& ns, const std::string& pod) {
            rollout::Tracker::PodOwner o = t->OwnerOf(ns, pod);
            return resources::Owner{o.node, o.deployment, o.replicaset};
          };
        }
        kubelet_sampler = std::make_unique<resources::KubeletSampler>(
            agent->kube_client(), resource_store->get(), &registry, ko);
      } else if (!collect.options.targets_file.empty()) {
        auto targets =
            collect::LoadStaticTargets(collect.options.targets_file, collect.options.defaults);
        if (!targets.ok()) return Fail(targets.status());
        resources::CgroupSamplerOptions co;
        co.interval = sample_every;
        for (const collect::Target& t : *targets) {
          co.targets.push_back({t.service, 0, t.host, t.port});
        }
        cgroup_sampler =
            std::make_unique<resources::CgroupSampler>(resource_store->get(), &registry, co);
      }
    }
    std::unique_ptr<rollout::KubeRolloutWatcher> rollout_watcher;
    if (tracker && agent && agent->kube_client() != nullptr) {
      rollout::WatcherOptions wo;
      wo.namespaces = agent->options().namespaces;
      wo.events_api = events_api;
      rollout_watcher = std::make_unique<rollout::KubeRolloutWatcher>(
          agent->kube_client(), wo, tracker.get(), rollout_store->get());
    }

    // Block the signals before threads start so that only sigwait() sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto server = net::HttpServer::Start(options, router);
    if (!server.ok()) return Fail(server.status());
    std::string scheme = tls_cert.empty() ? "http" : "https";
    std::fprintf(stderr, "kprof server: listening on %s://%s:%u, data in %s\n", scheme.c_str(),
                 options.address.c_str(), (*server)->port(), data_dir.c_str());
    std::fprintf(stderr,
                 "kprof server: go tool pprof '%s://%s:%u/api/0/profiles/merge?service=S&type=cpu"
                 "&from=2006-01-02T15:04:05&to=2030-01-01T00:00:00'\n",
                 scheme.c_str(), options.address.c_str(), (*server)->port());
    std::fflush(stderr);
    if (agent) {
      if (Status s = agent->Start(); !s.ok()) return Fail(s);
      const kube::RestConfig* kc = agent->kube_config();
      std::fprintf(stderr, "kprof server: collecting from %s\n",
                   kc ? ("pods via " + kc->server).c_str() : collect.options.targets_file.c_str());
      std::fflush(stderr);
    }
    if (rollout_watcher) {
      if (Status s = rollout_watcher->Start(); !s.ok()) return Fail(s);
      std::fprintf(stderr, "kprof server: tracking Deployment rollouts (/api/v1/rollouts)\n");
      std::fflush(stderr);
    }
    if (nodes) nodes->Start();
    if (kubelet_sampler) kubelet_sampler->Start();
    if (cgroup_sampler) cgroup_sampler->Start();
    if (kubelet_sampler || cgroup_sampler) {
      std::fprintf(stderr, "kprof server: sampling pod resources every %s (/api/v1/resources)\n",
                   resources_interval.c_str());
      std::fflush(stderr);
    }
    // Background upkeep: time rollups every few seconds, retention every minute.
    std::mutex upkeep_mu;
    std::condition_variable upkeep_cv;
    bool stopping = false;
    std::thread upkeep([&] {
      auto now_nanos = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
      int rounds = 0;
      std::unique_lock lock(upkeep_mu);
      while (!stopping) {
        lock.unlock();
        Status s = store->Maintain(now_nanos());
        if (!s.ok()) std::fprintf(stderr, "kprof server: rollups: %s\n", s.message().c_str());
        if (++rounds % 12 == 0 && (policy.profiles_nanos > 0 || policy.raw_nanos > 0)) {
          s = store->ApplyRetention(policy, now_nanos());
          if (!s.ok()) std::fprintf(stderr, "kprof server: retention: %s\n", s.message().c_str());
          if (policy.profiles_nanos > 0) {
            s = (*resource_store)->ApplyRetention(now_nanos() - policy.profiles_nanos);
            if (!s.ok()) {
              std::fprintf(stderr, "kprof server: resource retention: %s\n", s.message().c_str());
            }
          }
        }
        lock.lock();
        upkeep_cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; });
      }
    });
    int signal = 0;
    sigwait(&signals, &signal);
    std::fprintf(stderr, "kprof server: stopping (signal %d)\n", signal);
    if (cgroup_sampler) cgroup_sampler->Stop();
    if (kubelet_sampler) kubelet_sampler->Stop();
    if (nodes) nodes->Stop();
    if (rollout_watcher) rollout_watcher->Stop();
    if (agent) agent->Stop();
    (*server)->Stop();
    {
      std::lock_guard lock(upkeep_mu);
      stopping = true;
    }
    upkeep_cv.notify_all();
    upkeep.join();
    return 0;
  }
};

}  // namespace

void AddServerCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<ServerCommand>();
  CLI::App* sub = app->add_subcommand(
      "server", "Run the profile repository: store profiles, serve the profefe-compatible API");
  sub->add_option("--listen", cmd->listen, "HOST:PORT to listen on")->capture_default_str();
  sub->add_option("--data-dir", cmd->data_dir, "Directory of the embedded store")
      ->capture_default_str();
  sub->add_option("--retention", cmd->retention,
                  "Delete profiles older than this (Go duration, e.g. 720h; 0 = keep)")
      ->capture_default_str();
  sub->add_option("--raw-retention", cmd->raw_retention,
                  "Keep uploaded bytes (exact GET) this long; 0 = as long as the profile")
      ->capture_default_str();
  sub->add_option("--tokens-file", cmd->tokens_file,
                  "Require bearer tokens: lines of `read|write|read,write TOKEN [NAME]`");
  sub->add_flag("--insecure", cmd->insecure,
                "Allow listening on a non-loopback address without authentication");
  sub->add_option("--tls-cert", cmd->tls_cert, "TLS certificate file (PEM); enables HTTPS");
  sub->add_option("--tls-key", cmd->tls_key, "TLS private key file (PEM)");
  sub->add_option("--max-body-bytes", cmd->max_body_bytes, "Largest accepted upload")
      ->capture_default_str();
  sub->add_option("--workers", cmd->workers, "Request handler threads")->capture_default_str();
  sub->add_option("--max-queued", cmd->max_queued,
                  "Requests that may wait for a handler; beyond, 503 with Retry-After")
      ->capture_default_str();
  sub->add_flag("--no-sync", cmd->no_sync,
                "Acknowledge uploads before they are synced to disk (faster, not crash-safe)");
  sub->add_option("--kubeconfig", cmd->collect.options.kube_config.kubeconfig,
                  "Also collect: discover annotated pods with this kubeconfig and store their "
                  "profiles here (the agent's flags below apply)");
  sub->add_flag("--collect", cmd->collect_enabled,
                "Also collect, with the default Kubernetes config ($KUBECONFIG, ~/.kube/config "
                "or in cluster)");
  sub->add_flag("--no-rollouts", cmd->no_rollouts,
                "When collecting from Kubernetes, do not track Deployment rollouts");
  sub->add_option("--events-api", cmd->events_api,
                  "Events the rollout tracker reads: events.k8s.io/v1 or v1")
      ->capture_default_str();
  sub->add_option("--resources-interval", cmd->resources_interval,
                  "When collecting, sample pod CPU/memory/network this often (kubelet "
                  "/stats/summary, or cgroups of --targets-file processes); 0 = off")
      ->capture_default_str();
  AddAgentFlags(sub, &cmd->collect, /*kubernetes_flags=*/false);
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli
