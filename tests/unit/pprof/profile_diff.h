// ProfileDifference: exact, field-by-field comparison of two Profiles, for tests and
// fuzz targets (it does not depend on GoogleTest; profile_matchers.h wraps it).
//
// "Equal" is structural: the same string table, the same ids, and the same indices
// in every reference. Samples, locations and their labels/lines are compared through
// LocationsOf/LabelsOf/ValuesOf/LinesOf, so two profiles whose shared pools are laid
// out differently but say the same thing are equal. Two profiles that differ only by
// a permutation of their string tables or messages are not.
//
// Both profiles must satisfy the invariants in profile.h (indices in range).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "pprof/profile.h"

namespace kprof::pprof::testutil {

namespace profile_diff_internal {

inline std::string Show(std::string_view s) { return "\"" + std::string(s) + "\""; }
template <typename T>
std::string Show(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    return std::to_string(v);
  }
}

// Records the first difference; later ones are ignored so the message stays short.
class Differ {
 public:
  template <typename T>
  bool Check(const std::string& where, const T& a, const T& b) {
    if (a == b) return true;
    if (first_.empty()) first_ = where + ": " + Show(a) + " != " + Show(b);
    return false;
  }
  bool Size(const std::string& where, size_t a, size_t b) { return Check(where + ".size()", a, b); }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

inline std::string At(const char* name, size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

}  // namespace profile_diff_internal

// Returns "" when `a` and `b` are equal, else a description of the first difference
// ("samples[3].values[1]: 10 != 12").
inline std::string ProfileDifference(const Profile& a, const Profile& b) {
  using profile_diff_internal::At;
  profile_diff_internal::Differ d;

  if (d.Size("strings", a.strings.size(), b.strings.size())) {
    for (uint32_t i = 0; i < a.strings.size(); ++i) d.Check(At("strings", i), a.str(i), b.str(i));
  }
  if (d.Size("sample_types", a.sample_types.size(), b.sample_types.size())) {
    for (size_t i = 0; i < a.sample_types.size(); ++i) {
      d.Check(At("sample_types", i) + ".type", a.sample_types[i].type, b.sample_types[i].type);
      d.Check(At("sample_types", i) + ".unit", a.sample_types[i].unit, b.sample_types[i].unit);
    }
  }
  if (d.Size("samples", a.samples.size(), b.samples.size()) && a.num_values() == b.num_values()) {
    for (size_t i = 0; i < a.samples.size(); ++i) {
      const std::string where = At("samples", i);
      auto la = a.LocationsOf(a.samples[i]), lb = b.LocationsOf(b.samples[i]);
      if (d.Size(where + ".locations", la.size(), lb.size())) {
        for (size_t j = 0; j < la.size(); ++j) d.Check(where + At(".locations", j), la[j], lb[j]);
      }
      auto va = a.ValuesOf(i), vb = b.ValuesOf(i);
      for (size_t j = 0; j < va.size(); ++j) d.Check(where + At(".values", j), va[j], vb[j]);
      auto ga = a.LabelsOf(a.samples[i]), gb = b.LabelsOf(b.samples[i]);
      if (d.Size(where + ".labels", ga.size(), gb.size())) {
        for (size_t j = 0; j < ga.size(); ++j) {
          const std::string lw = where + At(".labels", j);
          d.Check(lw + ".key", ga[j].key, gb[j].key);
          d.Check(lw + ".str", ga[j].str, gb[j].str);
          d.Check(lw + ".num", ga[j].num, gb[j].num);
          d.Check(lw + ".num_unit", ga[j].num_unit, gb[j].num_unit);
        }
      }
    }
  }
  if (d.Size("mappings", a.mappings.size(), b.mappings.size())) {
    for (size_t i = 0; i < a.mappings.size(); ++i) {
      const Mapping &x = a.mappings[i], &y = b.mappings[i];
      const std::string w = At("mappings", i);
      d.Check(w + ".id", x.id, y.id);
      d.Check(w + ".memory_start", x.memory_start, y.memory_start);
      d.Check(w + ".memory_limit", x.memory_limit, y.memory_limit);
      d.Check(w + ".file_offset", x.file_offset, y.file_offset);
      d.Check(w + ".filename", x.filename, y.filename);
      d.Check(w + ".build_id", x.build_id, y.build_id);
      d.Check(w + ".has_functions", x.has_functions, y.has_functions);
      d.Check(w + ".has_filenames", x.has_filenames, y.has_filenames);
      d.Check(w + ".has_line_numbers", x.has_line_numbers, y.has_line_numbers);
      d.Check(w + ".has_inline_frames", x.has_inline_frames, y.has_inline_frames);
    }
  }
  if (d.Size("locations", a.locations.size(), b.locations.size())) {
    for (size_t i = 0; i < a.locations.size(); ++i) {
      const Location &x = a.locations[i], &y = b.locations[i];
      const std::string w = At("locations", i);
      d.Check(w + ".id", x.id, y.id);
      d.Check(w + ".mapping", x.mapping, y.mapping);
      d.Check(w + ".address", x.address, y.address);
      d.Check(w + ".is_folded", x.is_folded, y.is_folded);
      auto la = a.LinesOf(x), lb = b.LinesOf(y);
      if (d.Size(w + ".lines", la.size(), lb.size())) {
        for (size_t j = 0; j < la.size(); ++j) {
          d.Check(w + At(".lines", j) + ".function", la[j].function, lb[j].function);
          d.Check(w + At(".lines", j) + ".line", la[j].line, lb[j].line);
          d.Check(w + At(".lines", j) + ".column", la[j].column, lb[j].column);
        }
      }
    }
  }
  if (d.Size("functions", a.functions.size(), b.functions.size())) {
    for (size_t i = 0; i < a.functions.size(); ++i) {
      const Function &x = a.functions[i], &y = b.functions[i];
      const std::string w = At("functions", i);
      d.Check(w + ".id", x.id, y.id);
      d.Check(w + ".name", x.name, y.name);
      d.Check(w + ".system_name", x.system_name, y.system_name);
      d.Check(w + ".filename", x.filename, y.filename);
      d.Check(w + ".start_line", x.start_line, y.start_line);
    }
  }
  d.Check("drop_frames", a.drop_frames, b.drop_frames);
  d.Check("keep_frames", a.keep_frames, b.keep_frames);
  d.Check("time_nanos", a.time_nanos, b.time_nanos);
  d.Check("duration_nanos", a.duration_nanos, b.duration_nanos);
  d.Check("period_type.type", a.period_type.type, b.period_type.type);
  d.Check("period_type.unit", a.period_type.unit, b.period_type.unit);
  d.Check("period", a.period, b.period);
  if (d.Size("comments", a.comments.size(), b.comments.size())) {
    for (size_t i = 0; i < a.comments.size(); ++i) {
      d.Check(At("comments", i), a.comments[i], b.comments[i]);
    }
  }
  d.Check("default_sample_type", a.default_sample_type, b.default_sample_type);
  d.Check("doc_url", a.doc_url, b.doc_url);
  return d.first();
}

}  // namespace kprof::pprof::testutil
