// Metrics in the Prometheus text exposition format (version 0.0.4).
//
// A Registry owns metric families; each family has a name, help, type and label
// names, and hands out children per label values. Counters and gauges are atomic;
// histograms use fixed buckets with atomic counts. Render() writes the whole
// registry, including any gauges computed on demand by collectors.
//
// Thread-safety: everything may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kprof::metrics {

class Counter {
 public:
  void Add(double v = 1) {
    double old = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) {
    double old = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Cumulative counts per bound, then +Inf; sum; count.
  void Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Default latency buckets in seconds: 1 ms … 60 s.
std::vector<double> LatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

class Registry {
 public:
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const std::map<std::string, std::string>& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help,
                  const std::map<std::string, std::string>& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::map<std::string, std::string>& labels = {},
                          std::vector<double> bounds = LatencyBuckets());

  // Drops one child (say, the gauges of a Deployment that was deleted). Pointers to it
  // that callers still hold become dangling: only remove children nobody caches.
  void Remove(const std::string& name, const std::map<std::string, std::string>& labels);

  // A function run at every Render(), to refresh gauges that mirror other state.
  void AddCollector(std::function<void(Registry*)> collect);

  std::string Render();

 private:
  struct Family {
    std::string help;
    Type type;
    std::map<std::map<std::string, std::string>, std::unique_ptr<Counter>> counters;
    std::map<std::map<std::string, std::string>, std::unique_ptr<Gauge>> gauges;
    std::map<std::map<std::string, std::string>, std::unique_ptr<Histogram>> histograms;
  };
  Family* GetFamily(const std::string& name, const std::string& help, Type type);

  std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Registry*)>> collectors_;
};

}  // namespace kprof::metrics
