// Merging profiles, and the delta of two cumulative profiles.
//
// Identity rules follow google/pprof (see docs/ARCHITECTURE.md, "Merge"):
//   * profiles are compatible when their period types are equal and their sample
//     types are equal position by position;
//   * functions are equal by (name, system name, file name, start line);
//   * mappings by (size rounded up to 4 KiB, file offset, build id or else file name);
//   * locations by (address relative to the mapping start, mapping, is_folded, and
//     every line's function, line and column) — all lines, unlike pprof's key, which
//     confuses some inlined frames;
//   * samples by (locations, labels); their values are summed.
// The header takes the minimum time, the sum of durations, the maximum period, the
// de-duplicated comments and the first profile's drop/keep frames.
//
// Memory is bounded by the size of the result: each added profile is folded in and
// only per-input scratch tables of its own size are kept while it is added.
//
// Thread-safety: a Merger serves one thread. MergeInParallel uses several Mergers.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/decode.h"
#include "pprof/index_set.h"
#include "pprof/profile.h"
#include "pprof/symbol_table.h"

namespace kprof::pprof {

class Merger {
 public:
  Merger();

  // Folds `p` into the result. `scale`, if given, has one factor per sample type
  // and multiplies p's values (Delta uses -1 and 0). Fails with kFailedPrecondition
  // when `p` is incompatible with the profiles added before; the result is then
  // unchanged.
  Status Add(const Profile& p, std::span<const int64_t> scale = {});

  size_t count() const { return count_; }

  // Returns the merged profile, dropping samples whose values are all zero. The
  // merger is empty afterwards.
  Profile Finish();

 private:
  Status CheckCompatible(const Profile& p) const;
  void AddHeader(const Profile& p);
  uint32_t InternString(std::string_view s);

  SymbolTable table_;  // the merged profile is built in table_.mutable_symbols()
  size_t count_ = 0;
  IndexSet samples_;
  // The first profile's sample type and period type names, for compatibility checks.
  std::vector<std::pair<std::string, std::string>> sample_type_names_;
  std::pair<std::string, std::string> period_type_name_;

  // Per-sample scratch.
  std::vector<uint32_t> key_locations_;
  std::vector<Label> key_labels_;
  std::vector<int64_t> key_values_;
};

// Merges profiles that are already decoded.
Result<Profile> MergeProfiles(std::span<const Profile> profiles);

// Merges `count` encoded profiles, loading profile i with `load(i, &bytes)`, on
// `threads` threads. Each thread decodes and folds a share of the inputs; the
// partial results are merged at the end. Errors name the failing input through
// `name(i)`.
struct ParallelMergeInput {
  size_t count = 0;
  std::function<Status(size_t index, std::string* bytes)> load;
  std::function<std::string(size_t index)> name;
};
Result<Profile> MergeInParallel(const ParallelMergeInput& input, int threads,
                                const DecodeLimits& limits = {});

// True for the sample types whose values accumulate over a process's life in Go
// profiles (alloc_objects, alloc_space, contentions, delay).
bool IsCumulativeSampleType(std::string_view type);

struct DeltaResult {
  Profile profile;
  // The process restarted between the two profiles (a cumulative total went
  // down). `profile` is then `current` itself: everything since the restart.
  bool reset = false;
};

// The activity between two cumulative profiles of one process: cumulative sample
// types are subtracted; snapshot types (inuse_*, goroutine counts) come from
// `current`. The result's time is current's, its duration the time between them.
Result<DeltaResult> Delta(const Profile& previous, const Profile& current);

}  // namespace kprof::pprof
