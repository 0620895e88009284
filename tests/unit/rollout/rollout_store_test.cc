#include "rollout/rollout_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>

#include "rollout/rollout_json.h"

namespace kprof::rollout {
namespace {

constexpr std::int64_t kSec = 1000000000;

Rollout Sample(const std::string& deployment, std::int64_t revision, std::int64_t start) {
  Rollout r;
  r.namespace_ = "prod";
  r.deployment = deployment;
  r.deployment_uid = "uid-" + deployment;
  r.revision = revision;
  r.id = RolloutId(r.namespace_, deployment, revision, r.deployment_uid);
  r.outcome = Outcome::kComplete;
  r.start = start;
  r.end = start + 30 * kSec;
  r.new_replicaset = deployment + "-new";
  r.old_replicasets = {deployment + "-old"};
  r.images_before = {{"app", "img:v1"}};
  r.images_after = {{"app", "img:v2"}};
  r.progress = {{start, 2, 1, 0, 0, 3}, {start + kSec, 2, 2, 2, 2, 2}};
  PodTimeline t;
  t.name = deployment + "-new-abcde";
  t.created = start;
  t.scheduled = start + kSec / 10;
  t.pull_started = start + kSec / 5;
  t.pull_finished = start + 2 * kSec;
  t.pull_reported_nanos = 1700 * kSec / 1000;
  t.started = start + 3 * kSec;
  t.ready = start + 4 * kSec;
  t.problems = {{"BackOff", "Back-off pulling image", start + kSec, start + kSec, 2}};
  r.pods = {t};
  return r;
}

class RolloutStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kprof-rollouts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST(RolloutJson, RoundTrip) {
  Rollout r = Sample("web", 4, 1'800'000'000 * kSec);
  auto back = RolloutFromJson(RolloutToJson(r, true).dump());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RolloutToJson(*back, true), RolloutToJson(r, true));
  EXPECT_EQ(back->pods[0].PhaseNanos(Phase::kImagePull), 1800 * kSec / 1000);
}

TEST(RolloutJson, RejectsWrongShapes) {
  for (const char* text : {"", "[]", "{\"id\":5}", "{\"id\":\"x\",\"start\":\"yesterday\"}",
                           "{\"id\":\"x\",\"outcome\":\"exploded\"}",
                           "{\"id\":\"x\",\"pods\":[{\"ready\":7}]}", "{\"revision\":1}"}) {
    EXPECT_FALSE(RolloutFromJson(text).ok()) << text;
  }
}

TEST_F(RolloutStoreTest, PutGetListAndFilters) {
  auto store = OpenRolloutStore(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().message();
  const std::int64_t t = 1'800'000'000 * kSec;
  ASSERT_TRUE((*store)->Put(Sample("web", 1, t)).ok());
  ASSERT_TRUE((*store)->Put(Sample("web", 2, t + 100 * kSec)).ok());
  ASSERT_TRUE((*store)->Put(Sample("api", 7, t + 50 * kSec)).ok());
  auto all = (*store)->List({}, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].revision, 2);  // newest first
  EXPECT_EQ((*all)[1].deployment, "api");
  auto web = (*store)->List({"prod", "web", 0, INT64_MAX}, 0);
  ASSERT_EQ(web->size(), 2u);
  auto window = (*store)->List({"", "", t + 60 * kSec, t + 200 * kSec}, 0);
  ASSERT_EQ(window->size(), 2u);  // api ended at +80 s, web 2 started at +100 s
  auto one = (*store)->Get(Sample("api", 7, 0).id);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->pods.size(), 1u);
  EXPECT_EQ((*store)->Get("prod:nope:1").status().code(), StatusCode::kNotFound);
}

TEST_F(RolloutStoreTest, CorruptRecordIsSkippedAndOthersSurvive) {
  const std::int64_t t = 1'800'000'000 * kSec;
  {
    auto store = OpenRolloutStore(dir_.string());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put(Sample("web", 1, t)).ok());
  }
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "rollout/prod:bad:1", "{not json").ok());
  }
  auto store = OpenRolloutStore(dir_.string());
  ASSERT_TRUE(store.ok());
  auto all = (*store)->List({}, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*store)->corrupt_records(), 1u);
  EXPECT_FALSE((*store)->Get("prod:bad:1").ok());
}

TEST_F(RolloutStoreTest, SecondOpenOfTheSameDirectoryFailsClearly) {
  auto first = OpenRolloutStore(dir_.string());
  ASSERT_TRUE(first.ok());
  auto second = OpenRolloutStore(dir_.string());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("another kprof server"), std::string::npos);
}

}  // namespace
}  // namespace kprof::rollout
