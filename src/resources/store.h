// ResourceStore: where pod resource samples are kept, and Summarize, which condenses a
// set of samples into per-pod averages.
//
// OpenResourceStore is the RocksDB implementation, a database of its own in its own
// directory (DATA_DIR/resources), separate from the profile store. Rows are keyed by
// namespace, pod, container and time (big-endian), so one pod's series is one key range
// and a query jumps from series to series; owner labels are in the values. Writes go to
// the write-ahead log without an fsync: a process crash loses nothing, a machine crash
// the last few seconds of samples.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "resources/sample.h"

namespace kprof::resources {

// Which samples to read. Empty strings and an empty replicaset list match anything.
struct ResourceQuery {
  std::string namespace_;
  std::string pod;
  std::string deployment;
  std::vector<std::string> replicasets;  // any of
  std::string container;                 // "" = every container and the pod-level rows
  int64_t from_nanos = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t to_nanos = std::numeric_limits<int64_t>::max();    // exclusive
  size_t limit = 100000;  // at most this many samples (the first in key order)
};

class ResourceStore {
 public:
  virtual ~ResourceStore() = default;

  // Stores `samples`, all or none. Names may not contain NUL (kInvalidArgument). A
  // sample with the same namespace, pod, container and time as a stored one replaces it.
  virtual Status Append(const std::vector<Sample>& samples) = 0;

  // Matching samples ordered by namespace, pod, container, then time. A stored value
  // that cannot be decoded is skipped and counted in corrupt_values().
  virtual Result<std::vector<Sample>> Query(const ResourceQuery& query) = 0;

  // Deletes every sample older than `older_than_nanos`.
  virtual Status ApplyRetention(int64_t older_than_nanos) = 0;

  // Unreadable keys or values skipped since the store was opened.
  virtual uint64_t corrupt_values() const = 0;
};

// Opens (creating if needed) the store in directory `dir`.
Result<std::unique_ptr<ResourceStore>> OpenResourceStore(const std::string& dir);

// Averages of a set of samples, for "how much did these pods use". Each pod (namespace
// and pod name) is summarized on its own first: at each sample time its CPU and working
// set are the sums over its containers, and its means are over those times (network over
// its pod-level rows). The result's means are the means of the pods' means; the maxima
// are the highest single pod value at any time. -1 where nothing was measured.
struct Usage {
  double cpu_cores_mean = -1, cpu_cores_max = -1;
  double memory_mean = -1, memory_max = -1;  // working set bytes
  double rx_mean = -1, tx_mean = -1;         // bytes per second
  size_t pods = 0;                           // pods with at least one sample
  size_t samples = 0;                        // samples given
};
Usage Summarize(const std::vector<Sample>& samples);

}  // namespace kprof::resources
