// The scrape engine: keeps the target set, runs every (target, profile type) on its
// interval with a global concurrency limit and per-scrape deadlines, turns cumulative
// profiles into deltas, and writes results to the spool for delivery.
//
// Scheduling: each (target, type) gets a fixed offset inside its interval (a hash of the
// target key and type), so a thousand pods that appear together are scraped spread out,
// and then runs on that grid: due times never drift, a slow scrape does not push later
// ones back, and a scrape still running when its next turn comes is skipped (counted),
// not doubled. With `jitter` > 0 each run also moves by a random amount within
// ±jitter/2 of the interval. Scrape lag is how late a scrape started against its due time
// (waiting for a concurrency slot or for the scheduler thread).
//
// Threads: one scheduler thread; transfers run on the shared HttpClient's loop; finished
// transfers are processed (validated, delta'd, spooled) by `process_threads` threads.
// Public methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "collect/spool.h"
#include "collect/target.h"
#include "kube/client.h"
#include "net/http_client.h"

namespace kprof::collect {

struct CollectorOptions {
  int max_concurrent = 1000;  // scrapes in flight at once, CPU captures included
  double jitter = 0;          // 0…1, fraction of the interval
  // Deadline of a scrape; CPU scrapes get their capture seconds on top.
  std::chrono::milliseconds timeout{10000};
  std::size_t max_profile_bytes = std::size_t{64} << 20;
  int process_threads = 2;
  // Targets behind kube-rbac-proxy or with TLS (direct scrapes only).
  net::TlsOptions target_tls;
  std::string target_token_file;  // bearer token sent to targets, re-read as it rotates
};

struct ScrapeLagQuantiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;  // seconds
  uint64_t count = 0;
};

struct CollectorStats {
  uint64_t targets = 0;
  uint64_t scrapes = 0;  // finished, successful or not
  uint64_t failures = 0;
  uint64_t skipped = 0;    // previous scrape of the same target and type still running
  uint64_t baselines = 0;  // first scrape of a cumulative type: kept, not sent
  uint64_t resets = 0;     // the process restarted: a new baseline
  uint64_t spooled = 0;
  ScrapeLagQuantiles lag;  // over the most recent scrapes
};

class Collector {
 public:
  // `kube` may be null when no target uses the pod proxy. `spool` and `registry` must
  // outlive the collector.
  Collector(CollectorOptions options, std::shared_ptr<net::HttpClient> http, kube::Client* kube,
            Spool* spool, metrics::Registry* registry);
  ~Collector();  // stops
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  void Start();
  void Stop();

  // Adds a target or updates the one with the same key. Changing only labels or the
  // instance keeps its schedule; a new instance starts new baselines.
  void Upsert(Target target);
  void Remove(const std::string& key);
  std::vector<Target> Targets() const;
  CollectorStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kprof::collect
