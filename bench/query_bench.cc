// Long-range query benchmark on the embedded store (issue 3 targets):
//   * one service, 10 pods, one CPU profile per pod every 10 s for 24 h = 86,400 real
//     profiles: merged flame graph over 24 h and over 1 h, with rollups and without
//     (reading every profile, as profefe does), p50 of several runs;
//   * 20 services with 24 h of one profile per minute each: fleet-wide top 20;
//   * bytes on disk per profile after compaction, against the gzipped bytes ingested.
//
//   kprof_query_bench --data DIR --profiles-dir DIR [--runs 5]
// Profiles are real captures (bench/make_corpus.sh), reused with new times and pods.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pprof/decode.h"
#include "pprof/flame.h"
#include "pprof/report.h"
#include "store/embedded/rocks_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace kprof;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Die(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

struct Input {
  std::string raw;
  pprof::Profile profile;
};

}  // namespace

int main(int argc, char** argv) {
  std::string data, profiles_dir;
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--data") && i + 1 < argc)
      data = argv[++i];
    else if (!std::strcmp(argv[i], "--profiles-dir") && i + 1 < argc)
      profiles_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
  }
  std::vector<Input> inputs;
  for (const auto& e : std::filesystem::directory_iterator(profiles_dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    Input in;
    in.raw = s.str();
    auto p = pprof::DecodeProfile(in.raw);
    if (!p.ok()) continue;
    in.profile = std::move(p).value();
    inputs.push_back(std::move(in));
  }
  if (inputs.empty() || data.empty()) {
    std::fprintf(stderr, "usage: kprof_query_bench --data DIR --profiles-dir DIR\n");
    return 2;
  }
  std::filesystem::remove_all(data);
  store::EmbeddedOptions options;
  options.data_dir = data;
  options.sync = false;  // loading speed is not what this measures
  auto opened = store::OpenEmbeddedStore(options);
  Die(opened.status(), "open");
  auto& db = *opened;
  const int64_t base = 1'800'000'000 * kSecond / kHour * kHour;

  // One service: 24 h × 10 pods × every 10 s.
  auto load_start = Clock::now();
  uint64_t gz_bytes = 0, count = 0;
  for (int64_t step = 0; step < 8640; ++step) {
    for (int pod = 0; pod < 10; ++pod) {
      const Input& in = inputs[(step * 10 + pod) % inputs.size()];
      store::IngestInput ingest;
      ingest.service = "checkout";
      ingest.type = "cpu";
      ingest.labels =
          store::Labels::Make({{"namespace", "prod"}, {"pod", "checkout-" + std::to_string(pod)}})
              .value();
      ingest.raw = in.raw;
      ingest.profile = in.profile;
      ingest.time_nanos = base + step * 10 * kSecond + pod * 1000;
      Die(db->Ingest(std::move(ingest)).status(), "ingest");
      gz_bytes += in.raw.size();
      ++count;
    }
  }
  double load_seconds = Seconds(load_start);
  // 20 more services, one profile a minute for 24 h (fleet-wide query).
  for (int svc = 0; svc < 20; ++svc) {
    for (int64_t m = 0; m < 1440; ++m) {
      const Input& in = inputs[(svc * 1440 + m) % inputs.size()];
      store::IngestInput ingest;
      ingest.service = "svc-" + std::to_string(svc);
      ingest.type = "cpu";
      ingest.raw = in.raw;
      ingest.profile = in.profile;
      ingest.time_nanos = base + m * 60 * kSecond;
      Die(db->Ingest(std::move(ingest)).status(), "ingest");
    }
  }
  auto rollup_start = Clock::now();
  Die(db->Maintain(base + 25 * kHour), "maintain");
  double rollup_seconds = Seconds(rollup_start);
  Die(db->Compact(), "compact");

  auto flame = [&](int64_t from, int64_t to, bool rollups, size_t* matched) {
    store::ProfileQuery q;
    q.service = "checkout";
    q.type = "cpu";
    q.from_nanos = from;
    q.to_nanos = to;
    q.use_rollups = rollups;
    auto start = Clock::now();
    auto merged = db->Merge(q);
    Die(merged.status(), "merge");
    auto prepared = pprof::Prepare(std::move(merged->profile), {});
    Die(prepared.status(), "prepare");
    std::string json = pprof::FlameTreeToJson(pprof::BuildFlameTree(*prepared, 10000));
    *matched = merged->profiles_matched;
    return Seconds(start);
  };
  std::vector<double> day, day_raw, hour, hour_raw, fleet;
  size_t day_n = 0, hour_n = 0, fleet_n = 0;
  for (int r = 0; r < runs; ++r) {
    day.push_back(flame(base, base + 24 * kHour, true, &day_n));
    hour.push_back(flame(base + 23 * kHour, base + 24 * kHour, true, &hour_n));
    hour_raw.push_back(flame(base + 23 * kHour, base + 24 * kHour, false, &hour_n));
    if (r < 3) day_raw.push_back(flame(base, base + 24 * kHour, false, &day_n));
    store::ProfileQuery q;
    q.type = "cpu";
    q.from_nanos = base;
    q.to_nanos = base + 24 * kHour;
    auto start = Clock::now();
    auto merged = db->Merge(q);
    Die(merged.status(), "fleet merge");
    pprof::ReportOptions top;
    top.node_count = 20;
    auto prepared = pprof::Prepare(std::move(merged->profile), top);
    Die(prepared.status(), "fleet prepare");
    auto report = pprof::BuildTop(*prepared, top);
    fleet.push_back(Seconds(start));
    fleet_n = merged->profiles_matched;
  }
  auto stats = db->Stats();
  Die(stats.status(), "stats");
  uint64_t total_profiles = count + 20 * 1440;
  std::printf(
      "{\"profiles\":%llu,\"load_seconds\":%.1f,\"load_per_second\":%.0f,\"rollup_seconds\":%.1f,"
      "\"flame_24h_p50_ms\":%.1f,\"flame_24h_no_rollups_p50_ms\":%.1f,\"speedup_24h\":%.1f,"
      "\"flame_1h_p50_ms\":%.1f,\"flame_1h_no_rollups_p50_ms\":%.1f,"
      "\"profiles_24h\":%zu,\"profiles_1h\":%zu,"
      "\"fleet_top20_24h_p50_ms\":%.1f,\"fleet_profiles\":%zu,"
      "\"disk_bytes_per_profile\":%.0f,\"gzip_bytes_per_profile\":%.0f,\"disk_over_gzip\":%.3f,"
      "\"raw_disk_bytes_per_profile\":%.0f}\n",
      static_cast<unsigned long long>(total_profiles), load_seconds, count / load_seconds,
      rollup_seconds, Median(day) * 1e3, Median(day_raw) * 1e3, Median(day_raw) / Median(day),
      Median(hour) * 1e3, Median(hour_raw) * 1e3, day_n, hour_n, Median(fleet) * 1e3, fleet_n,
      static_cast<double>(stats->disk_bytes) / total_profiles,
      static_cast<double>(gz_bytes) / count,
      static_cast<double>(stats->disk_bytes) / total_profiles /
          (static_cast<double>(gz_bytes) / count),
      static_cast<double>(stats->raw_disk_bytes) / total_profiles);
  return 0;
}
