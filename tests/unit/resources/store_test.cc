#include "resources/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>

#include "unit/kube/temp_files.h"

namespace kprof::resources {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1000000000;

Sample Row(const std::string& ns, const std::string& pod, const std::string& container, int64_t t,
           double cpu, const std::string& replicaset = "", const std::string& deployment = "") {
  Sample s;
  s.time_nanos = t;
  s.namespace_ = ns;
  s.pod = pod;
  s.container = container;
  s.node = "node-a";
  s.deployment = deployment;
  s.replicaset = replicaset;
  s.cpu_cores = cpu;
  return s;
}

std::vector<std::string> Keys(const std::vector<Sample>& samples) {
  std::vector<std::string> out;
  for (const Sample& s : samples) {
    out.push_back(s.namespace_ + "/" + s.pod + "/" + s.container + "@" +
                  std::to_string(s.time_nanos / kSecond));
  }
  return out;
}

class ResourceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    auto store = OpenResourceStore(dir_.File("resources"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::vector<Sample> Query(ResourceQuery q) {
    auto r = store_->Query(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Sample>();
  }

  kube::testing::TempDir dir_;
  std::unique_ptr<ResourceStore> store_;
};

TEST_F(ResourceStoreTest, RoundTripKeepsEveryFieldAndUnmeasuredStaysUnmeasured) {
  Sample full = Row("prod", "shop-1", "app", 100 * kSecond, 0.25, "shop-7d9f", "shop");
  full.memory_working_set_bytes = 52428800;
  full.memory_rss_bytes = 41943040.5;
  Sample net = Row("prod", "shop-1", "", 100 * kSecond, -1);
  net.rx_bytes_per_second = 1234.5;
  net.tx_bytes_per_second = 0;
  net.node.clear();
  ASSERT_TRUE(store_->Append({full, net}).ok());
  store_.reset();
  Open();  // from disk
  std::vector<Sample> got = Query({});
  ASSERT_EQ(got.size(), 2u);
  const Sample& n = got[0];  // container "" sorts first
  EXPECT_EQ(n.container, "");
  EXPECT_EQ(n.node, "");
  EXPECT_EQ(n.cpu_cores, -1);
  EXPECT_EQ(n.memory_working_set_bytes, -1);
  EXPECT_EQ(n.rx_bytes_per_second, 1234.5);
  EXPECT_EQ(n.tx_bytes_per_second, 0);
  const Sample& f = got[1];
  EXPECT_EQ(f.time_nanos, 100 * kSecond);
  EXPECT_EQ(f.namespace_, "prod");
  EXPECT_EQ(f.pod, "shop-1");
  EXPECT_EQ(f.container, "app");
  EXPECT_EQ(f.node, "node-a");
  EXPECT_EQ(f.deployment, "shop");
  EXPECT_EQ(f.replicaset, "shop-7d9f");
  EXPECT_EQ(f.cpu_cores, 0.25);
  EXPECT_EQ(f.memory_working_set_bytes, 52428800);
  EXPECT_EQ(f.memory_rss_bytes, 41943040.5);
  EXPECT_EQ(f.rx_bytes_per_second, -1);
  EXPECT_EQ(store_->corrupt_values(), 0u);
}

TEST_F(ResourceStoreTest, QueryFilters) {
  std::vector<Sample> rows;
  for (int64_t t : {10, 20, 30}) {
    rows.push_back(Row("prod", "shop-a", "app", t * kSecond, 1, "shop-1", "shop"));
    rows.push_back(Row("prod", "shop-a", "sidecar", t * kSecond, 1, "shop-1", "shop"));
    rows.push_back(Row("prod", "shop-b", "app", t * kSecond, 1, "shop-2", "shop"));
    rows.push_back(Row("prod", "cart-a", "app", t * kSecond, 1, "cart-1", "cart"));
    rows.push_back(Row("prodx", "shop-a", "app", t * kSecond, 1, "shop-1", "shop"));
    rows.push_back(Row("dev", "shop-a", "app", t * kSecond, 1));
  }
  // Negative times (before 1970) sort before positive ones.
  rows.push_back(Row("prod", "shop-a", "app", -5 * kSecond, 1, "shop-1", "shop"));
  ASSERT_TRUE(store_->Append(rows).ok());

  EXPECT_EQ(Query({}).size(), rows.size());
  ResourceQuery q;
  q.namespace_ = "prod";
  q.pod = "shop-a";
  q.container = "app";
  EXPECT_THAT(Keys(Query(q)), ElementsAre("prod/shop-a/app@-5", "prod/shop-a/app@10",
                                          "prod/shop-a/app@20", "prod/shop-a/app@30"));
  q.from_nanos = 10 * kSecond;
  q.to_nanos = 30 * kSecond;  // exclusive
  EXPECT_THAT(Keys(Query(q)), ElementsAre("prod/shop-a/app@10", "prod/shop-a/app@20"));

  ResourceQuery ns;
  ns.namespace_ = "prod";  // not "prodx"
  ns.from_nanos = 20 * kSecond;
  ns.to_nanos = 21 * kSecond;
  EXPECT_THAT(Keys(Query(ns)), ElementsAre("prod/cart-a/app@20", "prod/shop-a/app@20",
                                           "prod/shop-a/sidecar@20", "prod/shop-b/app@20"));

  ResourceQuery by_rs;
  by_rs.replicasets = {"shop-2", "cart-1"};
  by_rs.from_nanos = 30 * kSecond;
  EXPECT_THAT(Keys(Query(by_rs)), ElementsAre("prod/cart-a/app@30", "prod/shop-b/app@30"));

  ResourceQuery by_deployment;
  by_deployment.deployment = "shop";
  by_deployment.from_nanos = 30 * kSecond;
  by_deployment.container = "app";  // without namespace and pod: a filter, not a prefix
  EXPECT_THAT(Keys(Query(by_deployment)),
              ElementsAre("prod/shop-a/app@30", "prod/shop-b/app@30", "prodx/shop-a/app@30"));

  ResourceQuery by_pod;
  by_pod.pod = "shop-a";
  by_pod.from_nanos = 10 * kSecond;
  by_pod.to_nanos = 11 * kSecond;
  EXPECT_THAT(Keys(Query(by_pod)), ElementsAre("dev/shop-a/app@10", "prod/shop-a/app@10",
                                               "prod/shop-a/sidecar@10", "prodx/shop-a/app@10"));

  ResourceQuery limited;
  limited.limit = 3;
  EXPECT_EQ(Query(limited).size(), 3u);
  ResourceQuery empty_range;
  empty_range.from_nanos = empty_range.to_nanos = 10 * kSecond;
  EXPECT_TRUE(Query(empty_range).empty());
  ResourceQuery nothing;
  nothing.namespace_ = "pro";
  EXPECT_TRUE(Query(nothing).empty());
}

TEST_F(ResourceStoreTest, SameKeyReplaces) {
  ASSERT_TRUE(store_->Append({Row("a", "p", "c", kSecond, 1)}).ok());
  ASSERT_TRUE(store_->Append({Row("a", "p", "c", kSecond, 2)}).ok());
  std::vector<Sample> got = Query({});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].cpu_cores, 2);
}

TEST_F(ResourceStoreTest, RejectsNulInNamesAndStoresNothingOfTheBatch) {
  Sample bad = Row("a", std::string("p\0q", 3), "c", kSecond, 1);
  Status st = store_->Append({Row("a", "ok", "c", kSecond, 1), bad});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("pod"));
  EXPECT_TRUE(Query({}).empty());
  EXPECT_TRUE(store_->Append({}).ok());
}

TEST_F(ResourceStoreTest, RetentionDeletesOlderSamplesOfEverySeries) {
  std::vector<Sample> rows;
  for (const char* pod : {"a", "b", "c"}) {
    for (int64_t t = 1; t <= 10; ++t) rows.push_back(Row("ns", pod, "app", t * kSecond, 1));
  }
  rows.push_back(Row("ns", "old", "app", 2 * kSecond, 1));
  ASSERT_TRUE(store_->Append(rows).ok());
  ASSERT_TRUE(store_->ApplyRetention(8 * kSecond).ok());
  EXPECT_THAT(Keys(Query({})),
              ElementsAre("ns/a/app@8", "ns/a/app@9", "ns/a/app@10", "ns/b/app@8", "ns/b/app@9",
                          "ns/b/app@10", "ns/c/app@8", "ns/c/app@9", "ns/c/app@10"));
  store_.reset();
  Open();
  EXPECT_EQ(Query({}).size(), 9u);
  ASSERT_TRUE(store_->ApplyRetention(100 * kSecond).ok());
  EXPECT_TRUE(Query({}).empty());
}

TEST_F(ResourceStoreTest, CorruptValuesAreSkippedAndCounted) {
  std::vector<Sample> rows;
  for (int64_t t = 1; t <= 7; ++t) rows.push_back(Row("ns", "a", "c", t * kSecond, t));
  ASSERT_TRUE(store_->Append(rows).ok());
  store_.reset();
  {
    // Damage the values of rows 2 to 6, and add a key of no known shape.
    const std::string damaged[] = {
        std::string(),                                               // empty
        std::string("\x02\x00\x00\x00\x00\x00\x00\x00", 8),          // unknown version
        std::string("\x01\x01\x00", 3),                              // truncated number
        std::string("\x01\x20\x00\x00\x00\x00\x00\x00", 8),          // unknown field bit
        std::string("\x01\x01\x7f\xf8", 4) + std::string(12, '\0'),  // NaN
    };
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_.File("resources"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    it.reset();
    ASSERT_EQ(keys.size(), 7u);
    for (size_t i = 0; i < std::size(damaged); ++i) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), keys[i + 1], damaged[i]).ok());
    }
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "junk", "x").ok());
  }
  Open();
  std::vector<Sample> got = Query({});
  EXPECT_THAT(Keys(got), ElementsAre("ns/a/c@1", "ns/a/c@7"));
  EXPECT_EQ(store_->corrupt_values(), 6u);
  // Retention removes the junk key along with old rows.
  ASSERT_TRUE(store_->ApplyRetention(7 * kSecond).ok());
  EXPECT_THAT(Keys(Query({})), ElementsAre("ns/a/c@7"));
  EXPECT_EQ(store_->corrupt_values(), 6u);
}

TEST(Summarize, AveragesPerPodThenOverPods) {
  auto row = [](const std::string& pod, const std::string& container, int64_t t, double cpu,
                double memory) {
    Sample s = Row("ns", pod, container, t, cpu);
    s.memory_working_set_bytes = memory;
    return s;
  };
  std::vector<Sample> samples = {
      // Pod a: two containers; at t=1 1.0+0.5 cores, at t=2 0.5+0.5. Mean 1.25, max 1.5.
      row("a", "app", 1, 1.0, 100), row("a", "side", 1, 0.5, 10), row("a", "app", 2, 0.5, 200),
      row("a", "side", 2, 0.5, 10),
      // Pod b: many samples but one pod's weight. Mean 0.25, max 0.25.
      row("b", "app", 1, 0.25, 1000), row("b", "app", 2, 0.25, 1000),
      row("b", "app", 3, 0.25, 1000), row("b", "app", 4, 0.25, 1000)};
  Sample net = Row("ns", "a", "", 1, -1);
  net.rx_bytes_per_second = 100;
  net.tx_bytes_per_second = 10;
  samples.push_back(net);
  Sample memory_only = Row("ns", "c", "app", 1, -1);
  memory_only.memory_working_set_bytes = 2000;
  samples.push_back(memory_only);

  Usage u = Summarize(samples);
  EXPECT_EQ(u.pods, 3u);
  EXPECT_EQ(u.samples, samples.size());
  EXPECT_DOUBLE_EQ(u.cpu_cores_mean, (1.25 + 0.25) / 2);  // c measured no CPU
  EXPECT_DOUBLE_EQ(u.cpu_cores_max, 1.5);
  EXPECT_DOUBLE_EQ(u.memory_mean, (160.0 + 1000 + 2000) / 3);
  EXPECT_DOUBLE_EQ(u.memory_max, 2000);
  EXPECT_DOUBLE_EQ(u.rx_mean, 100);
  EXPECT_DOUBLE_EQ(u.tx_mean, 10);
}

TEST(Summarize, NothingMeasuredIsMinusOne) {
  Usage u = Summarize({});
  EXPECT_EQ(u.pods, 0u);
  EXPECT_EQ(u.cpu_cores_mean, -1);
  EXPECT_EQ(u.cpu_cores_max, -1);
  EXPECT_EQ(u.memory_mean, -1);
  EXPECT_EQ(u.rx_mean, -1);
}

}  // namespace
}  // namespace kprof::resources
