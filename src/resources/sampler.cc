#include "resources/sampler.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace kprof::resources {
namespace {

int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LogFunction OrStderr(LogFunction log) {
  if (log) return log;
  return [](const std::string& message) {
    std::fprintf(stderr, "kprof resources: %s\n", message.c_str());
  };
}

struct Counters {
  metrics::Counter* ok = nullptr;
  metrics::Counter* failed = nullptr;
  metrics::Counter* samples = nullptr;
};

Counters RegisterCounters(metrics::Registry* registry) {
  if (registry == nullptr) return {};
  const std::string scrapes_help = "Resource measurements of a node or local target, by result.";
  return {
      registry->GetCounter("kprof_resources_scrapes_total", scrapes_help, {{"result", "ok"}}),
      registry->GetCounter("kprof_resources_scrapes_total", scrapes_help, {{"result", "error"}}),
      registry->GetCounter("kprof_resources_samples_total",
                           "Resource samples appended to the resource store.")};
}

void Count(metrics::Counter* counter, double n = 1) {
  if (counter != nullptr) counter->Add(n);
}

// "2 of 3 nodes failed: a: …; b: …".
Status Failures(const std::vector<std::string>& failures, size_t total, std::string_view what) {
  if (failures.empty()) return Status::Ok();
  std::string message = std::to_string(failures.size()) + " of " + std::to_string(total) + " " +
                        std::string(what) + " failed: ";
  for (size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) message += "; ";
    message += failures[i];
  }
  return Unavailable(std::move(message));
}

// Δ per second between two readings of a counter, or -1.
double RatePerSecond(std::optional<uint64_t> before, std::optional<uint64_t> after,
                     double seconds) {
  if (!before || !after || *after < *before || seconds <= 0) return -1;
  return static_cast<double>(*after - *before) / seconds;
}

}  // namespace

// ---- PeriodicRound ----

PeriodicRound::PeriodicRound(std::chrono::milliseconds interval, std::function<void()> round)
    : interval_(interval), round_(std::move(round)) {}

PeriodicRound::~PeriodicRound() { Stop(); }

void PeriodicRound::Start() {
  if (thread_.joinable()) return;
  stopping_.store(false);
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicRound::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicRound::Loop() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_.load()) {
    lock.unlock();
    round_();
    lock.lock();
    next += interval_;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + interval_;  // a round overran: keep the interval after it
    wake_.wait_until(lock, next, [this] { return stopping_.load(); });
  }
}

// ---- KubeletSampler ----

KubeletSampler::KubeletSampler(kube::Client* client, ResourceStore* store,
                               metrics::Registry* registry, KubeletSamplerOptions options)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      loop_(options_.interval, [this] { (void)Round(/*stoppable=*/true); }) {
  options_.log = OrStderr(std::move(options_.log));
  Counters c = RegisterCounters(registry);
  scrapes_ok_ = c.ok;
  scrapes_failed_ = c.failed;
  samples_ = c.samples;
}

KubeletSampler::~KubeletSampler() { Stop(); }

void KubeletSampler::Start() { loop_.Start(); }
void KubeletSampler::Stop() { loop_.Stop(); }

Status KubeletSampler::SampleNode(const std::string& node, std::vector<Sample>* out) {
  Result<std::string> body =
      client_->GetRaw(kube::Client::NodeProxyPath(node, "stats/summary"), options_.node_timeout);
  if (!body.ok()) return body.status();
  Result<std::vector<SummaryPod>> pods = ParseStatsSummary(*body);
  if (!pods.ok()) return pods.status();
  std::vector<Sample> samples = rates_.Update(node, *pods, WallNanos());
  if (options_.owners) {
    // Each pod's rows share one lookup.
    std::string last_ns, last_pod;
    Owner owner;
    for (Sample& s : samples) {
      if (s.namespace_ != last_ns || s.pod != last_pod) {
        owner = options_.owners(s.namespace_, s.pod);
        last_ns = s.namespace_;
        last_pod = s.pod;
      }
      s.deployment = owner.deployment;
      s.replicaset = owner.replicaset;
    }
  }
  out->insert(out->end(), std::make_move_iterator(samples.begin()),
              std::make_move_iterator(samples.end()));
  return Status::Ok();
}

void KubeletSampler::NoteNode(const std::string& node, const Status& status) {
  auto it = node_errors_.find(node);
  if (status.ok()) {
    Count(scrapes_ok_);
    if (it != node_errors_.end()) {
      options_.log("node " + node + ": stats/summary works again");
      node_errors_.erase(it);
    }
    return;
  }
  Count(scrapes_failed_);
  if (it == node_errors_.end()) {
    options_.log("node " + node +
                 ": stats/summary failed (logged again once it recovers): " + status.message());
    node_errors_.emplace(node, status.message());
  }
}

Status KubeletSampler::SampleOnce() { return Round(/*stoppable=*/false); }

Status KubeletSampler::Round(bool stoppable) {
  std::lock_guard lock(round_mu_);
  std::vector<std::string> nodes = options_.nodes ? options_.nodes() : std::vector<std::string>();
  std::vector<Sample> samples;
  std::vector<std::string> failures;
  for (const std::string& node : nodes) {
    if (stoppable && loop_.stopping()) break;
    Status st = SampleNode(node, &samples);
    NoteNode(node, st);
    if (!st.ok()) failures.push_back(node + ": " + st.message());
  }
  rates_.RetainNodes(nodes);
  for (auto it = node_errors_.begin(); it != node_errors_.end();) {
    it = std::find(nodes.begin(), nodes.end(), it->first) == nodes.end() ? node_errors_.erase(it)
                                                                         : std::next(it);
  }
  if (!samples.empty()) {
    Status st = store_->Append(samples);
    if (!st.ok()) return st.WithContext("resource samples");
    Count(samples_, static_cast<double>(samples.size()));
  }
  return Failures(failures, nodes.size(), "nodes");
}

// ---- CgroupSampler ----

CgroupSampler::CgroupSampler(ResourceStore* store, metrics::Registry* registry,
                             CgroupSamplerOptions options)
    : options_(std::move(options)),
      store_(store),
      loop_(options_.interval, [this] { (void)SampleOnce(); }) {
  options_.log = OrStderr(std::move(options_.log));
  Counters c = RegisterCounters(registry);
  scrapes_ok_ = c.ok;
  scrapes_failed_ = c.failed;
  samples_ = c.samples;
}

CgroupSampler::~CgroupSampler() { Stop(); }

void CgroupSampler::Start() { loop_.Start(); }
void CgroupSampler::Stop() { loop_.Stop(); }

Status CgroupSampler::SampleOnce() {
  std::lock_guard lock(round_mu_);
  std::vector<Sample> samples;
  std::vector<std::string> failures;
  for (const LocalTarget& target : options_.targets) {
    Result<int> pid = target.pid > 0 ? Result<int>(target.pid)
                                     : PidListeningOn(target.host, target.port, options_.paths);
    Result<ProcessCounters> now = pid.ok() ? ReadProcessCounters(*pid, options_.paths)
                                           : Result<ProcessCounters>(pid.status());
    auto failing = failing_.find(target.name);
    if (!now.ok()) {
      Count(scrapes_failed_);
      failures.push_back(target.name + ": " + now.status().message());
      if (failing == failing_.end()) {
        options_.log("target " + target.name +
                     " cannot be measured (logged again once it can): " + now.status().message());
        failing_.emplace(target.name, now.status().message());
      }
      continue;
    }
    Count(scrapes_ok_);
    if (failing != failing_.end()) {
      options_.log("target " + target.name + " is measured again");
      failing_.erase(failing);
    }
    auto when = std::chrono::steady_clock::now();
    Sample row;
    row.time_nanos = WallNanos();
    row.namespace_ = options_.namespace_;
    row.pod = target.name;
    Sample network = row;
    row.container = now->comm.empty() ? "process" : now->comm;
    if (now->memory_working_set_bytes) {
      row.memory_working_set_bytes = static_cast<double>(*now->memory_working_set_bytes);
    }
    if (now->memory_rss_bytes) row.memory_rss_bytes = static_cast<double>(*now->memory_rss_bytes);
    auto prev = previous_.find(target.name);
    if (prev != previous_.end() && prev->second.pid == *pid) {
      const ProcessCounters& before = prev->second.counters;
      double seconds = std::chrono::duration<double>(when - prev->second.when).count();
      double cpu = RatePerSecond(before.cpu_usage_nanos, now->cpu_usage_nanos, seconds);
      // A new source (the cgroup appeared or went away) is a different counter.
      if (cpu >= 0 && before.cpu_source == now->cpu_source) row.cpu_cores = cpu / 1e9;
      network.rx_bytes_per_second = RatePerSecond(before.rx_bytes, now->rx_bytes, seconds);
      network.tx_bytes_per_second = RatePerSecond(before.tx_bytes, now->tx_bytes, seconds);
    }
    if (row.cpu_cores >= 0 || row.memory_working_set_bytes >= 0 || row.memory_rss_bytes >= 0) {
      samples.push_back(std::move(row));
    }
    if (network.rx_bytes_per_second >= 0 || network.tx_bytes_per_second >= 0) {
      samples.push_back(std::move(network));
    }
    previous_[target.name] = Previous{*pid, when, std::move(*now)};
  }
  if (!samples.empty()) {
    Status st = store_->Append(samples);
    if (!st.ok()) return st.WithContext("resource samples");
    Count(samples_, static_cast<double>(samples.size()));
  }
  return Failures(failures, options_.targets.size(), "targets");
}

}  // namespace kprof::resources
