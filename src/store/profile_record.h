// The stored form of one profile: its normalized header and samples plus the
// per-profile facts the store keeps (instance attributes, sizes, ingest time).
//
// Format (all varints; signed values zig-zag): version, header fields, instance
// attributes (Labels::Encode), then the samples as (stack id, label-set id, values).
// Decode checks every count against the bytes left, since files can be damaged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/dictionary.h"
#include "store/labels.h"

namespace kprof::store {

struct ProfileRecord {
  NormalizedProfile profile;
  Labels instance;  // instance attributes (pod, instance, …)
  int64_t ingested_nanos = 0;
  uint64_t raw_bytes = 0;
  uint32_t sample_count = 0;    // set by DecodeProfileRecord, also with header_only
  std::vector<int64_t> totals;  // per sample type: the sum over samples (for timelines)
};

// Sums each sample type over the samples.
std::vector<int64_t> SampleTotals(const NormalizedProfile& p);

std::string EncodeProfileRecord(const ProfileRecord& record);

// Decodes a record. With `header_only`, samples are skipped (for listings).
Result<ProfileRecord> DecodeProfileRecord(std::string_view bytes, bool header_only = false);

}  // namespace kprof::store
