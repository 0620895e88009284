#include "collect/collector.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "base/hash.h"
#include "base/token_file.h"
#include "pprof/decode.h"
#include "pprof/encode.h"
#include "pprof/merge.h"
#include "pprof/profile.h"

namespace kprof::collect {

using Clock = std::chrono::steady_clock;

namespace {

int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t Fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Recent scrape lags, for exact quantiles in stats and the agent's status page.
class LagWindow {
 public:
  void Add(double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    if (values_.size() < kSize) {
      values_.push_back(seconds);
    } else {
      values_[next_] = seconds;
    }
    next_ = (next_ + 1) % kSize;
    ++count_;
  }
  ScrapeLagQuantiles Quantiles() const {
    std::vector<double> v;
    uint64_t count;
    {
      std::lock_guard<std::mutex> lock(mu_);
      v = values_;
      count = count_;
    }
    ScrapeLagQuantiles q;
    q.count = count;
    if (v.empty()) return q;
    std::sort(v.begin(), v.end());
    auto at = [&](double p) {
      return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
    };
    q.p50 = at(0.50);
    q.p90 = at(0.90);
    q.p99 = at(0.99);
    q.max = v.back();
    return q;
  }

 private:
  static constexpr size_t kSize = 100000;
  mutable std::mutex mu_;
  std::vector<double> values_;
  size_t next_ = 0;
  uint64_t count_ = 0;
};

}  // namespace

class Collector::Impl {
 public:
  Impl(CollectorOptions options, std::shared_ptr<net::HttpClient> http, kube::Client* kube,
       Spool* spool, metrics::Registry* registry)
      : options_(std::move(options)),
        http_(std::move(http)),
        kube_(kube),
        spool_(spool),
        registry_(registry),
        rng_(std::random_device{}()) {
    lag_hist_ = registry_->GetHistogram(
        "kprof_agent_scrape_lag_seconds", "How late scrapes started against their scheduled time.",
        {}, {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
    skipped_ = registry_->GetCounter(
        "kprof_agent_scrapes_skipped_total",
        "Scrapes not started because the previous one of the same target and type still ran.");
    baselines_ = registry_->GetCounter(
        "kprof_agent_delta_baselines_total",
        "First scrapes of cumulative types (allocs, block, mutex, heap), kept as the baseline.");
    resets_ = registry_->GetCounter(
        "kprof_agent_delta_resets_total",
        "Cumulative profiles whose process restarted since the previous scrape.");
    if (!options_.target_token_file.empty()) {
      token_ = std::make_unique<TokenFile>(options_.target_token_file, std::chrono::seconds(5));
    }
    targets_gauge_ = registry_->GetGauge("kprof_agent_targets", "Scrape targets known now.");
    inflight_gauge_ = registry_->GetGauge("kprof_agent_scrapes_in_flight", "Scrapes running now.");
    // Looked up once: every finished scrape counts in them.
    for (ProfileKind kind : kAllKinds) {
      const std::map<std::string, std::string> labels = {{"type", std::string(KindName(kind))}};
      scrapes_by_kind_[static_cast<size_t>(kind)] = registry_->GetCounter(
          "kprof_agent_scrapes_total", "Finished scrapes by profile type.", labels);
      duration_by_kind_[static_cast<size_t>(kind)] = registry_->GetHistogram(
          "kprof_agent_scrape_duration_seconds", "Scrape durations.", labels);
    }
  }

  ~Impl() { Stop(); }

  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return;
    started_ = true;
    scheduler_ = std::thread([this] { SchedulerLoop(); });
    for (int i = 0; i < std::max(1, options_.process_threads); ++i) {
      processors_.emplace_back([this] { ProcessLoop(); });
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (auto id : running_ids_) http_->Cancel(id);
    }
    cv_.notify_all();
    done_cv_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    // Let cancelled transfers report, then stop the processors.
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(5), [&] { return active_ == 0; });
      processors_stop_ = true;
    }
    done_cv_.notify_all();
    for (auto& t : processors_) {
      if (t.joinable()) t.join();
    }
  }

  void Upsert(Target target) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find(target.key);
    if (it == targets_.end()) {
      auto& state = targets_[target.key];
      state.target = std::move(target);
      state.generation = ++generation_counter_;
      ScheduleAllLocked(state, Clock::now());
      targets_gauge_->Set(static_cast<double>(targets_.size()));
      cv_.notify_all();
      return;
    }
    TargetState& state = it->second;
    bool reschedule =
        state.target.kinds != target.kinds || state.target.intervals != target.intervals;
    state.target = std::move(target);
    if (reschedule) {
      state.generation = ++generation_counter_;
      ScheduleAllLocked(state, Clock::now());
      cv_.notify_all();
    }
  }

  void Remove(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    if (targets_.erase(key) == 0) return;
    targets_gauge_->Set(static_cast<double>(targets_.size()));
    // Jobs of the removed target are dropped when they come due; delta state now.
    std::lock_guard<std::mutex> dlock(delta_mu_);
    for (auto it = deltas_.lower_bound(key + "\x01");
         it != deltas_.end() && it->first.compare(0, key.size() + 1, key + "\x01") == 0;) {
      it = deltas_.erase(it);
    }
  }

  std::vector<Target> Targets() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Target> out;
    out.reserve(targets_.size());
    for (const auto& [key, state] : targets_) out.push_back(state.target);
    return out;
  }

  CollectorStats stats() const {
    CollectorStats s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      s.targets = targets_.size();
    }
    s.scrapes = scrapes_.load();
    s.failures = failures_.load();
    s.skipped = static_cast<uint64_t>(skipped_->value());
    s.baselines = static_cast<uint64_t>(baselines_->value());
    s.resets = static_cast<uint64_t>(resets_->value());
    s.spooled = spooled_.load();
    s.lag = lags_.Quantiles();
    return s;
  }

 private:
  struct TargetState {
    Target target;
    uint64_t generation = 0;
    std::map<ProfileKind, bool> running;
  };

  struct Job {
    Clock::time_point due;   // when it should start (grid time plus this run's jitter)
    Clock::time_point grid;  // the grid point, from which the next one is computed
    std::string key;
    ProfileKind kind;
    uint64_t generation;
    bool operator>(const Job& o) const { return due > o.due; }
  };

  struct TransferSlot {
    net::HttpClient::TransferId id = 0;
    bool done = false;
  };

  struct Finished {
    std::string key;
    ProfileKind kind;
    Target target;  // as it was when the scrape started
    net::Transfer transfer;
  };

  void ScheduleAllLocked(const TargetState& state, Clock::time_point now) {
    for (ProfileKind kind : state.target.kinds) {
      auto interval = state.target.IntervalOf(kind);
      uint64_t h = Fnv(state.target.key + "\x01" + std::string(KindName(kind)));
      auto offset = std::chrono::milliseconds(interval.count() > 0 ? h % interval.count() : 0);
      Job job{now + offset, now + offset, state.target.key, kind, state.generation};
      job.due = WithJitter(job.grid, interval);
      jobs_.push(std::move(job));
    }
  }

  Clock::time_point WithJitter(Clock::time_point grid, std::chrono::milliseconds interval) {
    if (options_.jitter <= 0) return grid;
    double span = std::min(1.0, options_.jitter) * static_cast<double>(interval.count());
    std::uniform_real_distribution<double> dist(-span / 2, span / 2);
    return grid + std::chrono::milliseconds(static_cast<int64_t>(dist(rng_)));
  }

  void SchedulerLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (jobs_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto now = Clock::now();
      if (Clock::time_point due = jobs_.top().due; due > now) {
        cv_.wait_until(lock, due);
        continue;
      }
      if (active_ >= options_.max_concurrent) {
        cv_.wait(lock);  // a finishing scrape notifies
        continue;
      }
      Job job = jobs_.top();
      jobs_.pop();
      auto it = targets_.find(job.key);
      if (it == targets_.end() || it->second.generation != job.generation) continue;
      TargetState& state = it->second;
      auto interval = state.target.IntervalOf(job.kind);
      // Next turn on the grid; when far behind, skip the missed turns.
      Job next = job;
      next.grid = job.grid + interval;
      if (next.grid + interval < now) {
        auto behind = (now - next.grid) / interval;
        next.grid += interval * behind;
      }
      next.due = WithJitter(next.grid, interval);
      jobs_.push(next);
      if (state.running[job.kind]) {
        skipped_->Add();
        continue;
      }
      double lag = std::chrono::duration<double>(now - job.due).count();
      lag_hist_->Observe(std::max(0.0, lag));
      lags_.Add(std::max(0.0, lag));
      auto request = BuildRequest(state.target, job.kind);
      if (!request.ok()) {
        CountFailure(job.kind, "config");
        continue;
      }
      state.running[job.kind] = true;
      ++active_;
      inflight_gauge_->Set(active_);
      Target snapshot = state.target;
      std::string key = job.key;
      ProfileKind kind = job.kind;
      // The callback may run before Start returns: it marks the slot done, and only a
      // transfer not yet done is remembered for cancelling at Stop.
      auto slot = std::make_shared<TransferSlot>();
      lock.unlock();
      auto id = http_->Start(
          std::move(request).value(),
          [this, key, kind, snapshot = std::move(snapshot), slot](net::Transfer t) mutable {
            {
              std::lock_guard<std::mutex> l(mu_);
              slot->done = true;
              running_ids_.erase(slot->id);
              finished_.push_back(Finished{key, kind, std::move(snapshot), std::move(t)});
            }
            done_cv_.notify_one();
          });
      lock.lock();
      if (!slot->done) {
        slot->id = id;
        running_ids_.insert(id);
      }
    }
  }

  Result<net::ClientRequest> BuildRequest(const Target& t, ProfileKind kind) {
    net::ClientRequest r;
    std::string path = t.ProfilePath(kind);
    r.timeout = options_.timeout;
    if (kind == ProfileKind::kCpu) r.timeout += t.cpu_seconds;
    r.max_response_bytes = options_.max_profile_bytes;
    r.headers.emplace_back("Accept-Encoding", "gzip");
    if (t.via == Target::Via::kPodProxy) {
      if (kube_ == nullptr) return FailedPrecondition("pod proxy target without an API client");
      size_t q = path.find('?');
      std::string query = q == std::string::npos ? "" : path.substr(q);
      r.url = kube::Client::PodProxyPath(t.pod_namespace, t.pod_name, t.port, path.substr(0, q),
                                         t.scheme == "https" ? "https" : "") +
              query;
      return kube_->Authorize(std::move(r));
    }
    std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
    r.url = t.scheme + "://" + host + ":" + std::to_string(t.port) + path;
    r.tls = options_.target_tls;
    if (token_) {
      // Without a readable token the target answers 401, which is counted as such.
      if (auto token = token_->Get(); token.ok()) {
        r.headers.emplace_back("Authorization", "Bearer " + *token);
      }
    }
    return r;
  }

  void ProcessLoop() {
    while (true) {
      Finished f;
      {
        std::unique_lock<std::mutex> lock(mu_);
        done_cv_.wait(lock, [&] { return processors_stop_ || !finished_.empty(); });
        if (finished_.empty()) return;
        f = std::move(finished_.front());
        finished_.pop_front();
      }
      Process(f);
      {
        std::lock_guard<std::mutex> lock(mu_);
        --active_;
        inflight_gauge_->Set(active_);
        auto it = targets_.find(f.key);
        if (it != targets_.end()) it->second.running[f.kind] = false;
      }
      cv_.notify_all();
    }
  }

  void CountFailure(ProfileKind kind, std::string_view reason) {
    ++failures_;
    registry_
        ->GetCounter("kprof_agent_scrape_failures_total",
                     "Failed scrapes by profile type and reason.",
                     {{"type", std::string(KindName(kind))}, {"reason", std::string(reason)}})
        ->Add();
  }

  void Process(Finished& f) {
    ++scrapes_;
    const std::string type(KindName(f.kind));
    registry_
        ->GetCounter("kprof_agent_scrapes_total", "Finished scrapes by profile type.",
                     {{"type", type}})
        ->Add();
    registry_
        ->GetHistogram("kprof_agent_scrape_duration_seconds", "Scrape durations.", {{"type", type}})
        ->Observe(std::chrono::duration<double>(f.transfer.elapsed).count());
    if (!f.transfer.ok()) {
      CountFailure(f.kind, net::FailureKindName(f.transfer.failure));
      return;
    }
    const net::ClientResponse& resp = f.transfer.response;
    if (resp.status < 200 || resp.status > 299) {
      CountFailure(f.kind, resp.status >= 500 ? "http_5xx" : "http_4xx");
      return;
    }
    pprof::DecodeLimits limits;
    limits.max_decompressed_bytes = options_.max_profile_bytes * 4;
    pprof::Decoder decoder(limits);
    pprof::Profile current;
    if (!decoder.Decode(resp.body, &current).ok()) {
      CountFailure(f.kind, "invalid_profile");
      return;
    }
    Envelope e;
    e.service = f.target.service;
    e.type = type;
    e.labels = f.target.labels;
    e.time_nanos = current.time_nanos != 0 ? current.time_nanos : WallNanos();
    if (IsCumulative(f.kind)) {
      std::string dkey = f.key + "\x01" + type;
      std::optional<std::string> previous;
      {
        std::lock_guard<std::mutex> lock(delta_mu_);
        DeltaState& d = deltas_[dkey];
        if (d.instance == f.target.instance && !d.last.empty()) previous = d.last;
        bool restarted = !d.instance.empty() && d.instance != f.target.instance;
        d.instance = f.target.instance;
        d.last = resp.body;
        if (restarted) resets_->Add();
      }
      if (!previous) {
        baselines_->Add();
        return;
      }
      pprof::Profile prev;
      if (!decoder.Decode(*previous, &prev).ok()) return;  // validated when it arrived
      auto delta = pprof::Delta(prev, current);
      if (!delta.ok()) {
        CountFailure(f.kind, "delta");
        return;
      }
      if (delta->reset) resets_->Add();
      e.profile = pprof::EncodeProfileGzip(delta->profile);
    } else {
      e.profile = resp.body;
      if (e.profile.size() < 2 || static_cast<unsigned char>(e.profile[0]) != 0x1f ||
          static_cast<unsigned char>(e.profile[1]) != 0x8b) {
        e.profile = pprof::EncodeProfileGzip(current);
      }
    }
    if (Status s = spool_->Put(e); !s.ok()) {
      CountFailure(f.kind, "spool");
      return;
    }
    ++spooled_;
  }

  struct DeltaState {
    std::string instance;
    std::string last;  // the previous scrape's bytes (gzipped: small)
  };

  CollectorOptions options_;
  std::shared_ptr<net::HttpClient> http_;
  kube::Client* kube_;
  Spool* spool_;
  metrics::Registry* registry_;
  std::unique_ptr<TokenFile> token_;  // null without --target-token-file
  std::mt19937_64 rng_;

  metrics::Histogram* lag_hist_;
  metrics::Counter* skipped_;
  metrics::Counter* baselines_;
  metrics::Counter* resets_;
  metrics::Gauge* targets_gauge_;
  metrics::Gauge* inflight_gauge_;
  std::array<metrics::Counter*, kAllKinds.size()> scrapes_by_kind_{};
  std::array<metrics::Histogram*, kAllKinds.size()> duration_by_kind_{};
  LagWindow lags_;
  std::atomic<uint64_t> scrapes_{0}, failures_{0}, spooled_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;       // scheduler: new jobs, free slots, stop
  std::condition_variable done_cv_;  // processors: finished transfers
  std::map<std::string, TargetState> targets_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> jobs_;
  std::deque<Finished> finished_;
  std::set<net::HttpClient::TransferId> running_ids_;
  uint64_t generation_counter_ = 0;
  int active_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool processors_stop_ = false;
  std::thread scheduler_;
  std::vector<std::thread> processors_;

  std::mutex delta_mu_;
  std::map<std::string, DeltaState> deltas_;
};

Collector::Collector(CollectorOptions options, std::shared_ptr<net::HttpClient> http,
                     kube::Client* kube, Spool* spool, metrics::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(http), kube, spool, registry)) {}
Collector::~Collector() = default;
void Collector::Start() { impl_->Start(); }
void Collector::Stop() { impl_->Stop(); }
void Collector::Upsert(Target target) { impl_->Upsert(std::move(target)); }
void Collector::Remove(const std::string& key) { impl_->Remove(key); }
std::vector<Target> Collector::Targets() const { return impl_->Targets(); }
CollectorStats Collector::stats() const { return impl_->stats(); }

}  // namespace kprof::collect
