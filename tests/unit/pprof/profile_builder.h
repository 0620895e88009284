// Builds Profile values through the API, for tests that need an exact shape (two
// locations that differ only in an inlined line, say). Real Go profiles from the
// fixture cover everything else.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pprof/profile.h"

namespace kprof::pprof::testutil {

class ProfileBuilder {
 public:
  struct LineSpec {
    uint32_t function;
    int64_t line = 0;
  };
  struct LabelSpec {
    std::string key;
    std::string str = {};
    int64_t num = 0;
    std::string unit = {};
  };

  explicit ProfileBuilder(std::vector<std::pair<std::string, std::string>> sample_types =
                              {{"samples", "count"}, {"cpu", "nanoseconds"}},
                          std::pair<std::string, std::string> period_type = {"cpu", "nanoseconds"},
                          int64_t period = 10000000) {
    for (auto& [type, unit] : sample_types) p_.sample_types.push_back({Str(type), Str(unit)});
    p_.period_type = {Str(period_type.first), Str(period_type.second)};
    p_.period = period;
  }

  uint32_t Str(std::string_view s) {
    if (s.empty()) return 0;
    auto it = strings_.find(std::string(s));
    if (it != strings_.end()) return it->second;
    uint32_t index = p_.strings.Append(s);
    strings_.emplace(std::string(s), index);
    return index;
  }

  uint32_t Function(std::string_view name, std::string_view file = "", int64_t start_line = 0) {
    pprof::Function f;
    f.id = p_.functions.size() + 1;
    f.name = f.system_name = Str(name);
    f.filename = Str(file);
    f.start_line = start_line;
    p_.functions.push_back(f);
    return static_cast<uint32_t>(p_.functions.size() - 1);
  }

  uint32_t Mapping(uint64_t start, uint64_t limit, std::string_view file,
                   std::string_view build_id = "", uint64_t offset = 0) {
    pprof::Mapping m;
    m.id = p_.mappings.size() + 1;
    m.memory_start = start;
    m.memory_limit = limit;
    m.file_offset = offset;
    m.filename = Str(file);
    m.build_id = Str(build_id);
    m.has_functions = true;
    p_.mappings.push_back(m);
    return static_cast<uint32_t>(p_.mappings.size() - 1);
  }

  // Lines are leaf-most (inlined) first, as in profile.proto.
  uint32_t Location(std::vector<LineSpec> lines, uint64_t address = 0,
                    uint32_t mapping = kNoIndex) {
    pprof::Location loc;
    loc.id = p_.locations.size() + 1;
    loc.address = address;
    loc.mapping = mapping;
    loc.line_begin = static_cast<uint32_t>(p_.lines.size());
    loc.line_count = static_cast<uint32_t>(lines.size());
    for (const LineSpec& l : lines) p_.lines.push_back({l.function, l.line, 0});
    p_.locations.push_back(loc);
    return static_cast<uint32_t>(p_.locations.size() - 1);
  }

  // Locations are leaf first.
  ProfileBuilder& Sample(std::vector<uint32_t> locations, std::vector<int64_t> values,
                         std::vector<LabelSpec> labels = {}) {
    pprof::Sample s;
    s.location_begin = static_cast<uint32_t>(p_.sample_locations.size());
    s.location_count = static_cast<uint32_t>(locations.size());
    s.label_begin = static_cast<uint32_t>(p_.labels.size());
    s.label_count = static_cast<uint32_t>(labels.size());
    p_.sample_locations.insert(p_.sample_locations.end(), locations.begin(), locations.end());
    for (const LabelSpec& l : labels) {
      p_.labels.push_back({Str(l.key), Str(l.str), l.num, Str(l.unit)});
    }
    p_.values.insert(p_.values.end(), values.begin(), values.end());
    p_.samples.push_back(s);
    return *this;
  }

  ProfileBuilder& Time(int64_t time_nanos, int64_t duration_nanos) {
    p_.time_nanos = time_nanos;
    p_.duration_nanos = duration_nanos;
    return *this;
  }
  ProfileBuilder& DropFrames(std::string_view re) {
    p_.drop_frames = Str(re);
    return *this;
  }

  Profile Build() const { return p_; }
  Profile& mutable_profile() { return p_; }

 private:
  Profile p_;
  std::unordered_map<std::string, uint32_t> strings_;
};

}  // namespace kprof::pprof::testutil
