// Profile: the in-memory form of one pprof profile (perftools.profiles.Profile).
//
// The layout follows profile.proto but is flat and index-based: instead of ids,
// references between messages are dense indices into this profile's vectors
// (kNoIndex where the proto has id 0), and repeated fields of samples and locations
// live in shared pools addressed by [begin, begin + count). Original ids are kept in
// `id` so that a decode → encode round trip writes the same ids back.
//
// Invariants (established by the decoder and by every builder in src/pprof/):
//   * strings[0] == "" and every string index is < strings.size();
//   * every index reference is in range or kNoIndex where allowed;
//   * values.size() == samples.size() * sample_types.size().
//
// Thread-safety: a plain value; concurrent reads are safe, writes need exclusive access.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "pprof/string_table.h"

namespace kprof::pprof {

inline constexpr uint32_t kNoIndex = UINT32_MAX;

struct ValueType {
  uint32_t type = 0;  // string index
  uint32_t unit = 0;  // string index
  bool operator==(const ValueType&) const = default;
};

struct Label {
  uint32_t key = 0;  // string index
  uint32_t str = 0;  // string index; 0 for a numeric label
  int64_t num = 0;
  uint32_t num_unit = 0;  // string index
  bool operator==(const Label&) const = default;
};

// A total order on labels by their fields, for canonical label lists.
inline bool LabelLess(const Label& a, const Label& b) {
  if (a.key != b.key) return a.key < b.key;
  if (a.str != b.str) return a.str < b.str;
  if (a.num != b.num) return a.num < b.num;
  return a.num_unit < b.num_unit;
}

struct Sample {
  uint32_t location_begin = 0;  // into Profile::sample_locations; leaf first
  uint32_t location_count = 0;
  uint32_t label_begin = 0;  // into Profile::labels
  uint32_t label_count = 0;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  uint32_t filename = 0;  // string index
  uint32_t build_id = 0;  // string index
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Line {
  uint32_t function = kNoIndex;  // index into Profile::functions
  int64_t line = 0;
  int64_t column = 0;
};

struct Location {
  uint64_t id = 0;
  uint32_t mapping = kNoIndex;  // index into Profile::mappings
  uint64_t address = 0;
  uint32_t line_begin = 0;  // into Profile::lines; the last line is the caller,
  uint32_t line_count = 0;  // earlier ones were inlined into it
  bool is_folded = false;
};

struct Function {
  uint64_t id = 0;
  uint32_t name = 0;         // string index
  uint32_t system_name = 0;  // string index
  uint32_t filename = 0;     // string index
  int64_t start_line = 0;
};

struct Profile {
  StringTable strings;
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<uint32_t> sample_locations;
  std::vector<int64_t> values;
  std::vector<Label> labels;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Line> lines;
  std::vector<Function> functions;
  uint32_t drop_frames = 0;  // string index (a regex), 0 = none
  uint32_t keep_frames = 0;  // string index (a regex), 0 = none
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<uint32_t> comments;  // string indices
  uint32_t default_sample_type = 0;
  uint32_t doc_url = 0;

  std::string_view str(uint32_t index) const { return strings[index]; }
  size_t num_values() const { return sample_types.size(); }

  std::span<const uint32_t> LocationsOf(const Sample& s) const {
    return {sample_locations.data() + s.location_begin, s.location_count};
  }
  std::span<const Label> LabelsOf(const Sample& s) const {
    return {labels.data() + s.label_begin, s.label_count};
  }
  std::span<const int64_t> ValuesOf(size_t sample_index) const {
    return {values.data() + sample_index * sample_types.size(), sample_types.size()};
  }
  std::span<int64_t> MutableValuesOf(size_t sample_index) {
    return {values.data() + sample_index * sample_types.size(), sample_types.size()};
  }
  std::span<const Line> LinesOf(const Location& l) const {
    return {lines.data() + l.line_begin, l.line_count};
  }

  // Empties the profile, keeping allocated capacity (used to decode many profiles
  // into one object).
  void Clear();
};

// Keeps the samples for which keep(sample_index) is true (values move with them).
template <typename Keep>
void KeepSamples(Profile* p, Keep&& keep) {
  const size_t n = p->sample_types.size();
  size_t kept = 0;
  for (size_t i = 0; i < p->samples.size(); ++i) {
    if (!keep(i)) continue;
    if (kept != i) {
      p->samples[kept] = p->samples[i];
      for (size_t k = 0; k < n; ++k) p->values[kept * n + k] = p->values[i * n + k];
    }
    ++kept;
  }
  p->samples.resize(kept);
  p->values.resize(kept * n);
}

}  // namespace kprof::pprof
