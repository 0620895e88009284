// Where finished and running rollouts are kept: RolloutStore, and an implementation on
// its own RocksDB under DATA_DIR/rollouts (records are the JSON of rollout_json.h, keyed
// by rollout id). A record that fails to parse is skipped and counted, never fatal.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "rollout/rollout.h"
#include "rollout/tracker.h"

namespace kprof::rollout {

class RolloutStore {
 public:
  virtual ~RolloutStore() = default;
  // Inserts or replaces the record with the rollout's id.
  virtual Status Put(const Rollout& rollout) = 0;
  virtual Result<Rollout> Get(const std::string& id) = 0;
  // Newest start first; at most `limit` (0 = all).
  virtual Result<std::vector<Rollout>> List(const RolloutFilter& filter, std::size_t limit) = 0;
  // Records that could not be read since open.
  virtual std::uint64_t corrupt_records() const = 0;
};

Result<std::unique_ptr<RolloutStore>> OpenRolloutStore(const std::string& dir);

}  // namespace kprof::rollout
