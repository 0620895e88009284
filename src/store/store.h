// ProfileStore: the profile repository behind the server.
//
// A profile is stored under a series — (service, type, series labels) — at its
// time. Labels named in `instance_label_names` (pod, instance, pod-template-hash …)
// are kept per profile as instance attributes for filtering, not as series identity,
// so a rollout with 50 new pods does not create 50 new series.
//
// Backends (registered in store/registry.h) implement this interface and pass the
// conformance suite in tests/unit/store/conformance_test.cc.
//
// Thread-safety: every method may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/profile.h"
#include "store/labels.h"
#include "store/selector.h"

namespace kprof::store {

// Opaque, time-sortable profile id (hex; sorts by time).
using ProfileId = std::string;

struct ProfileMeta {
  ProfileId id;
  std::string service;
  std::string type;  // cpu, heap, allocs, goroutine, block, mutex, threadcreate, other
  Labels labels;     // series labels and instance attributes together
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  int64_t ingested_nanos = 0;
  uint32_t samples = 0;
  uint64_t raw_bytes = 0;  // size of the profile as uploaded
  bool raw_kept = false;   // the uploaded bytes are still retained
  // Sample types ("cpu", "nanoseconds") and each one's total over the profile.
  std::vector<std::pair<std::string, std::string>> sample_types;
  std::vector<int64_t> totals;
};

struct IngestInput {
  std::string service;
  std::string type;
  Labels labels;
  std::string raw;         // the bytes as uploaded (gzipped or plain pprof)
  pprof::Profile profile;  // decoded from `raw` by the caller
  int64_t time_nanos = 0;  // 0: the profile's own time_nanos, else ingest time
};

struct ProfileQuery {
  std::string service;  // "" = every service (fleet-wide queries)
  std::string type;     // "" = every type (listing only)
  Selector selector;    // label matchers (series labels and instance attributes)
  int64_t from_nanos = 0;
  int64_t to_nanos = INT64_MAX;  // [from, to)
  size_t limit = 0;              // listing: at most this many (0 = no limit)
  std::string after;             // listing: resume after this id (pagination)
  bool descending = false;       // listing order by time
  bool use_rollups = true;       // merges may read pre-aggregated buckets
};

struct MergeOutcome {
  pprof::Profile profile;
  size_t profiles_merged = 0;   // how many profiles the result includes
  size_t profiles_matched = 0;  // how many matched the query
  size_t rollup_buckets = 0;    // pre-aggregated buckets read instead of profiles
};

struct ServiceInfo {
  std::string name;
  std::vector<std::string> types;
};

struct StoreStats {
  uint64_t profiles = 0;
  uint64_t series = 0;
  uint64_t services = 0;
  uint64_t disk_bytes = 0;      // everything but retained raw uploads
  uint64_t raw_disk_bytes = 0;  // retained raw uploads
  uint64_t symbols = 0;         // interned functions + locations + stacks
};

struct RetentionPolicy {
  int64_t profiles_nanos = 0;  // 0 = keep forever
  int64_t raw_nanos = 0;       // uploaded bytes; 0 = as long as the profile
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;

  // Stores a profile. On success the profile is durable: it survives a crash.
  virtual Result<ProfileMeta> Ingest(IngestInput input) = 0;

  virtual Result<std::vector<ProfileMeta>> List(const ProfileQuery& query) = 0;
  virtual Result<ProfileMeta> Meta(const ProfileId& id) = 0;

  // The uploaded bytes, or NotFound once raw retention dropped them.
  virtual Result<std::string> GetRaw(const ProfileId& id) = 0;
  // The profile rebuilt from normalized storage (same samples, symbols and header).
  virtual Result<pprof::Profile> Get(const ProfileId& id) = 0;

  // Merges every profile matching `query` (type required). NotFound if none match.
  virtual Result<MergeOutcome> Merge(const ProfileQuery& query) = 0;

  virtual Result<std::vector<ServiceInfo>> Services() = 0;
  virtual Result<std::vector<std::string>> LabelNames(const ProfileQuery& query) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const ProfileQuery& query) = 0;

  // Background work as of `now_nanos`: builds time rollups for buckets that have
  // closed and rebuilds buckets that late profiles made stale. Idempotent.
  virtual Status Maintain(int64_t now_nanos) = 0;

  // Compacts storage so deleted data leaves the disk and reads touch few files.
  virtual Status Compact() = 0;

  // Deletes what the policy no longer keeps, as of `now_nanos`.
  virtual Status ApplyRetention(const RetentionPolicy& policy, int64_t now_nanos) = 0;
  virtual Result<StoreStats> Stats() = 0;
};

// The default instance attributes: high-cardinality pod identity.
const std::vector<std::string>& DefaultInstanceLabelNames();

// A profile as pprof bytes: the upload itself while raw retention keeps it, else the
// normalized copy encoded again (gzipped).
Result<std::string> StoredProfileBytes(ProfileStore* store, const ProfileId& id);

}  // namespace kprof::store
