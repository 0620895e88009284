// KubeletSampler against the Kubernetes API simulator (tests/support/kubesim), whose pods
// are real processes: the Summary API's CPU and memory are theirs, and its network
// counters are the bytes that went through the pod proxy.
//
// The suite is named Kubesim* so that CTest gives it the `kubesim` fixture
// (tests/resources.cmake).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "integration/child_process.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "resources/sampler.h"
#include "support/kube_request.h"
#include "support/wait.h"
#include "unit/kube/temp_files.h"

namespace kprof::resources {
namespace {

using namespace std::chrono_literals;
using testing_support::KubesimDir;

template <typename F>
bool WaitUntil(F f, std::chrono::milliseconds limit = 30s) {
  return testing_support::WaitUntil(f, limit);
}

class KubesimResources : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string kubeconfig = dir_.File("kubeconfig");
    std::string addr = sim_.Start({KubesimDir() + "/kubesim", "-listen", "127.0.0.1:0", "-workload",
                                   KubesimDir() + "/workload", "-kubeconfig-out", kubeconfig},
                                  dir_.File("sim.log"), "LISTENING ");
    ASSERT_FALSE(addr.empty()) << "kubesim did not start: " << sim_.log();
    kube::ConfigOptions options;
    options.kubeconfig = kubeconfig;
    Result<kube::RestConfig> config = kube::LoadConfig(options);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto http = net::HttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    auto client = kube::Client::Create(*config, http_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
    auto store = OpenResourceStore(dir_.File("resources"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  void TearDown() override {
    client_.reset();
    sim_.Kill(SIGTERM);
  }

  net::Transfer Api(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return testing_support::KubeRequest(*client_, *http_, method, path, body);
  }

  kube::testing::TempDir dir_;
  kprof::testing::ChildProcess sim_;
  std::shared_ptr<net::HttpClient> http_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<ResourceStore> store_;
};

bool RunningAndReady(const kube::Pod& pod) {
  if (pod.phase != "Running") return false;
  for (const kube::Condition& c : pod.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

TEST_F(KubesimResources, BusyPodsOfADeploymentThroughTheNodeProxy) {
  // What the server wires: node, pod and ReplicaSet informers behind the callbacks.
  kube::Informer<kube::Node> nodes(*client_, kube::Resource::kNodes, {}, {});
  kube::Informer<kube::Pod> pods(*client_, kube::Resource::kPods, {}, {});
  kube::Informer<kube::ReplicaSet> replicasets(*client_, kube::Resource::kReplicaSets, {}, {});
  nodes.Start();
  pods.Start();
  replicasets.Start();
  ASSERT_TRUE(nodes.WaitForSync(20s));
  ASSERT_TRUE(pods.WaitForSync(20s));
  ASSERT_TRUE(replicasets.WaitForSync(20s));

  const std::string deployment = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"shop","labels":{"app":"shop"}},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"shop"}},
        "template":{"metadata":{"labels":{"app":"shop"}},
          "spec":{"containers":[{"name":"app","image":"kprof.test/shop:v1",
                                 "ports":[{"containerPort":6060}]}]}}}})";
  net::Transfer created = Api("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
  ASSERT_TRUE(created.ok() && created.response.status == 201) << created.response.body;
  std::vector<kube::Pod> shop;
  ASSERT_TRUE(WaitUntil([&] {
    shop.clear();
    for (const kube::Pod& p : pods.List()) {
      if (p.meta.namespace_ == "default" && RunningAndReady(p)) shop.push_back(p);
    }
    return shop.size() == 2 && replicasets.size() == 1;
  })) << shop.size()
      << " pods ready";

  KubeletSamplerOptions options;
  options.nodes = [&] {
    std::vector<std::string> names;
    for (const kube::Node& n : nodes.List()) names.push_back(n.meta.name);
    return names;
  };
  options.owners = [&](const std::string& ns, const std::string& name) {
    Owner owner;
    std::optional<kube::Pod> pod = pods.Get(ns, name);
    const kube::OwnerReference* rs = pod ? pod->meta.Controller() : nullptr;
    if (rs == nullptr || rs->kind != "ReplicaSet") return owner;
    owner.replicaset = rs->name;
    std::optional<kube::ReplicaSet> set = replicasets.Get(ns, rs->name);
    const kube::OwnerReference* d = set ? set->meta.Controller() : nullptr;
    if (d != nullptr && d->kind == "Deployment") owner.deployment = d->name;
    return owner;
  };
  metrics::Registry registry;
  KubeletSampler sampler(client_.get(), store_.get(), &registry, options);

  ASSERT_TRUE(sampler.SampleOnce().ok());
  auto first = std::chrono::steady_clock::now();
  // Traffic through the pod proxy: the request body is the pod's rx, the answer its tx.
  for (const kube::Pod& p : shop) {
    net::Transfer t =
        Api("POST", kube::Client::PodProxyPath("default", p.meta.name, 6060, "debug/pprof/"),
            std::string(4096, 'x'));
    ASSERT_TRUE(t.ok() && t.response.status == 200)
        << p.meta.name << ": " << t.status.ToString() << " " << t.response.status;
  }
  // Rates need time to pass: the Summary's times are whole seconds, so 1.2 s is the least
  // that is sure to move them (and leaves the busy workloads a second of CPU to show).
  std::this_thread::sleep_until(first + 1200ms);
  ASSERT_TRUE(sampler.SampleOnce().ok());

  ResourceQuery query;
  query.namespace_ = "default";
  query.deployment = "shop";
  Result<std::vector<Sample>> samples = store_->Query(query);
  ASSERT_TRUE(samples.ok()) << samples.status().ToString();
  std::map<std::string, const Sample*> latest_container, network;
  for (const Sample& s : *samples) {
    EXPECT_EQ(s.replicaset, shop[0].meta.Controller()->name) << s.pod;
    EXPECT_FALSE(s.node.empty());
    (s.container.empty() ? network : latest_container)[s.pod] = &s;  // ordered by time
  }
  ASSERT_EQ(latest_container.size(), 2u);
  for (const kube::Pod& p : shop) {
    const Sample* c = latest_container[p.meta.name];
    ASSERT_NE(c, nullptr) << p.meta.name;
    EXPECT_EQ(c->container, "app");
    EXPECT_EQ(c->node, p.node_name);
    EXPECT_GT(c->cpu_cores, 0.05) << p.meta.name;
    EXPECT_GT(c->memory_working_set_bytes, 1e6) << p.meta.name;
    const Sample* n = network[p.meta.name];
    ASSERT_NE(n, nullptr) << p.meta.name << ": no network rates";
    EXPECT_GT(n->rx_bytes_per_second, 0) << p.meta.name;
    EXPECT_GT(n->tx_bytes_per_second, 0) << p.meta.name;
  }
  EXPECT_THAT(registry.Render(),
              ::testing::HasSubstr("kprof_resources_scrapes_total{result=\"ok\"}"));
  nodes.Stop();
  pods.Stop();
  replicasets.Stop();
}

}  // namespace
}  // namespace kprof::resources
