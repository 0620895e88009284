#include "api/resources_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/http.h"
#include "store/timeparse.h"
#include "unit/kube/temp_files.h"

namespace kprof::api {
namespace {

using json = nlohmann::json;
using resources::Sample;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kBase = 1714557600 * kSecond;  // 2024-05-01T10:00:00Z

Sample Row(const std::string& pod, const std::string& container, int64_t second, double cpu,
           double memory, const std::string& replicaset) {
  Sample s;
  s.time_nanos = kBase + second * kSecond;
  s.namespace_ = "prod";
  s.pod = pod;
  s.container = container;
  s.node = "node-a";
  s.deployment = "shop";
  s.replicaset = replicaset;
  s.cpu_cores = cpu;
  s.memory_working_set_bytes = memory;
  return s;
}

class ResourcesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = resources::OpenResourceStore(dir_.File("resources"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    AddResourceRoutes(&router_, store_.get());
    Sample net = Row("shop-old-1", "", 10, -1, -1, "shop-old");
    net.rx_bytes_per_second = 1000;
    net.tx_bytes_per_second = 10;
    ASSERT_TRUE(store_
                    ->Append({Row("shop-old-1", "app", 0, 1.0, 100e6, "shop-old"),
                              Row("shop-old-1", "app", 10, 0.5, 110e6, "shop-old"),
                              Row("shop-old-1", "app", 20, 0.25, 120e6, "shop-old"), net,
                              Row("shop-new-1", "app", 20, 2.0, 200e6, "shop-new"),
                              Row("shop-new-1", "app", 30, 3.0, 300e6, "shop-new"),
                              Row("shop-new-2", "app", 30, 1.0, 100e6, "shop-new")})
                    .ok());
  }

  // GET `target`; the status and the parsed body.
  std::pair<int, json> Get(const std::string& target) {
    net::Request req;
    req.method = "GET";
    req.target = target;
    EXPECT_TRUE(net::ParseTarget(&req).ok()) << target;
    net::Response r = router_.Dispatch(req);
    EXPECT_EQ(r.content_type, "application/json");
    return {r.status, json::parse(r.body, nullptr, false)};
  }

  kube::testing::TempDir dir_;
  std::unique_ptr<resources::ResourceStore> store_;
  net::Router router_;
};

const std::string kRange = "from=2024-05-01T10:00:00Z&to=2024-05-01T11:00:00Z";

TEST_F(ResourcesApiTest, SeriesPerPodAndContainerWithUnmeasuredFieldsLeftOut) {
  auto [status, body] = Get("/api/v1/resources?namespace=prod&" + kRange);
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["series"].size(), 4u);
  const json& first = body["series"][0];
  EXPECT_EQ(first["pod"], "shop-new-1");
  EXPECT_EQ(first["container"], "app");
  EXPECT_EQ(first["node"], "node-a");
  EXPECT_EQ(first["deployment"], "shop");
  EXPECT_EQ(first["replicaset"], "shop-new");
  ASSERT_EQ(first["points"].size(), 2u);
  EXPECT_EQ(first["points"][0]["time"], "2024-05-01T10:00:20Z");
  EXPECT_EQ(first["points"][0]["cpu_cores"], 2.0);
  EXPECT_EQ(first["points"][0]["memory_working_set_bytes"], 200000000);
  EXPECT_FALSE(first["points"][0].contains("rx_bytes_per_second"));
  EXPECT_FALSE(first["points"][0].contains("memory_rss_bytes"));
  const json& net = body["series"][2];
  EXPECT_EQ(net["pod"], "shop-old-1");
  EXPECT_EQ(net["container"], "");
  EXPECT_EQ(net["points"][0]["rx_bytes_per_second"], 1000.0);
  EXPECT_FALSE(net["points"][0].contains("cpu_cores"));
  EXPECT_EQ(body["truncated"], false);
}

TEST_F(ResourcesApiTest, SummaryPerReplicaSet) {
  auto [status, body] = Get("/api/v1/resources?deployment=shop&" + kRange);
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["summary"].size(), 2u);
  const json& fresh = body["summary"][0];
  EXPECT_EQ(fresh["replicaset"], "shop-new");
  EXPECT_EQ(fresh["deployment"], "shop");
  EXPECT_EQ(fresh["pods"], 2);
  EXPECT_EQ(fresh["samples"], 3);
  EXPECT_DOUBLE_EQ(fresh["cpu_cores_mean"].get<double>(), (2.5 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(fresh["cpu_cores_max"].get<double>(), 3.0);
  EXPECT_FALSE(fresh.contains("rx_bytes_per_second_mean"));
  const json& old = body["summary"][1];
  EXPECT_EQ(old["replicaset"], "shop-old");
  EXPECT_EQ(old["pods"], 1);
  EXPECT_DOUBLE_EQ(old["cpu_cores_mean"].get<double>(), 1.75 / 3);
  EXPECT_DOUBLE_EQ(old["memory_working_set_bytes_mean"].get<double>(), 110e6);
  EXPECT_DOUBLE_EQ(old["rx_bytes_per_second_mean"].get<double>(), 1000);
}

TEST_F(ResourcesApiTest, Filters) {
  auto [status, body] =
      Get("/api/v1/resources?replicaset=shop-old,%20nope&container=app&" + kRange);
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["series"].size(), 1u);
  EXPECT_EQ(body["series"][0]["pod"], "shop-old-1");
  EXPECT_EQ(body["series"][0]["points"].size(), 3u);

  std::tie(status, body) =
      Get("/api/v1/resources?namespace=prod&pod=shop-new-1&from=2024-05-01T10:00:25Z&to="
          "2024-05-01T10:00:30Z");
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(body["series"].empty());  // `to` is exclusive
  std::tie(status, body) = Get("/api/v1/resources?namespace=dev&" + kRange);
  EXPECT_TRUE(body["series"].empty());
  EXPECT_TRUE(body["summary"].empty());

  std::tie(status, body) = Get("/api/v1/resources?limit=2&" + kRange);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["truncated"], true);
  // The default range is the last hour: these samples are older.
  std::tie(status, body) = Get("/api/v1/resources");
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(body["series"].empty());
}

TEST_F(ResourcesApiTest, StepAveragesPerSeriesAndBucket) {
  auto [status, body] = Get("/api/v1/resources?pod=shop-old-1&container=app&step=15s&" + kRange);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["step_seconds"], 15.0);
  const json& points = body["series"].at(0)["points"];
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0]["time"], "2024-05-01T10:00:00Z");
  EXPECT_DOUBLE_EQ(points[0]["cpu_cores"].get<double>(), 0.75);
  EXPECT_EQ(points[0]["memory_working_set_bytes"], 105000000);
  EXPECT_EQ(points[1]["time"], "2024-05-01T10:00:15Z");
  EXPECT_DOUBLE_EQ(points[1]["cpu_cores"].get<double>(), 0.25);
}

TEST_F(ResourcesApiTest, BadParametersAre400WithAJsonError) {
  for (const std::string& query :
       std::vector<std::string>{"from=yesterday", "to=2024-13-01T00:00:00Z", "step=fast", "step=0s",
                                "step=1ns&" + kRange, "limit=-1", "limit=x", "format=csv",
                                "from=2024-05-01T11:00:00Z&to=2024-05-01T10:00:00Z"}) {
    auto [status, body] = Get("/api/v1/resources?" + query);
    EXPECT_EQ(status, 400) << query;
    EXPECT_EQ(body["code"], 400) << query;
    EXPECT_TRUE(body["error"].is_string()) << query;
  }
  auto [status, body] = Get("/api/v1/resources?step=fast");
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr("step"));
}

}  // namespace
}  // namespace kprof::api
