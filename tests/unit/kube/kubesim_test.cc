// The client and informers against the Kubernetes API simulator (tests/support/kubesim):
// paging, selectors, the pod proxy, and informers that must end up with exactly the
// server's objects — each reported once — while watches are dropped, history expires and
// the server restarts.
//
// Every test starts its own simulator. Test suites are named Kubesim* so that CTest can
// give them the `kubesim` fixture (tests/kube.cmake).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "integration/child_process.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "support/kube_request.h"
#include "support/wait.h"
#include "unit/kube/temp_files.h"

namespace kprof::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_support::KubesimDir;

template <typename F>
bool WaitUntil(F f, std::chrono::milliseconds limit = 20s) {
  return testing_support::WaitUntil(f, limit);
}

// What an object is, for comparing views of the cluster: key → uid and version.
using Snapshot = std::map<std::string, std::pair<std::string, std::string>>;

template <typename T>
Snapshot SnapshotOf(const std::vector<T>& objects) {
  Snapshot out;
  for (const T& o : objects) {
    out[o.meta.namespace_ + "/" + o.meta.name] = {o.meta.uid, o.meta.resource_version};
  }
  return out;
}

// The cluster as handler calls describe it, and every call that contradicts what came
// before (a second add, an update or delete of something never added, an update whose
// "before" is not the last state reported).
template <typename T>
class HandlerView {
 public:
  InformerHandlers<T> Handlers() {
    return {[this](const T& o) { Add(o); },
            [this](const T& before, const T& after) { Update(before, after); },
            [this](const T& o) { Delete(o); }};
  }
  Snapshot snapshot() {
    std::lock_guard lock(mu_);
    return objects_;
  }
  std::vector<std::string> violations() {
    std::lock_guard lock(mu_);
    return violations_;
  }
  std::size_t calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  static std::string Key(const T& o) { return o.meta.namespace_ + "/" + o.meta.name; }
  void Add(const T& o) {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!objects_.emplace(Key(o), std::pair(o.meta.uid, o.meta.resource_version)).second) {
      violations_.push_back("add of a known object " + Key(o));
    }
  }
  void Update(const T& before, const T& after) {
    std::lock_guard lock(mu_);
    ++calls_;
    auto it = objects_.find(Key(after));
    if (it == objects_.end()) {
      violations_.push_back("update of an unknown object " + Key(after));
    } else if (it->second != std::pair(before.meta.uid, before.meta.resource_version)) {
      violations_.push_back("update whose before is not the last state " + Key(after));
    }
    if (before.meta.uid != after.meta.uid)
      violations_.push_back("update across uids " + Key(after));
    objects_[Key(after)] = {after.meta.uid, after.meta.resource_version};
  }
  void Delete(const T& o) {
    std::lock_guard lock(mu_);
    ++calls_;
    auto it = objects_.find(Key(o));
    if (it == objects_.end() || it->second.first != o.meta.uid) {
      violations_.push_back("delete of an unknown object " + Key(o));
    }
    if (it != objects_.end()) objects_.erase(it);
  }

  std::mutex mu_;
  Snapshot objects_;
  std::vector<std::string> violations_;
  std::size_t calls_ = 0;
};

class Kubesim : public ::testing::Test {
 protected:
  void SetUp() override { StartSim({}); }

  void StartSim(std::vector<std::string> extra) {
    kubeconfig_ = dir_.File("kubeconfig");
    std::vector<std::string> argv = {
        KubesimDir() + "/kubesim",  "-listen",         "127.0.0.1:0", "-workload",
        KubesimDir() + "/workload", "-kubeconfig-out", kubeconfig_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string addr = sim_.Start(argv, dir_.File("sim.log"), "LISTENING ");
    ASSERT_FALSE(addr.empty()) << "kubesim did not start: " << sim_.log();
    sim_url_ = "http://" + addr;
    ConfigOptions options;
    options.kubeconfig = kubeconfig_;
    Result<RestConfig> config = LoadConfig(options);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto http = net::HttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    Result<std::unique_ptr<Client>> client = Client::Create(*config, http_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  void TearDown() override {
    client_.reset();
    sim_.Kill(SIGTERM);
  }

  // POST to a /sim endpoint; the answer's body.
  std::string Sim(const std::string& path, const std::string& body = "") {
    net::ClientRequest request;
    request.method = "POST";
    request.url = sim_url_ + path;
    request.body = body;
    request.headers.emplace_back("Content-Type", "application/json");
    request.timeout = 60s;
    net::Transfer t = http_->Do(std::move(request));
    EXPECT_TRUE(t.ok() && t.response.status == 200)
        << path << ": " << t.status.ToString() << " " << t.response.body;
    return t.response.body;
  }

  void Seed(const std::string& ns, int count, const std::string& prefix = "p", int start = 0,
            const std::string& labels_json = "{}") {
    Sim("/sim/seed", R"({"namespace":")" + ns + R"(","count":)" + std::to_string(count) +
                         R"(,"name_prefix":")" + prefix + R"(","start":)" + std::to_string(start) +
                         R"(,"labels":)" + labels_json + "}");
  }

  // An API request with the client's credentials.
  net::Transfer Api(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return testing_support::KubeRequest(*client_, *http_, method, path, body);
  }

  void CreatePod(const std::string& ns, const std::string& name,
                 const std::string& image = "kprof.test/virtual/app:v1",
                 const std::string& labels_json = R"({"app":"test"})", int port = 6060) {
    std::string pod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                      R"(","labels":)" + labels_json +
                      R"(},"spec":{"containers":[{"name":"app","image":")" + image +
                      R"(","args":["-busy","0"],"ports":[{"name":"pprof","containerPort":)" +
                      std::to_string(port) + "}]}]}}";
    net::Transfer t = Api("POST", "/api/v1/namespaces/" + ns + "/pods", pod);
    EXPECT_TRUE(t.ok() && t.response.status == 201) << name << ": " << t.status.ToString() << " "
                                                    << t.response.status << " " << t.response.body;
  }

  void DeletePod(const std::string& ns, const std::string& name) {
    net::Transfer t =
        Api("DELETE", "/api/v1/namespaces/" + ns + "/pods/" + name + "?gracePeriodSeconds=0");
    EXPECT_TRUE(t.ok() && t.response.status == 200)
        << name << ": " << t.status.ToString() << " " << t.response.body;
  }

  Snapshot FreshPods(const ListOptions& options = {}) {
    Result<ListPage<Pod>> all = ListAll<Pod>(*client_, Resource::kPods, options);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? SnapshotOf(all->items) : Snapshot();
  }

  // Waits until the informer's cache, the handlers' view and a fresh list agree, and
  // checks that no handler call contradicted an earlier one.
  void ExpectConverged(Informer<Pod>& informer, HandlerView<Pod>& view,
                       const ListOptions& options = {}) {
    Snapshot fresh;
    bool agreed = WaitUntil([&] {
      fresh = FreshPods(options);
      return SnapshotOf(informer.List()) == fresh && view.snapshot() == fresh;
    });
    EXPECT_TRUE(agreed) << "informer " << informer.size() << " objects, handlers "
                        << view.snapshot().size() << ", server " << fresh.size();
    EXPECT_THAT(view.violations(), IsEmpty());
  }

  testing::TempDir dir_;
  std::string kubeconfig_;
  kprof::testing::ChildProcess sim_;
  std::string sim_url_;
  std::shared_ptr<net::HttpClient> http_;
  std::unique_ptr<Client> client_;
};

using KubesimInformer = Kubesim;
using KubesimClient = Kubesim;

TEST_F(KubesimInformer, SyncsAndFollowsCreatesAndDeletes) {
  Seed("bench", 400);
  HandlerView<Pod> view;
  Informer<Pod> informer(*client_, Resource::kPods, {}, view.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  EXPECT_EQ(informer.size(), 400u);
  EXPECT_EQ(view.snapshot().size(), 400u);  // handlers saw the list before the sync
  for (int i = 0; i < 10; ++i) CreatePod("default", "new-" + std::to_string(i));
  for (int i = 0; i < 10; ++i) DeletePod("bench", "p-0000" + std::to_string(i));
  ExpectConverged(informer, view);
  EXPECT_EQ(informer.size(), 400u);
  std::optional<Pod> pod = informer.Get("default", "new-3");
  ASSERT_TRUE(pod.has_value());
  EXPECT_EQ(pod->containers.at(0).image, "kprof.test/virtual/app:v1");
  EXPECT_FALSE(informer.Get("bench", "p-00003").has_value());
  EXPECT_EQ(informer.stats().lists, 1u);
}

TEST_F(KubesimInformer, ResumesAfterDroppedWatchesWithoutRelisting) {
  Seed("bench", 100);
  HandlerView<Pod> view;
  Informer<Pod> informer(*client_, Resource::kPods, {}, view.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 4; ++i)
      CreatePod("default", "r" + std::to_string(round) + "-" + std::to_string(i));
    DeletePod("bench", "p-0000" + std::to_string(round));
    // Drop the watch only once it is live (it delivered this round's last pod), and go on
    // once the informer has started the next one: a drop between watches drops nothing.
    const std::string last = "r" + std::to_string(round) + "-3";
    ASSERT_TRUE(WaitUntil([&] { return informer.Get("default", last).has_value(); }));
    const std::uint64_t watches = informer.stats().watches;
    Sim("/sim/faults/drop-watches");
    ASSERT_TRUE(WaitUntil([&] { return informer.stats().watches > watches; }));
  }
  ExpectConverged(informer, view);
  InformerStats stats = informer.stats();
  EXPECT_GE(stats.watches, 6u);
  EXPECT_EQ(stats.lists, 1u) << "a dropped watch resumes from its version";
  EXPECT_EQ(stats.expired, 0u);
}

TEST_F(KubesimInformer, RelistsAfterExpiryAndReportsOnlyDifferences) {
  Seed("bench", 200);
  HandlerView<Pod> view;
  Informer<Pod> informer(*client_, Resource::kPods, {}, view.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  ExpectConverged(informer, view);
  std::size_t calls_before = view.calls();
  // Changes right before and after the history is forgotten: some reach the informer by
  // the watch, the rest only through the relist.
  std::thread churn([&] {
    for (int i = 0; i < 20; ++i) {
      CreatePod("default", "c-" + std::to_string(i));
      DeletePod("bench", "p-" + std::string(i < 10 ? "0000" : "000") + std::to_string(i));
    }
  });
  std::this_thread::sleep_for(100ms);
  Sim("/sim/faults/expire");
  churn.join();
  Sim("/sim/faults/expire");
  // Open watches hear of the expiry at once (an ERROR 410 event) and relist.
  EXPECT_TRUE(WaitUntil([&] { return informer.stats().lists >= 2; }));
  ExpectConverged(informer, view);
  EXPECT_GE(informer.stats().expired, 1u);
  // 20 adds and 20 deletes, plus the virtual pods' status updates (scheduled, started,
  // ready); not a second add of the 180 pods that stayed.
  EXPECT_LT(view.calls() - calls_before, 200u);
}

TEST_F(KubesimInformer, RelistsAfterARestartThatLosesHistory) {
  Seed("bench", 200);
  HandlerView<Pod> view;
  Informer<Pod> informer(*client_, Resource::kPods, {}, view.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  ExpectConverged(informer, view);
  for (int i = 0; i < 5; ++i) DeletePod("bench", "p-0000" + std::to_string(i));
  Sim("/sim/faults/restart?ms=1500");
  // While the API is down (connections refused, history gone), pods still change, and the
  // history is forgotten once more, so the version the informer resumes from is gone.
  Seed("bench", 50, "late");
  Sim("/sim/faults/expire");
  std::this_thread::sleep_for(2s);
  CreatePod("default", "after-restart");
  EXPECT_TRUE(WaitUntil([&] { return informer.stats().lists >= 2; }));
  ExpectConverged(informer, view);
  InformerStats stats = informer.stats();
  EXPECT_GE(stats.errors + stats.expired, 1u);
  EXPECT_EQ(informer.size(), 200u - 5u + 50u + 1u);
}

TEST_F(KubesimInformer, LabelSelectedInformerSeesOnlyMatchingPods) {
  ListOptions options;
  options.label_selector = "tier in (web,api),app!=legacy";
  HandlerView<Pod> view;
  Informer<Pod> informer(*client_, Resource::kPods, options, view.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  CreatePod("default", "web-1", "kprof.test/virtual/app:v1", R"({"tier":"web","app":"shop"})");
  CreatePod("default", "api-1", "kprof.test/virtual/app:v1", R"({"tier":"api"})");
  CreatePod("default", "db-1", "kprof.test/virtual/app:v1", R"({"tier":"db"})");
  CreatePod("default", "old-1", "kprof.test/virtual/app:v1", R"({"tier":"web","app":"legacy"})");
  ExpectConverged(informer, view, options);
  std::set<std::string> names;
  for (const Pod& p : informer.List()) names.insert(p.meta.name);
  EXPECT_EQ(names, (std::set<std::string>{"web-1", "api-1"}));
}

TEST_F(KubesimInformer, EventsFromBothApisDescribeAPodsStart) {
  HandlerView<Event> core_view, v1_view;
  ListOptions ns;
  ns.namespace_ = "default";
  Informer<Event> core(*client_, Resource::kEvents, ns, core_view.Handlers());
  Informer<Event> v1(*client_, Resource::kEventsV1, ns, v1_view.Handlers());
  core.Start();
  v1.Start();
  ASSERT_TRUE(core.WaitForSync(20s));
  ASSERT_TRUE(v1.WaitForSync(20s));
  CreatePod("default", "ev-1");
  auto pulled = [](const std::vector<Event>& events, std::string_view api) {
    for (const Event& e : events) {
      if (e.regarding_name == "ev-1" && e.reason == "Started" && e.api == api &&
          e.regarding_kind == "Pod" && !e.reporting_controller.empty() && e.Time() > 0) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(WaitUntil([&] { return pulled(core.List(), "v1"); }));
  EXPECT_TRUE(WaitUntil([&] { return pulled(v1.List(), "events.k8s.io/v1"); }));
  EXPECT_THAT(core_view.violations(), IsEmpty());
  EXPECT_THAT(v1_view.violations(), IsEmpty());
}

TEST_F(KubesimInformer, DeploymentsAndReplicaSetsOfARollout) {
  Informer<Deployment> deployments(*client_, Resource::kDeployments, {}, {});
  Informer<ReplicaSet> replicasets(*client_, Resource::kReplicaSets, {}, {});
  deployments.Start();
  replicasets.Start();
  ASSERT_TRUE(deployments.WaitForSync(20s));
  ASSERT_TRUE(replicasets.WaitForSync(20s));
  std::string deployment = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"shop","labels":{"app":"shop"}},
      "spec":{"replicas":3,"selector":{"matchLabels":{"app":"shop"}},
        "template":{"metadata":{"labels":{"app":"shop"}},
          "spec":{"containers":[{"name":"app","image":"kprof.test/virtual/shop:v1"}]}}}})";
  net::Transfer t = Api("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
  ASSERT_TRUE(t.ok() && t.response.status == 201) << t.response.body;
  ASSERT_TRUE(WaitUntil([&] {
    std::optional<Deployment> d = deployments.Get("default", "shop");
    return d && d->available_replicas == 3 && d->observed_generation == d->meta.generation;
  }));
  std::optional<Deployment> d = deployments.Get("default", "shop");
  EXPECT_EQ(d->spec_replicas, 3);
  EXPECT_EQ(d->updated_replicas, 3);
  EXPECT_EQ(d->max_surge, "25%");
  EXPECT_EQ(*FindPair(d->selector, "app"), "shop");
  std::vector<ReplicaSet> sets = replicasets.List();
  ASSERT_EQ(sets.size(), 1u);
  ASSERT_NE(sets[0].meta.Controller(), nullptr);
  EXPECT_EQ(sets[0].meta.Controller()->name, "shop");
  EXPECT_EQ(sets[0].meta.Controller()->uid, d->meta.uid);
  EXPECT_NE(FindPair(sets[0].meta.annotations, "deployment.kubernetes.io/revision"), nullptr);
}

TEST_F(KubesimClient, PagingReturnsEveryPodOnce) {
  Seed("bench", 1234);
  for (int limit : {0, 1, 100, 500, 5000}) {
    ListOptions options;
    options.limit = limit;
    Result<ListPage<Pod>> all = ListAll<Pod>(*client_, Resource::kPods, options);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    std::set<std::string> names;
    for (const Pod& p : all->items) names.insert(p.meta.name);
    EXPECT_EQ(all->items.size(), 1234u) << "limit " << limit;
    EXPECT_EQ(names.size(), 1234u) << "limit " << limit;
    EXPECT_FALSE(all->resource_version.empty());
  }
}

TEST_F(KubesimClient, AListWhoseContinueTokenExpiresStartsOver) {
  Seed("bench", 1000);
  Sim("/sim/faults/slow?ms=150");
  ListOptions options;
  options.limit = 100;
  Result<ListPage<Pod>> all = Status(StatusCode::kInternal, "not run");
  std::thread list([&] { all = ListAll<Pod>(*client_, Resource::kPods, options); });
  std::this_thread::sleep_for(500ms);  // a few pages in
  Sim("/sim/faults/expire");
  list.join();
  Sim("/sim/faults/slow?ms=0");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::set<std::string> names;
  for (const Pod& p : all->items) names.insert(p.meta.name);
  EXPECT_EQ(all->items.size(), 1000u);
  EXPECT_EQ(names.size(), 1000u);
}

TEST_F(KubesimClient, FieldSelectorsFilterLists) {
  Seed("one", 30, "a");
  Seed("two", 20, "b");
  ListOptions options;
  options.field_selector = "metadata.namespace=two";
  EXPECT_EQ(FreshPods(options).size(), 20u);
  options.field_selector = "spec.nodeName=node-a,status.phase=Running";
  Snapshot on_a = FreshPods(options);
  EXPECT_EQ(on_a.size(), 25u);  // seeded pods alternate between the two nodes
  options = {};
  options.namespace_ = "one";
  options.field_selector = "metadata.name=a-00007";
  Snapshot one = FreshPods(options);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.begin()->first, "one/a-00007");
}

TEST_F(KubesimClient, ProxyFetchesAPodsHeapProfile) {
  // Simulators running side by side hand out the same pod IPs, so a port of our own.
  const int port = 20000 + getpid() % 20000;
  CreatePod("default", "workload-1", "kprof.test/workload:v1", R"({"app":"w"})", port);
  ASSERT_TRUE(WaitUntil(
      [&] {
        Result<std::string> raw = client_->GetRaw("/api/v1/namespaces/default/pods/workload-1", 5s);
        if (!raw.ok()) return false;
        Result<Pod> pod = ParseObject<Pod>(*raw);
        if (!pod.ok()) return false;
        for (const Condition& c : pod->conditions) {
          if (c.type == "Ready" && c.status == "True") return true;
        }
        return false;
      },
      30s))
      << sim_.log();
  Result<std::string> heap = client_->GetRaw(
      Client::PodProxyPath("default", "workload-1", port, "/debug/pprof/heap"), 10s);
  ASSERT_TRUE(heap.ok()) << heap.status().ToString();
  ASSERT_GT(heap->size(), 100u);
  EXPECT_EQ(static_cast<unsigned char>((*heap)[0]), 0x1f);  // gzip
  EXPECT_EQ(static_cast<unsigned char>((*heap)[1]), 0x8b);

  Result<std::string> missing =
      client_->GetRaw(Client::PodProxyPath("default", "nope", 6060, "debug/pprof/heap"), 10s);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

TEST_F(KubesimClient, NotFoundAndBadRequestsAreStatuses) {
  Result<std::string> r = client_->GetRaw("/api/v1/namespaces/default/pods/absent", 5s);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("pods \"absent\" not found"));
  ListOptions bad;
  bad.label_selector = "tier in (";
  Result<ListPage<Pod>> list = ListAll<Pod>(*client_, Resource::kPods, bad);
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument) << list.status().ToString();
}

class KubesimAuth : public Kubesim {
 protected:
  void SetUp() override { StartSim({"-token", "s3cret"}); }
};

TEST_F(KubesimAuth, SendsTheKubeconfigsTokenAndReportsA401) {
  EXPECT_TRUE(client_->GetRaw("/api/v1/namespaces", 5s).ok());
  RestConfig wrong = client_->config();
  wrong.token = "wrong";
  auto client = Client::Create(wrong, http_);
  ASSERT_TRUE(client.ok());
  Result<std::string> r = (*client)->GetRaw("/api/v1/namespaces", 5s);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("401 Unauthorized"));
}

class KubesimTls : public Kubesim {
 protected:
  void SetUp() override { StartSim({"-tls-generate", dir_.File("certs")}); }
};

TEST_F(KubesimTls, VerifiesTheServerAndAuthenticatesWithTheClientCertificate) {
  ASSERT_EQ(client_->config().server.rfind("https://", 0), 0u) << client_->config().server;
  Result<ListPage<Namespace>> namespaces = ListAll<Namespace>(*client_, Resource::kNamespaces, {});
  ASSERT_TRUE(namespaces.ok()) << namespaces.status().ToString();
  EXPECT_GE(namespaces->items.size(), 4u);

  // A watch stream over TLS.
  Informer<Namespace> informer(*client_, Resource::kNamespaces, {}, {});
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(20s));
  net::Transfer t = Api("POST", "/api/v1/namespaces",
                        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tls-ns"}})");
  ASSERT_TRUE(t.ok() && t.response.status == 201) << t.status.ToString() << t.response.body;
  EXPECT_TRUE(WaitUntil([&] { return informer.Get("", "tls-ns").has_value(); }));
  EXPECT_EQ(informer.Get("", "tls-ns")->phase, "Active");

  // Without the client certificate the server does not know us.
  RestConfig anonymous = client_->config();
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  anonymous.client_cert_file.clear();
  anonymous.client_key_file.clear();
  auto client = Client::Create(anonymous, http_);
  ASSERT_TRUE(client.ok());
  EXPECT_THAT((*client)->GetRaw("/api/v1/namespaces", 5s).status().message(),
              HasSubstr("401 Unauthorized"));

  // Nor do we know the server without its CA.
  RestConfig unverified = client_->config();
  unverified.ca_pem.clear();
  unverified.ca_file.clear();
  client = Client::Create(unverified, http_);
  ASSERT_TRUE(client.ok());
  Status s = (*client)->GetRaw("/api/v1/namespaces", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  unverified.insecure_skip_tls_verify = true;
  client = Client::Create(unverified, http_);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->GetRaw("/api/v1/namespaces", 5s).ok());
}

}  // namespace
}  // namespace kprof::kube
