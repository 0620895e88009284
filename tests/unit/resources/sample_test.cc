#include "resources/sample.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace kprof::resources {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSecond = 1000000000;

// The shape a v1.32 kubelet answers with (trimmed: fs, volumes and the node's
// systemContainers cut short), two pods, one with two containers.
constexpr char kSummary[] = R"({
  "node": {"nodeName": "node-a", "startTime": "2024-05-01T09:00:00Z",
    "cpu": {"time": "2024-05-01T10:00:00Z", "usageNanoCores": 250000000,
            "usageCoreNanoSeconds": 9000000000000},
    "memory": {"time": "2024-05-01T10:00:00Z", "availableBytes": 1000, "usageBytes": 2000},
    "systemContainers": [{"name": "kubelet", "cpu": {"usageNanoCores": 1}}]},
  "pods": [
    {"podRef": {"name": "shop-7d9f-abcde", "namespace": "prod", "uid": "uid-1"},
     "startTime": "2024-05-01T09:30:00Z",
     "containers": [
       {"name": "app", "startTime": "2024-05-01T09:30:01Z",
        "cpu": {"time": "2024-05-01T10:00:00Z", "usageNanoCores": 120000000,
                "usageCoreNanoSeconds": 216000000000},
        "memory": {"time": "2024-05-01T10:00:00Z", "availableBytes": 100, "usageBytes": 73400320,
                   "workingSetBytes": 52428800, "rssBytes": 41943040, "pageFaults": 10,
                   "majorPageFaults": 0},
        "rootfs": {"usedBytes": 24576}, "logs": {"usedBytes": 8192}},
       {"name": "sidecar",
        "cpu": {"time": "2024-05-01T10:00:00Z", "usageNanoCores": 5000000,
                "usageCoreNanoSeconds": 9000000000},
        "memory": {"time": "2024-05-01T10:00:00Z", "workingSetBytes": 10485760}}],
     "cpu": {"time": "2024-05-01T10:00:00Z", "usageNanoCores": 125000000},
     "network": {"time": "2024-05-01T10:00:00Z", "name": "eth0", "rxBytes": 1000, "rxErrors": 0,
                 "txBytes": 5000, "txErrors": 0,
                 "interfaces": [{"name": "eth0", "rxBytes": 1000, "txBytes": 5000}]},
     "volume": [], "ephemeral-storage": {"usedBytes": 40960}},
    {"podRef": {"name": "db-0", "namespace": "prod", "uid": "uid-2"},
     "containers": [{"name": "db", "memory": {"workingSetBytes": 1}}],
     "network": {"time": "2024-05-01T10:00:00Z",
                 "interfaces": [{"name": "eth0", "rxBytes": 10, "txBytes": 20},
                                {"name": "eth1", "rxBytes": 5, "txBytes": 7}]}}
  ]
})";

TEST(ParseStatsSummary, ReadsPodsContainersAndNetwork) {
  Result<std::vector<SummaryPod>> pods = ParseStatsSummary(kSummary);
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  ASSERT_EQ(pods->size(), 2u);
  const SummaryPod& shop = (*pods)[0];
  EXPECT_EQ(shop.name, "shop-7d9f-abcde");
  EXPECT_EQ(shop.namespace_, "prod");
  EXPECT_EQ(shop.uid, "uid-1");
  ASSERT_EQ(shop.containers.size(), 2u);
  const SummaryContainer& app = shop.containers[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.cpu_time_nanos, 1714557600 * kSecond);
  EXPECT_EQ(app.usage_nano_cores, 120000000u);
  EXPECT_EQ(app.usage_core_nano_seconds, 216000000000u);
  EXPECT_EQ(app.working_set_bytes, 52428800u);
  EXPECT_EQ(app.usage_bytes, 73400320u);
  EXPECT_EQ(app.rss_bytes, 41943040u);
  EXPECT_FALSE(shop.containers[1].rss_bytes.has_value());
  EXPECT_EQ(shop.rx_bytes, 1000u);
  EXPECT_EQ(shop.tx_bytes, 5000u);
  EXPECT_EQ(shop.network_time_nanos, 1714557600 * kSecond);
  // Without top-level counters, the interfaces' sums.
  const SummaryPod& db = (*pods)[1];
  EXPECT_EQ(db.rx_bytes, 15u);
  EXPECT_EQ(db.tx_bytes, 27u);
  EXPECT_FALSE(db.containers[0].usage_nano_cores.has_value());
  EXPECT_EQ(db.containers[0].cpu_time_nanos, 0);
}

TEST(ParseStatsSummary, MissingFieldsAndNullsAreNotMeasured) {
  for (const char* json : {R"({})", R"({"pods":null})", R"({"pods":[]})", R"({"node":{}})"}) {
    Result<std::vector<SummaryPod>> pods = ParseStatsSummary(json);
    ASSERT_TRUE(pods.ok()) << json << ": " << pods.status().ToString();
    EXPECT_TRUE(pods->empty()) << json;
  }
  Result<std::vector<SummaryPod>> pods = ParseStatsSummary(
      R"({"pods":[{"podRef":{"name":"a","namespace":"n"},"containers":[{"name":"c","cpu":null,
          "memory":{"workingSetBytes":null,"time":""}}],"network":{}}]})");
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  ASSERT_EQ(pods->size(), 1u);
  const SummaryContainer& c = (*pods)[0].containers.at(0);
  EXPECT_FALSE(c.usage_nano_cores || c.usage_core_nano_seconds || c.working_set_bytes);
  EXPECT_FALSE((*pods)[0].rx_bytes.has_value());
  EXPECT_TRUE((*pods)[0].uid.empty());
}

TEST(ParseStatsSummary, WrongTypesNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"({"pods":{}})", "pods: expected an array"},
      {R"({"pods":[7]})", "pods[0]: expected an object"},
      {R"({"pods":[{"podRef":{"name":5}}]})", "pods[0].podRef.name: expected a string"},
      {R"({"pods":[{},{"containers":[{},{"cpu":{"usageNanoCores":"1"}}]}]})",
       "pods[1].containers[1].cpu.usageNanoCores: expected a number"},
      {R"({"pods":[{"containers":[{"memory":{"workingSetBytes":-1}}]}]})",
       "pods[0].containers[0].memory.workingSetBytes: negative count"},
      {R"({"pods":[{"containers":[{"cpu":{"time":"yesterday"}}]}]})",
       "pods[0].containers[0].cpu.time"},
      {R"({"pods":[{"network":{"interfaces":[{"rxBytes":true}]}}]})",
       "pods[0].network.interfaces[0].rxBytes: expected a number"},
      {R"({"pods":[{"network":[]}]})", "pods[0].network: expected an object"},
  };
  for (const Case& c : cases) {
    Result<std::vector<SummaryPod>> pods = ParseStatsSummary(c.json);
    ASSERT_FALSE(pods.ok()) << c.json;
    EXPECT_EQ(pods.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(pods.status().message(), HasSubstr(c.field)) << c.json;
  }
}

TEST(ParseStatsSummary, RejectsGarbage) {
  for (std::string json :
       {std::string(""), std::string("[]"), std::string("\"pods\""), std::string("{\"pods\":[{"),
        std::string("\xff\xfe{}"), std::string("{\"pods\":[]} trailing"), std::string(1000, '[')}) {
    Result<std::vector<SummaryPod>> pods = ParseStatsSummary(json);
    ASSERT_FALSE(pods.ok()) << json;
    EXPECT_EQ(pods.status().code(), StatusCode::kInvalidArgument) << json;
  }
  std::string huge(kMaxStatsSummaryBytes + 1, ' ');
  EXPECT_EQ(ParseStatsSummary(huge).status().code(), StatusCode::kResourceExhausted);
}

TEST(ParseStatsSummary, HugeNumbers) {
  auto first = [](const std::string& memory) {
    return ParseStatsSummary(R"({"pods":[{"containers":[{"memory":{"workingSetBytes":)" + memory +
                             "}}]}]}");
  };
  Result<std::vector<SummaryPod>> max = first("18446744073709551615");
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_EQ((*max)[0].containers[0].working_set_bytes, UINT64_MAX);
  Result<std::vector<SummaryPod>> fraction = first("1.5e3");
  ASSERT_TRUE(fraction.ok());
  EXPECT_EQ((*fraction)[0].containers[0].working_set_bytes, 1500u);
  for (const char* bad : {"18446744073709551616", "1e20", "99999999999999999999999", "1e400"}) {
    Result<std::vector<SummaryPod>> r = first(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // Interface sums that overflow.
  Result<std::vector<SummaryPod>> sum = ParseStatsSummary(
      R"({"pods":[{"network":{"interfaces":[{"rxBytes":18446744073709551615},{"rxBytes":1}]}}]})");
  EXPECT_EQ(sum.status().code(), StatusCode::kInvalidArgument);
}

// A Summary of one pod "p" in "ns" with uid `uid`, one container "c".
SummaryPod Pod(const std::string& uid, int64_t cpu_time, std::optional<uint64_t> cum,
               std::optional<uint64_t> nano_cores, int64_t net_time = 0,
               std::optional<uint64_t> rx = std::nullopt,
               std::optional<uint64_t> tx = std::nullopt) {
  SummaryPod p;
  p.name = "p";
  p.namespace_ = "ns";
  p.uid = uid;
  SummaryContainer& c = p.containers.emplace_back();
  c.name = "c";
  c.cpu_time_nanos = cpu_time;
  c.usage_core_nano_seconds = cum;
  c.usage_nano_cores = nano_cores;
  c.working_set_bytes = 1 << 20;
  p.network_time_nanos = net_time;
  p.rx_bytes = rx;
  p.tx_bytes = tx;
  return p;
}

TEST(SummaryRates, CpuFromCounterDeltasWithTheKubeletRateFirst) {
  SummaryRates rates;
  std::vector<Sample> s = rates.Update("n1", {Pod("u", 100 * kSecond, 50 * kSecond, 300000000)}, 7);
  ASSERT_EQ(s.size(), 1u);  // no network rate yet: no pod-level row
  EXPECT_DOUBLE_EQ(s[0].cpu_cores, 0.3);
  EXPECT_EQ(s[0].time_nanos, 7);
  EXPECT_EQ(s[0].node, "n1");
  EXPECT_EQ(s[0].container, "c");
  EXPECT_DOUBLE_EQ(s[0].memory_working_set_bytes, 1 << 20);
  EXPECT_EQ(s[0].memory_rss_bytes, -1);
  // 10 s later, 15 s of CPU more: 1.5 cores (not the kubelet's 0.3).
  s = rates.Update("n1", {Pod("u", 110 * kSecond, 65 * kSecond, 300000000)}, 8);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 1.5);
  // Cached stats (same time): the kubelet's rate again, the old baseline kept.
  s = rates.Update("n1", {Pod("u", 110 * kSecond, 65 * kSecond, 200000000)}, 9);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.2);
  s = rates.Update("n1", {Pod("u", 120 * kSecond, 70 * kSecond, 200000000)}, 10);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.5);
  // A restarted container (counter went down): the kubelet's rate, then deltas again.
  s = rates.Update("n1", {Pod("u", 130 * kSecond, 1 * kSecond, 100000000)}, 11);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.1);
  s = rates.Update("n1", {Pod("u", 140 * kSecond, 3 * kSecond, 100000000)}, 12);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.2);
  // A new pod with the same name (new uid) starts over.
  s = rates.Update("n1", {Pod("u2", 150 * kSecond, 100 * kSecond, std::nullopt)}, 13);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].cpu_cores, -1);
}

TEST(SummaryRates, NetworkRatesPerPodWithoutRateAfterAReset) {
  SummaryRates rates;
  auto pod = [](int64_t t, uint64_t rx, uint64_t tx) {
    return Pod("u", 0, std::nullopt, std::nullopt, t * kSecond, rx, tx);
  };
  std::vector<Sample> s = rates.Update("n", {pod(100, 1000, 2000)}, 1);
  ASSERT_EQ(s.size(), 1u);  // memory only
  s = rates.Update("n", {pod(110, 6000, 2500)}, 2);
  ASSERT_EQ(s.size(), 2u);
  const Sample& net = s[1];
  EXPECT_EQ(net.container, "");
  EXPECT_DOUBLE_EQ(net.rx_bytes_per_second, 500);
  EXPECT_DOUBLE_EQ(net.tx_bytes_per_second, 50);
  EXPECT_EQ(net.cpu_cores, -1);
  EXPECT_EQ(net.memory_working_set_bytes, -1);
  s = rates.Update("n", {pod(120, 10, 10)}, 3);  // pod sandbox restarted
  EXPECT_EQ(s.size(), 1u);
  s = rates.Update("n", {pod(130, 1010, 20)}, 4);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[1].rx_bytes_per_second, 100);
  EXPECT_DOUBLE_EQ(s[1].tx_bytes_per_second, 1);
}

TEST(SummaryRates, StateIsPerNodeAndForgottenWithTheNode) {
  SummaryRates rates;
  rates.Update("a", {Pod("u", 100 * kSecond, 10 * kSecond, 100000000)}, 1);
  rates.Update("b", {Pod("v", 100 * kSecond, 10 * kSecond, 100000000)}, 1);
  // Scraping b does not drop a's baseline.
  std::vector<Sample> s = rates.Update("a", {Pod("u", 101 * kSecond, 11 * kSecond, 0)}, 2);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 1.0);
  rates.RetainNodes({"b"});
  s = rates.Update("a", {Pod("u", 102 * kSecond, 12 * kSecond, 0)}, 3);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.0);  // baseline gone: the kubelet's (zero) rate
  s = rates.Update("b", {Pod("v", 102 * kSecond, 11 * kSecond, 0)}, 3);
  EXPECT_DOUBLE_EQ(s.at(0).cpu_cores, 0.5);
}

TEST(SummaryRates, SkipsPodsWithoutAName) {
  SummaryRates rates;
  SummaryPod nameless = Pod("u", 1, 1, 1);
  nameless.name.clear();
  EXPECT_TRUE(rates.Update("n", {nameless}, 1).empty());
}

}  // namespace
}  // namespace kprof::resources
