// Rollout tracker benchmark: how many watch events a Tracker handles per CPU-second, and
// what it keeps in memory, replaying a recorded cluster-wide rollout (issue 5: 1,000
// Deployments × 10 pods rolling out; target ≥ 5,000 events/s on one core).
//
//   kprof_rollout_bench --in FILE [--runs 5] [--out RESULTS.json] [--namespace NS]
//
// FILE is a recording by bench/rollout_record.py (RESOURCE TAB ARRIVAL_NANOS TAB LINE,
// optionally gzipped), loaded whole into memory first. Each run, on this one thread:
//   decode   every line through kube::ParseWatchEvent<T> for its resource, nothing else;
//   track    the same decoding into a fresh Tracker with a metrics::Registry, as the
//            informers of rollout/watcher.cc feed it (ADDED/MODIFIED → On…, DELETED →
//            On…Deleted, bookmarks skipped), TakeChanged() every 1,000 events as the
//            saver would. The tracker's clock is the line's recorded arrival time, so it
//            sees the rollout as it did live.
// Measured: thread CPU time (CLOCK_THREAD_CPUTIME_ID) and wall time of each pass, events
// per CPU-second, heap in use (mallinfo2) and RSS before and after the tracked pass, peak
// RSS during it, and the tracker's Counts. After each tracked pass the tracker must list,
// for every recorded Deployment, its two rollouts (creation at :v1, then :v2) complete
// with all their pods ready; the program exits 1 otherwise.
//
// --namespace NS replays only the lines that name that namespace (the slice the Python
// peer, bench/rollout_peer.py, decodes), for a ratio on identical input.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "kube/parse.h"
#include "pprof/gzip.h"
#include "proc_memory.h"
#include "rollout/tracker.h"

using kprof::bench::ResetPeakRss;
using kprof::bench::StatusKb;

namespace {

using namespace kprof;
using nlohmann::json;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "rollout_bench: %s\n", what.c_str());
  std::exit(1);
}

enum class Resource { kDeployments, kReplicaSets, kPods, kEvents };
constexpr const char* kResourceNames[] = {"deployments", "replicasets", "pods", "events"};

struct Line {
  Resource resource;
  std::int64_t arrival = 0;
  std::string_view json;
};

struct Recording {
  std::string data;  // the whole file, inflated; lines point into it
  json header;
  std::vector<Line> lines;
};

Recording Load(const std::string& path, const std::string& ns) {
  Recording rec;
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::stringstream raw;
  raw << in.rdbuf();
  std::string file = raw.str();
  if (pprof::IsGzip(file)) {
    if (Status s = pprof::Gunzip(file, std::size_t{16} << 30, &rec.data); !s.ok()) {
      Die(path + ": " + s.ToString());
    }
  } else {
    rec.data = std::move(file);
  }
  const std::string ns_field = "\"namespace\":\"" + ns + "\"";
  std::string_view rest = rec.data;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) Die(path + ": last line is not complete");
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    constexpr std::string_view kHeader = "# kprof rollout recording ";
    if (line.substr(0, kHeader.size()) == kHeader) {
      rec.header = json::parse(line.substr(kHeader.size()));
      continue;
    }
    std::size_t tab1 = line.find('\t');
    std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) Die(path + ": not RESOURCE TAB ARRIVAL TAB LINE");
    std::string_view name = line.substr(0, tab1);
    Line l;
    auto it = std::find(std::begin(kResourceNames), std::end(kResourceNames), name);
    if (it == std::end(kResourceNames)) Die(path + ": unknown resource " + std::string(name));
    l.resource = static_cast<Resource>(it - std::begin(kResourceNames));
    std::from_chars(line.data() + tab1 + 1, line.data() + tab2, l.arrival);
    l.json = line.substr(tab2 + 1);
    if (!ns.empty() && l.json.find(ns_field) == std::string_view::npos) continue;
    rec.lines.push_back(l);
  }
  if (rec.header.is_null()) Die(path + ": no recording header");
  return rec;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Bytes malloc has handed out and not had back (small blocks and mmapped ones).
std::size_t HeapInUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Per-resource share of a pass (wall time around each line, so its sum is a little
// above the pass's CPU time).
struct ResourceTally {
  std::size_t lines = 0;
  double seconds = 0;
};

template <typename T>
bool Decode(std::string_view line, kube::WatchEvent<T>* out) {
  Result<kube::WatchEvent<T>> event = kube::ParseWatchEvent<T>(line);
  if (!event.ok()) return false;
  *out = std::move(*event);
  return true;
}

struct PassResult {
  double cpu_seconds = 0;
  double wall_seconds = 0;
  std::size_t events = 0;     // lines other than bookmarks
  std::size_t bookmarks = 0;  // decoded, not given to the tracker
  std::size_t failed = 0;     // lines ParseWatchEvent rejected
  ResourceTally by_resource[4];
};

// Decodes every line and drops the result.
PassResult DecodeOnly(const std::vector<Line>& lines) {
  PassResult r;
  std::size_t sink = 0;
  auto count = [&](kube::WatchEventType type, const kube::ObjectMeta& meta) {
    if (type == kube::WatchEventType::kBookmark) {
      ++r.bookmarks;
    } else {
      ++r.events;
      sink += meta.uid.size();
    }
  };
  const double wall0 = WallSeconds(), cpu0 = ThreadCpuSeconds();
  for (const Line& line : lines) {
    const auto t0 = std::chrono::steady_clock::now();
    bool ok = false;
    switch (line.resource) {
      case Resource::kDeployments: {
        kube::WatchEvent<kube::Deployment> e;
        if ((ok = Decode(line.json, &e))) count(e.type, e.object.meta);
        break;
      }
      case Resource::kReplicaSets: {
        kube::WatchEvent<kube::ReplicaSet> e;
        if ((ok = Decode(line.json, &e))) count(e.type, e.object.meta);
        break;
      }
      case Resource::kPods: {
        kube::WatchEvent<kube::Pod> e;
        if ((ok = Decode(line.json, &e))) count(e.type, e.object.meta);
        break;
      }
      case Resource::kEvents: {
        kube::WatchEvent<kube::Event> e;
        if ((ok = Decode(line.json, &e))) count(e.type, e.object.meta);
        break;
      }
    }
    if (!ok) ++r.failed;
    ResourceTally& tally = r.by_resource[static_cast<int>(line.resource)];
    ++tally.lines;
    tally.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  r.cpu_seconds = ThreadCpuSeconds() - cpu0;
  r.wall_seconds = WallSeconds() - wall0;
  if (sink == 0 && r.events > 0) Die("decoded objects without uids");
  return r;
}

// Decodes every line into `tracker` as the watcher's informers would.
PassResult Track(const std::vector<Line>& lines, rollout::Tracker* tracker, std::int64_t* clock_now,
                 std::size_t* snapshots_taken) {
  PassResult r;
  std::size_t since_take = 0;
  const double wall0 = WallSeconds(), cpu0 = ThreadCpuSeconds();
  for (const Line& line : lines) {
    const auto t0 = std::chrono::steady_clock::now();
    *clock_now = line.arrival;
    bool ok = false, bookmark = false;
    switch (line.resource) {
      case Resource::kDeployments: {
        kube::WatchEvent<kube::Deployment> e;
        if (!(ok = Decode(line.json, &e))) break;
        if (e.type == kube::WatchEventType::kDeleted) {
          tracker->OnDeploymentDeleted(e.object);
        } else if (e.type == kube::WatchEventType::kBookmark) {
          bookmark = true;
        } else {
          tracker->OnDeployment(e.object);
        }
        break;
      }
      case Resource::kReplicaSets: {
        kube::WatchEvent<kube::ReplicaSet> e;
        if (!(ok = Decode(line.json, &e))) break;
        if (e.type == kube::WatchEventType::kDeleted) {
          tracker->OnReplicaSetDeleted(e.object);
        } else if (e.type == kube::WatchEventType::kBookmark) {
          bookmark = true;
        } else {
          tracker->OnReplicaSet(e.object);
        }
        break;
      }
      case Resource::kPods: {
        kube::WatchEvent<kube::Pod> e;
        if (!(ok = Decode(line.json, &e))) break;
        if (e.type == kube::WatchEventType::kDeleted) {
          tracker->OnPodDeleted(e.object);
        } else if (e.type == kube::WatchEventType::kBookmark) {
          bookmark = true;
        } else {
          tracker->OnPod(e.object);
        }
        break;
      }
      case Resource::kEvents: {
        kube::WatchEvent<kube::Event> e;
        if (!(ok = Decode(line.json, &e))) break;
        if (e.type == kube::WatchEventType::kBookmark) {
          bookmark = true;
        } else if (e.type != kube::WatchEventType::kDeleted) {
          tracker->OnEvent(e.object);  // the watcher ignores deleted events
        }
        break;
      }
    }
    if (!ok) {
      ++r.failed;
    } else if (bookmark) {
      ++r.bookmarks;
    } else {
      ++r.events;
      if (++since_take == 1000) {
        *snapshots_taken += tracker->TakeChanged().size();
        since_take = 0;
      }
    }
    ResourceTally& tally = r.by_resource[static_cast<int>(line.resource)];
    ++tally.lines;
    tally.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  *snapshots_taken += tracker->TakeChanged().size();
  r.cpu_seconds = ThreadCpuSeconds() - cpu0;
  r.wall_seconds = WallSeconds() - wall0;
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// What the tracker must say after the replay: every Deployment has rolled out twice
// (created at :v1, then :v2), both rollouts complete, each with all its pods ready.
struct Check {
  std::size_t deployments = 0;
  std::size_t rollouts = 0;
  std::size_t complete_with_all_pods_ready = 0;
  std::size_t v2_complete = 0;
  // Sanity of the timelines: medians over the :v2 rollouts of their duration and of
  // their pods' median created → ready time.
  double v2_duration_seconds = 0;
  double v2_pod_total_p50_seconds = 0;
  std::map<std::string, std::size_t> outcomes;
  std::vector<std::string> problems;  // the first few
  bool ok = false;
};

Check CheckRollouts(const rollout::Tracker& tracker, std::size_t want_deployments,
                    std::size_t pods) {
  Check c;
  std::map<std::string, std::vector<const rollout::Rollout*>> by_deployment;
  const std::vector<rollout::Rollout> all = tracker.List({});
  for (const rollout::Rollout& r : all) by_deployment[r.deployment_uid].push_back(&r);
  c.deployments = by_deployment.size();
  c.rollouts = all.size();
  std::vector<double> v2_durations, v2_pod_totals;
  auto problem = [&](const rollout::Rollout& r, const std::string& what) {
    if (c.problems.size() < 10) c.problems.push_back(r.id + ": " + what);
  };
  for (const auto& [uid, rollouts] : by_deployment) {
    for (const rollout::Rollout* r : rollouts) {
      ++c.outcomes[std::string(rollout::OutcomeName(r->outcome))];
      std::size_t ready = 0;
      for (const rollout::PodTimeline& p : r->pods) ready += p.ready != 0 ? 1 : 0;
      if (r->outcome != rollout::Outcome::kComplete) {
        problem(*r, "outcome " + std::string(rollout::OutcomeName(r->outcome)) + ", " + r->message);
      } else if (r->pods.size() != pods || ready != pods) {
        problem(*r, std::to_string(r->pods.size()) + " pods, " + std::to_string(ready) +
                        " ready, want " + std::to_string(pods));
      } else {
        ++c.complete_with_all_pods_ready;
        if (r->revision == 2 && !r->images_after.empty() &&
            r->images_after[0].second.ends_with(":v2") && !r->images_before.empty() &&
            r->images_before[0].second.ends_with(":v1")) {
          ++c.v2_complete;
          v2_durations.push_back(static_cast<double>(r->end - r->start) / 1e9);
          for (const rollout::PhaseStats& s : r->Stats()) {
            if (s.phase == rollout::Phase::kTotal) {
              v2_pod_totals.push_back(static_cast<double>(s.p50_nanos) / 1e9);
            }
          }
        }
      }
    }
  }
  c.ok = c.deployments == want_deployments && c.rollouts == 2 * want_deployments &&
         c.complete_with_all_pods_ready == 2 * want_deployments &&
         c.v2_complete == want_deployments;
  c.v2_duration_seconds = Median(v2_durations);
  c.v2_pod_total_p50_seconds = Median(v2_pod_totals);
  return c;
}

json Tallies(const PassResult& p) {
  json out = json::object();
  for (int i = 0; i < 4; ++i) {
    out[kResourceNames[i]] = {{"lines", p.by_resource[i].lines},
                              {"seconds", p.by_resource[i].seconds}};
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string in_path, out_path, ns;
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--in") && i + 1 < argc) {
      in_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) {
      out_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--namespace") && i + 1 < argc) {
      ns = argv[++i];
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      Die("usage: kprof_rollout_bench --in FILE [--runs N] [--out FILE] [--namespace NS]");
    }
  }
  if (in_path.empty()) Die("--in is required");

  const double load0 = WallSeconds();
  const Recording rec = Load(in_path, ns);
  const double load_seconds = WallSeconds() - load0;
  const std::size_t pods = rec.header.value("pods_per_deployment", 0);
  std::size_t want_deployments = rec.header.value("deployments", 0);
  if (!ns.empty()) want_deployments /= std::max(1, rec.header.value("namespaces", 1));
  const std::int64_t started_ns = rec.header.value("started_ns", std::int64_t{0});
  std::size_t json_bytes = 0;
  for (const Line& l : rec.lines) json_bytes += l.json.size();
  std::fprintf(stderr, "rollout_bench: %zu lines (%.0f MB of JSON%s%s) loaded in %.1f s\n",
               rec.lines.size(), static_cast<double>(json_bytes) / 1e6,
               ns.empty() ? "" : ", namespace ", ns.c_str(), load_seconds);

  json run_results = json::array();
  std::vector<double> decode_rate, track_rate, track_cpu, decode_cpu, heap_growth;
  bool all_ok = true;
  for (int run = 0; run < runs; ++run) {
    PassResult decode = DecodeOnly(rec.lines);

    const std::size_t heap0 = HeapInUse();
    const long rss0 = StatusKb("VmRSS");
    const bool peak_reset = ResetPeakRss();
    std::int64_t clock_now = started_ns;
    rollout::TrackerOptions options;
    options.clock = [&clock_now] { return clock_now; };
    metrics::Registry registry;
    rollout::Tracker tracker(options, &registry);
    std::size_t snapshots = 0;
    PassResult track = Track(rec.lines, &tracker, &clock_now, &snapshots);
    const std::size_t heap1 = HeapInUse();
    const long rss1 = StatusKb("VmRSS");
    const long peak_growth = peak_reset ? StatusKb("VmHWM") - rss0 : -1;
    const rollout::Tracker::Counts counts = tracker.counts();
    const Check check = CheckRollouts(tracker, want_deployments, pods);
    all_ok = all_ok && check.ok && decode.failed == 0 && track.failed == 0;

    const double d_rate = static_cast<double>(decode.events) / decode.cpu_seconds;
    const double t_rate = static_cast<double>(track.events) / track.cpu_seconds;
    decode_rate.push_back(d_rate);
    track_rate.push_back(t_rate);
    decode_cpu.push_back(decode.cpu_seconds);
    track_cpu.push_back(track.cpu_seconds);
    const double growth = static_cast<double>(heap1) - static_cast<double>(heap0);
    heap_growth.push_back(growth);
    std::fprintf(stderr,
                 "run %d: decode %zu events in %.3f s CPU (%.0f/s); decode+track %.3f s CPU "
                 "(%.0f/s), %.3f s wall; heap +%.1f MB, RSS %.1f → %.1f MB; check %s\n",
                 run + 1, decode.events, decode.cpu_seconds, d_rate, track.cpu_seconds, t_rate,
                 track.wall_seconds, growth / 1e6, rss0 / 1024.0, rss1 / 1024.0,
                 check.ok ? "ok" : "FAILED");
    for (const std::string& p : check.problems) std::fprintf(stderr, "  %s\n", p.c_str());

    run_results.push_back({
        {"decode",
         {{"events", decode.events},
          {"bookmarks", decode.bookmarks},
          {"failed", decode.failed},
          {"cpu_seconds", decode.cpu_seconds},
          {"wall_seconds", decode.wall_seconds},
          {"events_per_cpu_second", d_rate},
          {"by_resource", Tallies(decode)}}},
        {"track",
         {{"events", track.events},
          {"bookmarks", track.bookmarks},
          {"failed", track.failed},
          {"cpu_seconds", track.cpu_seconds},
          {"wall_seconds", track.wall_seconds},
          {"events_per_cpu_second", t_rate},
          {"snapshots_taken", snapshots},
          {"by_resource", Tallies(track)}}},
        {"memory",
         {{"heap_in_use_before_bytes", heap0},
          {"heap_in_use_after_bytes", heap1},
          {"heap_growth_bytes", growth},
          {"rss_before_kb", rss0},
          {"rss_after_kb", rss1},
          {"peak_rss_growth_kb", peak_growth}}},
        {"counts",
         {{"deployments", counts.deployments},
          {"replicasets", counts.replicasets},
          {"pods", counts.pods},
          {"events", counts.events},
          {"pending_events", counts.pending_events},
          {"rollouts_started", counts.rollouts_started}}},
        {"check",
         {{"ok", check.ok},
          {"deployments", check.deployments},
          {"rollouts", check.rollouts},
          {"complete_with_all_pods_ready", check.complete_with_all_pods_ready},
          {"v2_complete", check.v2_complete},
          {"v2_duration_seconds_median", check.v2_duration_seconds},
          {"v2_pod_total_p50_seconds_median", check.v2_pod_total_p50_seconds},
          {"outcomes", check.outcomes},
          {"problems", check.problems}}},
    });
  }

  const double rate = Median(track_rate);
  json result = {
      {"input", in_path},
      {"namespace", ns},
      {"recording", rec.header},
      {"lines", rec.lines.size()},
      {"json_bytes", json_bytes},
      {"runs", run_results},
      {"median",
       {{"decode_events_per_cpu_second", Median(decode_rate)},
        {"track_events_per_cpu_second", rate},
        {"decode_cpu_seconds", Median(decode_cpu)},
        {"track_cpu_seconds", Median(track_cpu)},
        {"tracker_share_of_cpu", 1 - Median(decode_cpu) / Median(track_cpu)},
        {"heap_growth_bytes", Median(heap_growth)}}},
      {"target_events_per_cpu_second", 5000},
      {"target_met", rate >= 5000},
      {"checks_ok", all_ok},
  };
  if (!out_path.empty()) {
    std::ofstream(out_path) << result.dump(2) << "\n";
  } else {
    std::printf("%s\n", result.dump(2).c_str());
  }
  std::fprintf(stderr,
               "median of %d: decode %.0f events/CPU-s, decode+track %.0f events/CPU-s "
               "(target 5,000: %s); tracker heap +%.1f MB\n",
               runs, Median(decode_rate), rate, rate >= 5000 ? "met" : "MISSED",
               Median(heap_growth) / 1e6);
  return all_ok ? 0 : 1;
}
