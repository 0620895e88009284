// The embedded backend: a ProfileStore on RocksDB in one data directory.
//
// Column families: meta (services, series), dict (per-service dictionaries),
// profiles (normalized profiles by series and time), rollups (pre-aggregated time
// buckets) and raw (uploaded bytes, zstd-compressed blocks, kept
// for exact GET, with their own retention). Every acknowledged Ingest is synced to
// the write-ahead log (group commit), so a crash loses nothing acknowledged.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kprof::store {

struct EmbeddedOptions {
  std::string data_dir;
  bool sync = true;  // fsync the WAL before acknowledging (false only for experiments)
  std::vector<std::string> instance_label_names = DefaultInstanceLabelNames();
  size_t max_profiles_per_merge = 200000;  // beyond: merge the newest, report N of M
};

Result<std::unique_ptr<ProfileStore>> OpenEmbeddedStore(const EmbeddedOptions& options);

}  // namespace kprof::store
