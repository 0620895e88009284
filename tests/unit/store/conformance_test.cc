// The conformance suite every ProfileStore backend must pass. Backends register a
// factory below; each test gets an empty store in a fresh directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "pprof/merge.h"
#include "pprof/report.h"
#include "store/embedded/rocks_store.h"
#include "store/store.h"
#include "unit/pprof/testdata.h"

namespace kprof::store {
namespace {

namespace fs = std::filesystem;
using pprof::testutil::LoadTestdata;
using pprof::testutil::ReadTestdata;

struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<ProfileStore>>(const std::string& dir)> open;
};

std::vector<Backend> Backends() {
  return {{"embedded", [](const std::string& dir) {
             EmbeddedOptions o;
             o.data_dir = dir;
             return OpenEmbeddedStore(o);
           }}};
}

// The top table of a profile: a compact fingerprint of its samples and symbols.
std::string Top(const pprof::Profile& p, const std::string& sample_index = "") {
  pprof::ReportOptions o;
  o.sample_index = sample_index;
  o.node_fraction = 0;
  auto prepared = pprof::Prepare(p, o);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  if (!prepared.ok()) return "";
  prepared->profile.time_nanos = 0;  // header times are checked separately
  prepared->profile.duration_nanos = 0;
  return pprof::FormatTopText(pprof::BuildTop(*prepared, o), *prepared);
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kprof-store-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  ProfileMeta Ingest(const std::string& file, const std::string& service, const std::string& type,
                     std::vector<Label> labels, int64_t time = 0) {
    IngestInput in;
    in.service = service;
    in.type = type;
    in.labels = Labels::Make(std::move(labels)).value();
    in.raw = ReadTestdata(file);
    in.profile = LoadTestdata(file);
    in.time_nanos = time;
    auto meta = store_->Ingest(std::move(in));
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return meta.ok() ? *meta : ProfileMeta();
  }

  ProfileQuery Query(const std::string& service, const std::string& type,
                     const std::string& selector = "") {
    ProfileQuery q;
    q.service = service;
    q.type = type;
    q.selector = Selector::Parse(selector).value();
    return q;
  }

  fs::path dir_;
  std::unique_ptr<ProfileStore> store_;
};

TEST_P(StoreConformance, IngestedProfileIsListedWithItsLabels) {
  ProfileMeta m = Ingest("cpu-a.pb.gz", "checkout", "cpu", {{"namespace", "prod"}, {"pod", "p1"}});
  EXPECT_FALSE(m.id.empty());
  auto list = store_->List(Query("checkout", "cpu"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, m.id);
  EXPECT_EQ((*list)[0].labels.Get("namespace"), "prod");
  EXPECT_EQ((*list)[0].labels.Get("pod"), "p1");
  EXPECT_EQ((*list)[0].time_nanos, LoadTestdata("cpu-a.pb.gz").time_nanos);
  EXPECT_GT((*list)[0].samples, 0u);
}

TEST_P(StoreConformance, RawBytesComeBackExactly) {
  ProfileMeta m = Ingest("heap-a.pb.gz", "checkout", "heap", {});
  auto raw = store_->GetRaw(m.id);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, ReadTestdata("heap-a.pb.gz"));
}

TEST_P(StoreConformance, NormalizedProfileRebuildsTheSameSamplesAndSymbols) {
  for (const char* file : {"cpu-a.pb.gz", "heap-b.pb.gz", "goroutine-a.pb.gz", "block-a.pb.gz"}) {
    ProfileMeta m = Ingest(file, "svc", "t", {});
    auto got = store_->Get(m.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    pprof::Profile original = LoadTestdata(file);
    for (size_t i = 0; i < original.sample_types.size(); ++i) {
      EXPECT_EQ(Top(*got, std::to_string(i)), Top(original, std::to_string(i))) << file;
    }
    EXPECT_EQ(got->time_nanos, original.time_nanos);
    EXPECT_EQ(got->duration_nanos, original.duration_nanos);
    EXPECT_EQ(got->period, original.period);
  }
}

TEST_P(StoreConformance, MergeEqualsTheEngineMergingTheInputs) {
  Ingest("cpu-a.pb.gz", "checkout", "cpu", {{"version", "v1"}});
  Ingest("cpu-b.pb.gz", "checkout", "cpu", {{"version", "v2"}});
  Ingest("cpu-a.pb.gz", "other", "cpu", {});
  auto merged = store_->Merge(Query("checkout", "cpu"));
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->profiles_matched, 2u);
  EXPECT_EQ(merged->profiles_merged, 2u);
  pprof::Profile expected =
      pprof::MergeProfiles(
          std::vector<pprof::Profile>{LoadTestdata("cpu-a.pb.gz"), LoadTestdata("cpu-b.pb.gz")})
          .value();
  EXPECT_EQ(Top(merged->profile), Top(expected));
  EXPECT_EQ(merged->profile.duration_nanos, expected.duration_nanos);
}

TEST_P(StoreConformance, SelectorsAndTimeRangesNarrowMerges) {
  Ingest("cpu-a.pb.gz", "checkout", "cpu", {{"version", "v1"}, {"pod", "a-1"}}, 1000);
  Ingest("cpu-b.pb.gz", "checkout", "cpu", {{"version", "v2"}, {"pod", "b-1"}}, 2000);
  auto v2 = store_->Merge(Query("checkout", "cpu", "{version=\"v2\"}"));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(Top(v2->profile), Top(LoadTestdata("cpu-b.pb.gz")));
  auto by_pod = store_->Merge(Query("checkout", "cpu", "{pod=~\"a-.*\"}"));
  ASSERT_TRUE(by_pod.ok());
  EXPECT_EQ(Top(by_pod->profile), Top(LoadTestdata("cpu-a.pb.gz")));
  ProfileQuery early = Query("checkout", "cpu");
  early.to_nanos = 1500;
  auto first = store_->Merge(early);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->profiles_matched, 1u);
  ProfileQuery none = Query("checkout", "cpu", "{version=\"v3\"}");
  EXPECT_EQ(store_->Merge(none).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, ListingIsOrderedAndPaginated) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(Ingest("goroutine-a.pb.gz", "svc", "goroutine",
                         {{"pod", "p" + std::to_string(i % 3)}}, 1000 + (i * 7 % 7) * 10 + i)
                      .id);
  }
  ProfileQuery q = Query("svc", "goroutine");
  q.limit = 3;
  std::vector<std::string> seen;
  int64_t last_time = INT64_MIN;
  for (int page = 0; page < 5; ++page) {
    auto list = store_->List(q);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    for (const ProfileMeta& m : *list) {
      EXPECT_GE(m.time_nanos, last_time);
      last_time = m.time_nanos;
      seen.push_back(m.id);
    }
    if (list->size() < q.limit) break;
    q.after = list->back().id;
  }
  EXPECT_EQ(seen.size(), 7u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_P(StoreConformance, InstanceLabelsDoNotCreateSeries) {
  for (int i = 0; i < 20; ++i) {
    Ingest("goroutine-b.pb.gz", "svc", "goroutine", {{"pod", "pod-" + std::to_string(i)}});
  }
  auto stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->series, 1u);
  auto one = store_->List(Query("svc", "goroutine", "{pod=\"pod-7\"}"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST_P(StoreConformance, EverythingSurvivesAReopen) {
  ProfileMeta a = Ingest("cpu-a.pb.gz", "checkout", "cpu", {{"version", "v1"}});
  std::string before = Top(store_->Get(a.id).value());
  Reopen();
  auto got = store_->Get(a.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Top(*got), before);
  // New profiles after a reopen extend the same dictionary.
  ProfileMeta b = Ingest("cpu-b.pb.gz", "checkout", "cpu", {{"version", "v2"}});
  EXPECT_EQ(Top(store_->Get(b.id).value()), Top(LoadTestdata("cpu-b.pb.gz")));
  Reopen();
  EXPECT_EQ(Top(store_->Get(b.id).value()), Top(LoadTestdata("cpu-b.pb.gz")));
  auto services = store_->Services();
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 1u);
  EXPECT_EQ((*services)[0].name, "checkout");
}

TEST_P(StoreConformance, RetentionDropsOldProfilesAndRawUploadsSeparately) {
  ProfileMeta old_one = Ingest("heap-a.pb.gz", "svc", "heap", {}, 1'000'000'000);
  ProfileMeta mid = Ingest("heap-a.pb.gz", "svc", "heap", {}, 5'000'000'000);
  ProfileMeta fresh = Ingest("heap-a.pb.gz", "svc", "heap", {}, 9'000'000'000);
  RetentionPolicy policy;
  policy.profiles_nanos = 6'000'000'000;  // keep the last 6 s
  policy.raw_nanos = 2'000'000'000;       // raw uploads for 2 s
  ASSERT_TRUE(store_->ApplyRetention(policy, 10'000'000'000).ok());
  EXPECT_EQ(store_->Meta(old_one.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Meta(mid.id).ok());
  EXPECT_EQ(store_->GetRaw(mid.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Get(mid.id).ok());
  EXPECT_TRUE(store_->GetRaw(fresh.id).ok());
}

TEST_P(StoreConformance, LabelNamesAndValues) {
  Ingest("goroutine-a.pb.gz", "svc", "goroutine", {{"namespace", "prod"}, {"pod", "x"}});
  Ingest("goroutine-a.pb.gz", "svc", "goroutine", {{"namespace", "dev"}, {"pod", "y"}});
  auto names = store_->LabelNames(Query("svc", ""));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"namespace", "pod"}));
  auto values = store_->LabelValues("namespace", Query("svc", ""));
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"dev", "prod"}));
}

TEST_P(StoreConformance, ConcurrentIngestKeepsEveryProfile) {
  pprof::Profile p = LoadTestdata("cpu-a.pb.gz");
  std::string raw = ReadTestdata("cpu-a.pb.gz");
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        IngestInput in;
        in.service = "svc-" + std::to_string(t % 3);
        in.type = "cpu";
        in.labels = Labels::Make({{"pod", std::to_string(t)}}).value();
        in.raw = raw;
        in.profile = p;
        in.time_nanos = 1000 + i;
        if (!store_->Ingest(std::move(in)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  size_t listed = 0;
  for (int s = 0; s < 3; ++s)
    listed += store_->List(Query("svc-" + std::to_string(s), "cpu"))->size();
  EXPECT_EQ(listed, size_t{kThreads * kEach});
  auto merged = store_->Merge(Query("svc-0", "cpu"));
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(pprof::testutil::TotalOf(merged->profile, 1),
            pprof::testutil::TotalOf(p, 1) * static_cast<int64_t>(merged->profiles_merged));
}

TEST_P(StoreConformance, UnknownIdsAreNotFound) {
  EXPECT_EQ(store_->Meta("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRaw("0000000000000000000000000000000f").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("zz").status().code(), StatusCode::kNotFound);
}

// Profiles every 90 s for three hours from an hour boundary, alternating two files
// and two pods.
constexpr int64_t kHour = 3600'000'000'000;
constexpr int64_t kBase = 1'700'000'000'000'000'000 / kHour * kHour;

void IngestThreeHours(StoreConformance* t,
                      std::function<ProfileMeta(const std::string&, const std::string&,
                                                const std::string&, std::vector<Label>, int64_t)>
                          ingest) {
  for (int i = 0; i < 120; ++i) {
    ingest(i % 2 ? "cpu-a.pb.gz" : "cpu-b.pb.gz", "checkout", "cpu", {{"pod", i % 3 ? "p1" : "p2"}},
           kBase + int64_t{i} * 90'000'000'000);
  }
}

TEST_P(StoreConformance, RollupsGiveTheSameMergesAsRawProfiles) {
  auto ingest = [this](const std::string& f, const std::string& s, const std::string& t,
                       std::vector<Label> l, int64_t time) { return Ingest(f, s, t, l, time); };
  IngestThreeHours(this, ingest);
  ASSERT_TRUE(store_->Maintain(kBase + 4 * kHour).ok());
  using Range = std::pair<int64_t, int64_t>;
  for (auto [from, to] :
       {Range{kBase, kBase + 3 * kHour},
        Range{kBase + 7 * 60'000'000'000, kBase + 2 * kHour + 50 * 60'000'000'000},
        Range{kBase + 61'000'000'000, kBase + 119'000'000'000}}) {
    ProfileQuery q = Query("checkout", "cpu");
    q.from_nanos = from;
    q.to_nanos = to;
    auto with = store_->Merge(q);
    q.use_rollups = false;
    auto without = store_->Merge(q);
    ASSERT_TRUE(with.ok() && without.ok());
    EXPECT_EQ(with->profiles_matched, without->profiles_matched);
    EXPECT_EQ(Top(with->profile), Top(without->profile));
    EXPECT_EQ(with->profile.duration_nanos, without->profile.duration_nanos);
    EXPECT_EQ(without->rollup_buckets, 0u);
    if (to - from >= kHour) {
      EXPECT_GT(with->rollup_buckets, 0u);
    }
  }
  ProfileQuery day = Query("checkout", "cpu");
  day.from_nanos = kBase;
  day.to_nanos = kBase + 3 * kHour;
  auto merged = store_->Merge(day);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->rollup_buckets, 3u) << "three whole hours read as three rows";
  EXPECT_EQ(merged->profiles_matched, 120u);
}

TEST_P(StoreConformance, LateProfilesAreCountedBeforeAndAfterRebuilding) {
  auto ingest = [this](const std::string& f, const std::string& s, const std::string& t,
                       std::vector<Label> l, int64_t time) { return Ingest(f, s, t, l, time); };
  IngestThreeHours(this, ingest);
  ASSERT_TRUE(store_->Maintain(kBase + 4 * kHour).ok());
  Ingest("cpu-b.pb.gz", "checkout", "cpu", {{"pod", "late"}}, kBase + 30 * 60'000'000'000 + 5);
  ProfileQuery q = Query("checkout", "cpu");
  q.from_nanos = kBase;
  q.to_nanos = kBase + 3 * kHour;
  for (int round = 0; round < 2; ++round) {
    auto with = store_->Merge(q);
    ProfileQuery raw = q;
    raw.use_rollups = false;
    auto without = store_->Merge(raw);
    ASSERT_TRUE(with.ok() && without.ok());
    EXPECT_EQ(with->profiles_matched, 121u) << "round " << round;
    EXPECT_EQ(Top(with->profile), Top(without->profile)) << "round " << round;
    ASSERT_TRUE(store_->Maintain(kBase + 4 * kHour).ok());
  }
  auto rebuilt = store_->Merge(q);
  EXPECT_EQ(rebuilt->rollup_buckets, 3u) << "the stale hour was rebuilt";
}

TEST_P(StoreConformance, RollupsSurviveAReopenAndInstanceFiltersReadRawProfiles) {
  auto ingest = [this](const std::string& f, const std::string& s, const std::string& t,
                       std::vector<Label> l, int64_t time) { return Ingest(f, s, t, l, time); };
  IngestThreeHours(this, ingest);
  ASSERT_TRUE(store_->Maintain(kBase + 4 * kHour).ok());
  Reopen();
  ProfileQuery q = Query("checkout", "cpu");
  q.from_nanos = kBase;
  q.to_nanos = kBase + 3 * kHour;
  auto merged = store_->Merge(q);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->rollup_buckets, 3u);
  ProfileQuery pod = Query("checkout", "cpu", "{pod=\"p2\"}");
  pod.from_nanos = q.from_nanos;
  pod.to_nanos = q.to_nanos;
  auto one_pod = store_->Merge(pod);
  ASSERT_TRUE(one_pod.ok());
  EXPECT_EQ(one_pod->rollup_buckets, 0u);
  EXPECT_EQ(one_pod->profiles_matched, 40u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace kprof::store
