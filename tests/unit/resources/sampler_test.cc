#include "resources/sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "unit/kube/temp_files.h"

namespace kprof::resources {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A kube::Client whose GET answers come from a table, path → body or error.
class FakeClient : public kube::Client {
 public:
  const kube::RestConfig& config() const override { return config_; }
  Result<std::string> GetRaw(std::string_view path, std::chrono::milliseconds) override {
    std::unique_lock lock(mu_);
    ++gets_;
    requested_.notify_all();
    auto it = answers_.find(std::string(path));
    if (it == answers_.end()) return NotFound("404: " + std::string(path));
    return it->second;
  }
  Result<net::ClientRequest> Authorize(net::ClientRequest request) override { return request; }
  void InvalidateCredentials() override {}
  std::shared_ptr<net::HttpClient> http() const override { return nullptr; }

  void Answer(const std::string& node, Result<std::string> body) {
    std::lock_guard lock(mu_);
    answers_.erase(NodeProxyPath(node, "stats/summary"));
    answers_.emplace(NodeProxyPath(node, "stats/summary"), std::move(body));
  }
  int gets() {
    std::lock_guard lock(mu_);
    return gets_;
  }
  // Waits until at least `n` requests have been made.
  bool WaitForGets(int n, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mu_);
    return requested_.wait_for(lock, limit, [&] { return gets_ >= n; });
  }

 private:
  kube::RestConfig config_;
  std::mutex mu_;
  std::condition_variable requested_;
  int gets_ = 0;
  std::map<std::string, Result<std::string>> answers_;
};

std::string Summary(const std::string& pod, int seconds, uint64_t cpu_nanos, uint64_t rx) {
  std::string t = "\"2024-05-01T10:00:" + std::string(seconds < 10 ? "0" : "") +
                  std::to_string(seconds) + "Z\"";
  return R"({"pods":[{"podRef":{"name":")" + pod + R"(","namespace":"prod","uid":")" + pod +
         R"(-uid"},"containers":[{"name":"app","cpu":{"time":)" + t +
         R"(,"usageNanoCores":100000000,"usageCoreNanoSeconds":)" + std::to_string(cpu_nanos) +
         R"(},"memory":{"workingSetBytes":2000000}}],"network":{"time":)" + t + R"(,"rxBytes":)" +
         std::to_string(rx) + R"(,"txBytes":0}}]})";
}

class KubeletSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenResourceStore(dir_.File("resources"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  KubeletSamplerOptions Options() {
    KubeletSamplerOptions o;
    o.nodes = [this] {
      std::lock_guard lock(mu_);
      return nodes_;
    };
    o.owners = [](const std::string& ns, const std::string& pod) {
      return Owner{"ignored", "shop", pod == "a" ? "shop-1" : "shop-2"};
    };
    o.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      log_.push_back(line);
    };
    return o;
  }
  std::vector<Sample> All() {
    auto r = store_->Query({});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<Sample>();
  }

  kube::testing::TempDir dir_;
  std::unique_ptr<ResourceStore> store_;
  FakeClient client_;
  metrics::Registry registry_;
  std::mutex mu_;
  std::vector<std::string> nodes_ = {"node-a", "node-b"};
  std::vector<std::string> log_;
};

TEST_F(KubeletSamplerTest, SamplesEveryNodeWithOwnersAndRates) {
  KubeletSampler sampler(&client_, store_.get(), &registry_, Options());
  client_.Answer("node-a", Summary("a", 0, 1000000000, 100));
  client_.Answer("node-b", Summary("b", 0, 5000000000, 0));
  ASSERT_TRUE(sampler.SampleOnce().ok());
  client_.Answer("node-a", Summary("a", 10, 6000000000, 1100));  // 0.5 cores, 100 B/s
  client_.Answer("node-b", Summary("b", 10, 5000000000, 0));
  ASSERT_TRUE(sampler.SampleOnce().ok());
  std::vector<Sample> all = All();
  // a: two container rows and one network row; b: two container rows, one network row.
  ASSERT_EQ(all.size(), 6u);
  const Sample& a_net = all[0];
  EXPECT_EQ(a_net.pod, "a");
  EXPECT_EQ(a_net.container, "");
  EXPECT_DOUBLE_EQ(a_net.rx_bytes_per_second, 100);
  EXPECT_DOUBLE_EQ(a_net.tx_bytes_per_second, 0);
  const Sample& a_first = all[1];
  EXPECT_EQ(a_first.node, "node-a");  // the scraped node, not the lookup's
  EXPECT_EQ(a_first.deployment, "shop");
  EXPECT_EQ(a_first.replicaset, "shop-1");
  EXPECT_DOUBLE_EQ(a_first.cpu_cores, 0.1);  // the kubelet's rate first
  EXPECT_DOUBLE_EQ(all[2].cpu_cores, 0.5);
  EXPECT_EQ(all[2].memory_working_set_bytes, 2000000);
  EXPECT_EQ(all[4].replicaset, "shop-2");
  EXPECT_DOUBLE_EQ(all[5].cpu_cores, 0);
  std::string metrics = registry_.Render();
  EXPECT_THAT(metrics, HasSubstr("kprof_resources_scrapes_total{result=\"ok\"} 4"));
  EXPECT_THAT(metrics, HasSubstr("kprof_resources_samples_total 6"));
}

TEST_F(KubeletSamplerTest, AFailingNodeIsLoggedOncePerStateChangeAndOthersGoOn) {
  KubeletSampler sampler(&client_, store_.get(), &registry_, Options());
  client_.Answer("node-a", Summary("a", 0, 1, 1));
  client_.Answer("node-b", Unavailable("503 Service Unavailable: kubelet down"));
  for (int i = 0; i < 3; ++i) {
    Status st = sampler.SampleOnce();
    EXPECT_EQ(st.code(), StatusCode::kUnavailable);
    EXPECT_THAT(st.message(), HasSubstr("1 of 2 nodes failed: node-b: 503"));
  }
  client_.Answer("node-b",
                 std::string(R"({"pods":[{"podRef":5}]})"));  // still failing, differently
  EXPECT_FALSE(sampler.SampleOnce().ok());
  client_.Answer("node-b", Summary("b", 0, 1, 1));
  EXPECT_TRUE(sampler.SampleOnce().ok());
  EXPECT_TRUE(sampler.SampleOnce().ok());
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(log_.size(), 2u);
    EXPECT_THAT(log_[0], HasSubstr("node node-b: stats/summary failed"));
    EXPECT_THAT(log_[0], HasSubstr("kubelet down"));
    EXPECT_THAT(log_[1], HasSubstr("node node-b: stats/summary works again"));
  }
  EXPECT_EQ(All().size(), 6u + 2u);  // a in all six rounds, b in the last two
  std::string metrics = registry_.Render();
  EXPECT_THAT(metrics, HasSubstr("kprof_resources_scrapes_total{result=\"error\"} 4"));
  EXPECT_THAT(metrics, HasSubstr("kprof_resources_scrapes_total{result=\"ok\"} 8"));
}

TEST_F(KubeletSamplerTest, NoOwnerLookupLeavesOwnersEmpty) {
  KubeletSamplerOptions o = Options();
  o.owners = nullptr;
  nodes_ = {"node-a"};
  KubeletSampler sampler(&client_, store_.get(), nullptr, o);
  client_.Answer("node-a", Summary("a", 0, 1, 1));
  ASSERT_TRUE(sampler.SampleOnce().ok());
  std::vector<Sample> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].node, "node-a");
  EXPECT_EQ(all[0].deployment, "");
  EXPECT_EQ(all[0].replicaset, "");
}

TEST_F(KubeletSamplerTest, RunsEveryIntervalAndStopsPromptly) {
  KubeletSamplerOptions o = Options();
  o.interval = 50ms;
  KubeletSampler sampler(&client_, store_.get(), nullptr, o);
  client_.Answer("node-a", Summary("a", 0, 1, 1));
  client_.Answer("node-b", Summary("b", 0, 1, 1));
  sampler.Start();
  ASSERT_TRUE(client_.WaitForGets(6));  // three rounds of two nodes
  auto start = std::chrono::steady_clock::now();
  sampler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);

  // A long interval does not hold Stop() up either.
  o.interval = 1h;
  KubeletSampler slow(&client_, store_.get(), nullptr, o);
  int before = client_.gets();
  slow.Start();
  ASSERT_TRUE(client_.WaitForGets(before + 2));  // its first round runs at once
  start = std::chrono::steady_clock::now();
  slow.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(CgroupSampler, MeasuresThisProcessByPidAndByListeningPort) {
  kube::testing::TempDir dir;
  auto store = OpenResourceStore(dir.File("resources"));
  ASSERT_TRUE(store.ok());
  CgroupSamplerOptions o;
  o.targets = {{"self", getpid(), "", 0}, {"gone", 0, "127.0.0.1", 1}};
  std::vector<std::string> log;
  o.log = [&](const std::string& line) { log.push_back(line); };
  metrics::Registry registry;
  CgroupSampler sampler(store->get(), &registry, o);
  Status first = sampler.SampleOnce();
  EXPECT_THAT(first.message(), HasSubstr("1 of 2 targets failed: gone: no process listens"));
  // Keep a core busy between the two rounds so the CPU rate is well above zero.
  auto until = std::chrono::steady_clock::now() + 300ms;
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  EXPECT_FALSE(sampler.SampleOnce().ok());
  EXPECT_EQ(log.size(), 1u);

  auto rows = (*store)->Query({});
  ASSERT_TRUE(rows.ok());
  std::vector<Sample> containers, network;
  for (const Sample& s : *rows) (s.container.empty() ? network : containers).push_back(s);
  ASSERT_EQ(containers.size(), 2u);
  for (const Sample& s : containers) {
    EXPECT_EQ(s.namespace_, "local");
    EXPECT_EQ(s.pod, "self");
    EXPECT_FALSE(s.container.empty());
    EXPECT_GT(s.memory_working_set_bytes, 1 << 20);
    EXPECT_LT(s.memory_working_set_bytes, 1e13);
  }
  EXPECT_EQ(containers[0].cpu_cores, -1);  // no rate from one reading
  EXPECT_GT(containers[1].cpu_cores, 0.2);
  ASSERT_EQ(network.size(), 1u);
  EXPECT_GE(network[0].rx_bytes_per_second, 0);
  EXPECT_GE(network[0].tx_bytes_per_second, 0);
  EXPECT_THAT(registry.Render(), HasSubstr("kprof_resources_scrapes_total{result=\"error\"} 2"));
}

}  // namespace
}  // namespace kprof::resources
