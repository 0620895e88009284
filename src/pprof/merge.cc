#include "pprof/merge.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "base/hash.h"

namespace kprof::pprof {

namespace {

constexpr uint64_t kMapSizeRounding = 0x1000;

uint64_t RoundedSize(const Mapping& m) {
  uint64_t size = m.memory_limit - m.memory_start;
  return (size + kMapSizeRounding - 1) / kMapSizeRounding * kMapSizeRounding;
}

bool LabelLess(const Label& a, const Label& b) {
  if (a.key != b.key) return a.key < b.key;
  if (a.str != b.str) return a.str < b.str;
  if (a.num != b.num) return a.num < b.num;
  return a.num_unit < b.num_unit;
}

std::string TypeNames(const Profile& p) {
  std::string out = "[";
  for (size_t i = 0; i < p.sample_types.size(); ++i) {
    if (i > 0) out += " ";
    out += p.str(p.sample_types[i].type);
    out += "/";
    out += p.str(p.sample_types[i].unit);
  }
  return out + "]";
}

}  // namespace

Merger::Merger() { SeedEmptyString(); }

// Index 0 of every string table is "", and 0 means "no string" in references, so
// the interner must map "" to 0 rather than append another empty string.
void Merger::SeedEmptyString() { strings_.Insert(HashBytes(""), 0); }

uint32_t Merger::InternString(std::string_view s) {
  uint64_t h = HashBytes(s);
  uint32_t found = strings_.Find(h, [&](uint32_t i) { return out_.strings[i] == s; });
  if (found != kNoIndex) return found;
  uint32_t index = out_.strings.Append(s);
  strings_.Insert(h, index);
  return index;
}

Status Merger::CheckCompatible(const Profile& p) const {
  auto same = [&](const ValueType& vt, const std::pair<std::string, std::string>& names) {
    return p.str(vt.type) == names.first && p.str(vt.unit) == names.second;
  };
  if (!same(p.period_type, period_type_name_)) {
    return FailedPrecondition("incompatible profiles: period type " +
                              std::string(p.str(p.period_type.type)) + "/" +
                              std::string(p.str(p.period_type.unit)) + " differs from " +
                              period_type_name_.first + "/" + period_type_name_.second);
  }
  bool ok = p.sample_types.size() == sample_type_names_.size();
  for (size_t i = 0; ok && i < p.sample_types.size(); ++i) {
    ok = same(p.sample_types[i], sample_type_names_[i]);
  }
  if (!ok) {
    std::string first = "[";
    for (size_t i = 0; i < sample_type_names_.size(); ++i) {
      if (i > 0) first += " ";
      first += sample_type_names_[i].first + "/" + sample_type_names_[i].second;
    }
    first += "]";
    return FailedPrecondition("incompatible profiles: sample types " + TypeNames(p) +
                              " differ from " + first);
  }
  return Status::Ok();
}

void Merger::AddHeader(const Profile& p) {
  if (count_ == 0) {
    for (const ValueType& vt : p.sample_types) {
      out_.sample_types.push_back({InternString(p.str(vt.type)), InternString(p.str(vt.unit))});
      sample_type_names_.emplace_back(p.str(vt.type), p.str(vt.unit));
    }
    out_.period_type = {InternString(p.str(p.period_type.type)),
                        InternString(p.str(p.period_type.unit))};
    period_type_name_ = {std::string(p.str(p.period_type.type)),
                         std::string(p.str(p.period_type.unit))};
    out_.drop_frames = p.drop_frames ? InternString(p.str(p.drop_frames)) : 0;
    out_.keep_frames = p.keep_frames ? InternString(p.str(p.keep_frames)) : 0;
    out_.doc_url = p.doc_url ? InternString(p.str(p.doc_url)) : 0;
  }
  if (out_.time_nanos == 0 || (p.time_nanos != 0 && p.time_nanos < out_.time_nanos)) {
    out_.time_nanos = p.time_nanos;
  }
  out_.duration_nanos += p.duration_nanos;
  out_.period = std::max(out_.period, p.period);
  for (uint32_t c : p.comments) {
    uint32_t index = InternString(p.str(c));
    if (std::find(out_.comments.begin(), out_.comments.end(), index) == out_.comments.end()) {
      out_.comments.push_back(index);
    }
  }
  if (out_.default_sample_type == 0 && p.default_sample_type != 0) {
    out_.default_sample_type = InternString(p.str(p.default_sample_type));
  }
}

uint32_t Merger::MapString(const Profile& p, uint32_t i) {
  uint32_t& mapped = string_map_[i];
  if (mapped == kNoIndex) mapped = InternString(p.strings[i]);
  return mapped;
}

uint32_t Merger::MapFunction(const Profile& p, uint32_t i) {
  uint32_t& mapped = function_map_[i];
  if (mapped != kNoIndex) return mapped;
  const Function& f = p.functions[i];
  Function key{0, MapString(p, f.name), MapString(p, f.system_name), MapString(p, f.filename),
               f.start_line};
  uint64_t h =
      HashCombine(HashCombine(HashCombine(HashMix(key.name), key.system_name), key.filename),
                  static_cast<uint64_t>(key.start_line));
  uint32_t found = functions_.Find(h, [&](uint32_t j) {
    const Function& o = out_.functions[j];
    return o.name == key.name && o.system_name == key.system_name && o.filename == key.filename &&
           o.start_line == key.start_line;
  });
  if (found == kNoIndex) {
    found = static_cast<uint32_t>(out_.functions.size());
    key.id = found + 1;
    out_.functions.push_back(key);
    functions_.Insert(h, found);
  }
  mapped = found;
  return found;
}

void Merger::MapMappings(const Profile& p) {
  mapping_map_.resize(p.mappings.size());
  mapping_offset_.resize(p.mappings.size());
  for (size_t i = 0; i < p.mappings.size(); ++i) {
    const Mapping& m = p.mappings[i];
    uint64_t size = RoundedSize(m);
    uint32_t file = MapString(p, m.build_id != 0 ? m.build_id : m.filename);
    uint64_t h = HashCombine(HashCombine(HashMix(size), m.file_offset), file);
    uint32_t found = mappings_.Find(h, [&](uint32_t j) {
      const Mapping& o = out_.mappings[j];
      return RoundedSize(o) == size && o.file_offset == m.file_offset &&
             (o.build_id != 0 ? o.build_id : o.filename) == file;
    });
    if (found == kNoIndex) {
      found = static_cast<uint32_t>(out_.mappings.size());
      Mapping copy = m;
      copy.id = found + 1;
      copy.filename = MapString(p, m.filename);
      copy.build_id = MapString(p, m.build_id);
      out_.mappings.push_back(copy);
      mappings_.Insert(h, found);
    }
    mapping_map_[i] = found;
    mapping_offset_[i] = static_cast<int64_t>(out_.mappings[found].memory_start - m.memory_start);
  }
}

bool Merger::SameString(const Profile& p, uint32_t in, uint32_t merged) const {
  return p.str(in) == out_.str(merged);
}

bool Merger::SameFunction(const Profile& p, const Function& in, const Function& merged) const {
  if (in.start_line != merged.start_line || !SameString(p, in.name, merged.name) ||
      !SameString(p, in.filename, merged.filename)) {
    return false;
  }
  // Go sets system_name to the same string as name; skip the second comparison then.
  if (in.system_name == in.name && merged.system_name == merged.name) return true;
  return SameString(p, in.system_name, merged.system_name);
}

uint32_t Merger::FindByAddress(const Profile& p, const Location& l, uint32_t mapping,
                               uint64_t relative, uint64_t h) {
  return addresses_.Find(h, [&](uint32_t j) {
    const Location& o = out_.locations[j];
    if (o.mapping != mapping || o.is_folded != l.is_folded || o.line_count != l.line_count ||
        o.address - out_.mappings[mapping].memory_start != relative) {
      return false;
    }
    const Line* ol = out_.lines.data() + o.line_begin;
    const Line* il = p.lines.data() + l.line_begin;
    for (uint32_t k = 0; k < l.line_count; ++k) {
      if (ol[k].line != il[k].line || ol[k].column != il[k].column) return false;
      if ((ol[k].function == kNoIndex) != (il[k].function == kNoIndex)) return false;
      if (il[k].function == kNoIndex) continue;
      if (function_map_[il[k].function] != kNoIndex) {
        if (function_map_[il[k].function] != ol[k].function) return false;
      } else if (!SameFunction(p, p.functions[il[k].function], out_.functions[ol[k].function])) {
        return false;
      }
    }
    // Equal in every field: remember the function identities this proved.
    for (uint32_t k = 0; k < l.line_count; ++k) {
      if (il[k].function != kNoIndex) function_map_[il[k].function] = ol[k].function;
    }
    return true;
  });
}

void Merger::MapLocations(const Profile& p) {
  location_map_.resize(p.locations.size());
  for (size_t i = 0; i < p.locations.size(); ++i) {
    const Location& l = p.locations[i];
    uint32_t mapping = l.mapping == kNoIndex ? kNoIndex : mapping_map_[l.mapping];
    uint64_t relative =
        l.mapping == kNoIndex ? l.address : l.address - p.mappings[l.mapping].memory_start;

    // Fast path: the same address in the same binary is nearly always the same
    // location. It is only an index; FindByAddress checks every identity field.
    uint64_t address_hash = 0;
    bool by_address = mapping != kNoIndex && l.address != 0;
    if (by_address) {
      address_hash = HashMix(HashStep(HashStep(relative, mapping), l.line_count));
      uint32_t found = FindByAddress(p, l, mapping, relative, address_hash);
      if (found != kNoIndex) {
        location_map_[i] = found;
        continue;
      }
    }

    key_lines_.clear();
    uint64_t h = HashStep(HashStep(relative, mapping), l.is_folded);
    for (const Line& line : p.LinesOf(l)) {
      Line mapped{line.function == kNoIndex ? kNoIndex : MapFunction(p, line.function), line.line,
                  line.column};
      key_lines_.push_back(mapped);
      h = HashStep(HashStep(HashStep(h, mapped.function), static_cast<uint64_t>(mapped.line)),
                   static_cast<uint64_t>(mapped.column));
    }
    h = HashMix(h);
    uint32_t found = locations_.Find(h, [&](uint32_t j) {
      const Location& o = out_.locations[j];
      if (o.mapping != mapping || o.is_folded != l.is_folded || o.line_count != key_lines_.size()) {
        return false;
      }
      uint64_t o_relative =
          o.mapping == kNoIndex ? o.address : o.address - out_.mappings[o.mapping].memory_start;
      if (o_relative != relative) return false;
      const Line* ol = out_.lines.data() + o.line_begin;
      for (size_t k = 0; k < key_lines_.size(); ++k) {
        if (ol[k].function != key_lines_[k].function || ol[k].line != key_lines_[k].line ||
            ol[k].column != key_lines_[k].column) {
          return false;
        }
      }
      return true;
    });
    if (found == kNoIndex) {
      found = static_cast<uint32_t>(out_.locations.size());
      Location copy;
      copy.id = found + 1;
      copy.mapping = mapping;
      copy.address = l.mapping == kNoIndex
                         ? l.address
                         : l.address + static_cast<uint64_t>(mapping_offset_[l.mapping]);
      copy.line_begin = static_cast<uint32_t>(out_.lines.size());
      copy.line_count = static_cast<uint32_t>(key_lines_.size());
      copy.is_folded = l.is_folded;
      out_.lines.insert(out_.lines.end(), key_lines_.begin(), key_lines_.end());
      out_.locations.push_back(copy);
      locations_.Insert(h, found);
      if (by_address) addresses_.Insert(address_hash, found);
    }
    location_map_[i] = found;
  }
}

Status Merger::Add(const Profile& p, std::span<const int64_t> scale) {
  if (count_ > 0) KPROF_RETURN_IF_ERROR(CheckCompatible(p));
  if (!scale.empty() && scale.size() != p.sample_types.size()) {
    return Internal("merge scale has the wrong number of factors");
  }
  AddHeader(p);
  ++count_;

  // Strings and functions are mapped on first use: most locations are found by
  // address and never need their function's strings hashed.
  string_map_.assign(p.strings.size(), kNoIndex);
  string_map_[0] = 0;
  function_map_.assign(p.functions.size(), kNoIndex);
  MapMappings(p);
  MapLocations(p);

  // Samples.
  const size_t n = p.sample_types.size();
  key_values_.resize(n);
  for (size_t si = 0; si < p.samples.size(); ++si) {
    const Sample& s = p.samples[si];
    auto values = p.ValuesOf(si);
    bool zero = true;
    for (size_t k = 0; k < n; ++k) {
      key_values_[k] = scale.empty() ? values[k] : values[k] * scale[k];
      zero = zero && key_values_[k] == 0;
    }
    if (zero) continue;

    uint64_t h = s.location_count;
    key_locations_.clear();
    for (uint32_t loc : p.LocationsOf(s)) {
      uint32_t mapped = location_map_[loc];
      key_locations_.push_back(mapped);
      h = HashStep(h, mapped);
    }
    key_labels_.clear();
    for (const Label& label : p.LabelsOf(s)) {
      key_labels_.push_back({MapString(p, label.key), MapString(p, label.str), label.num,
                             MapString(p, label.num_unit)});
    }
    if (key_labels_.size() > 1) std::sort(key_labels_.begin(), key_labels_.end(), LabelLess);
    for (const Label& label : key_labels_) {
      h = HashStep(
          HashStep(HashStep(HashStep(h, label.key), label.str), static_cast<uint64_t>(label.num)),
          label.num_unit);
    }
    h = HashMix(h);
    uint32_t found = samples_.Find(h, [&](uint32_t j) {
      const Sample& o = out_.samples[j];
      return o.location_count == key_locations_.size() && o.label_count == key_labels_.size() &&
             std::equal(key_locations_.begin(), key_locations_.end(),
                        out_.sample_locations.begin() + o.location_begin) &&
             std::equal(key_labels_.begin(), key_labels_.end(),
                        out_.labels.begin() + o.label_begin);
    });
    if (found == kNoIndex) {
      found = static_cast<uint32_t>(out_.samples.size());
      Sample copy;
      copy.location_begin = static_cast<uint32_t>(out_.sample_locations.size());
      copy.location_count = static_cast<uint32_t>(key_locations_.size());
      copy.label_begin = static_cast<uint32_t>(out_.labels.size());
      copy.label_count = static_cast<uint32_t>(key_labels_.size());
      out_.sample_locations.insert(out_.sample_locations.end(), key_locations_.begin(),
                                   key_locations_.end());
      out_.labels.insert(out_.labels.end(), key_labels_.begin(), key_labels_.end());
      out_.samples.push_back(copy);
      out_.values.insert(out_.values.end(), key_values_.begin(), key_values_.end());
      samples_.Insert(h, found);
    } else {
      int64_t* dst = out_.values.data() + static_cast<size_t>(found) * n;
      for (size_t k = 0; k < n; ++k) dst[k] += key_values_[k];
    }
  }
  return Status::Ok();
}

Profile Merger::Finish() {
  Profile result = std::move(out_);
  // Drop samples that summed to zero (only possible with negative inputs).
  const size_t n = result.sample_types.size();
  size_t kept = 0;
  for (size_t i = 0; i < result.samples.size(); ++i) {
    auto values = result.ValuesOf(i);
    bool zero = std::all_of(values.begin(), values.end(), [](int64_t v) { return v == 0; });
    if (zero) continue;
    if (kept != i) {
      result.samples[kept] = result.samples[i];
      std::copy(values.begin(), values.end(), result.values.begin() + kept * n);
    }
    ++kept;
  }
  result.samples.resize(kept);
  result.values.resize(kept * n);

  out_ = Profile();
  count_ = 0;
  strings_.Clear();
  mappings_.Clear();
  functions_.Clear();
  locations_.Clear();
  addresses_.Clear();
  samples_.Clear();
  sample_type_names_.clear();
  SeedEmptyString();
  return result;
}

Result<Profile> MergeProfiles(std::span<const Profile> profiles) {
  if (profiles.empty()) return InvalidArgument("nothing to merge: no profiles given");
  Merger merger;
  for (size_t i = 0; i < profiles.size(); ++i) {
    Status s = merger.Add(profiles[i]);
    if (!s.ok()) return s.WithContext("profile " + std::to_string(i + 1));
  }
  return merger.Finish();
}

Result<Profile> MergeInParallel(const ParallelMergeInput& input, int threads,
                                const DecodeLimits& limits) {
  if (input.count == 0) return InvalidArgument("nothing to merge: no profiles given");
  size_t workers =
      std::clamp<size_t>(threads < 1 ? 1 : static_cast<size_t>(threads), 1, input.count);
  std::vector<Merger> mergers(workers);
  std::vector<Status> errors(workers);
  std::atomic<bool> failed{false};
  // Inputs are handed out in small chunks so a thread slowed by a noisy neighbour
  // does not hold up the others. Thread 0 always takes the first chunk, so the
  // first input's header fields (period type, drop_frames) win as in a sequential
  // merge; partial results are merged in thread order.
  const size_t chunk = std::max<size_t>(1, input.count / (workers * 32));
  std::atomic<size_t> next{chunk};
  auto work = [&](size_t t) {
    Decoder decoder(limits);
    Profile profile;
    std::string bytes;
    size_t begin = t == 0 ? 0 : next.fetch_add(chunk);
    while (begin < input.count && !failed.load(std::memory_order_relaxed)) {
      size_t end = std::min(input.count, begin + chunk);
      for (size_t i = begin; i < end; ++i) {
        Status s = input.load(i, &bytes);
        if (s.ok()) s = decoder.Decode(bytes, &profile);
        if (s.ok()) s = mergers[t].Add(profile);
        if (!s.ok()) {
          errors[t] =
              s.WithContext(input.name ? input.name(i) : "profile " + std::to_string(i + 1));
          failed = true;
          return;
        }
      }
      begin = next.fetch_add(chunk);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();
  for (const Status& s : errors) {
    if (!s.ok()) return s;
  }
  if (workers == 1) return mergers[0].Finish();
  Merger final_merger;
  for (size_t t = 0; t < workers; ++t) {
    if (mergers[t].count() == 0) continue;
    Profile partial = mergers[t].Finish();
    KPROF_RETURN_IF_ERROR(final_merger.Add(partial));
  }
  return final_merger.Finish();
}

bool IsCumulativeSampleType(std::string_view type) {
  return type == "alloc_objects" || type == "alloc_space" || type == "contentions" ||
         type == "delay";
}

Result<DeltaResult> Delta(const Profile& previous, const Profile& current) {
  const size_t n = current.sample_types.size();
  std::vector<int64_t> previous_scale(n);
  std::vector<size_t> cumulative;
  for (size_t k = 0; k < n; ++k) {
    bool is_cumulative = IsCumulativeSampleType(current.str(current.sample_types[k].type));
    previous_scale[k] = is_cumulative ? -1 : 0;
    if (is_cumulative) cumulative.push_back(k);
  }
  Merger merger;
  KPROF_RETURN_IF_ERROR(merger.Add(current));
  KPROF_RETURN_IF_ERROR(merger.Add(previous, previous_scale).WithContext("delta"));

  // A total that went down means the process restarted in between.
  DeltaResult result;
  for (size_t k : cumulative) {
    int64_t before = 0, after = 0;
    for (size_t i = 0; i < previous.samples.size(); ++i) before += previous.ValuesOf(i)[k];
    for (size_t i = 0; i < current.samples.size(); ++i) after += current.ValuesOf(i)[k];
    if (after < before) result.reset = true;
  }
  if (result.reset) {
    result.profile = current;
    return result;
  }
  result.profile = merger.Finish();
  result.profile.time_nanos = current.time_nanos;
  result.profile.period = current.period;
  if (previous.time_nanos > 0 && current.time_nanos > previous.time_nanos) {
    result.profile.duration_nanos = current.time_nanos - previous.time_nanos;
  } else {
    result.profile.duration_nanos = current.duration_nanos;
  }
  return result;
}

}  // namespace kprof::pprof
