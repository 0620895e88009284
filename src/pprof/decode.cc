#include "pprof/decode.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "pprof/gzip.h"
#include "pprof/wire.h"

namespace kprof::pprof {

namespace {

// Field numbers of profile.proto (perftools.profiles).
namespace field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
                   kStringTable = 6, kDropFrames = 7, kKeepFrames = 8, kTimeNanos = 9,
                   kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
                   kDefaultSampleType = 14, kDocUrl = 15;
}  // namespace field

std::string Where(const char* kind, size_t index) {
  return std::string(kind) + " " + std::to_string(index);
}

// Calls f(v) for each value of a repeated varint field, packed or not.
template <typename F>
void ForEachVarint(WireReader& r, uint8_t wire_type, F&& f) {
  if (wire_type == kVarint) {
    f(r.ReadVarint());
  } else if (wire_type == kLengthDelimited) {
    WireReader packed(r.ReadBytes());
    while (!packed.done()) f(packed.ReadVarint());
    if (packed.failed()) r.Fail(packed.error());
  } else {
    r.Fail("repeated integer field has a wire type that is neither varint nor packed");
  }
}

// The reader error AppendVarints reports at its count limit (a limit, not malformed data).
constexpr const char* kTooManyValues = "too many values in a repeated field";

// Appends a repeated varint field (packed or not) to `out`, converted to T, failing
// the reader when more than `max_count` values arrive. Packed runs are decoded with
// one resize up front (each varint takes at least one byte), bounded by max_count.
template <typename T>
void AppendVarints(WireReader& r, uint8_t wire_type, size_t max_count, std::vector<T>* out) {
  if (wire_type == kVarint) {
    if (max_count == 0) {
      r.Fail(kTooManyValues);
      return;
    }
    out->push_back(static_cast<T>(r.ReadVarint()));
    return;
  }
  if (wire_type != kLengthDelimited) {
    r.Fail("repeated integer field has a wire type that is neither varint nor packed");
    return;
  }
  std::string_view bytes = r.ReadBytes();
  size_t base = out->size();
  size_t room = std::min(bytes.size(), max_count);
  out->resize(base + room);
  T* dst = out->data() + base;
  T* const limit = dst + room;
  WireReader packed(bytes);
  while (!packed.done()) {
    if (dst == limit) {
      out->resize(base);
      r.Fail(kTooManyValues);
      return;
    }
    *dst++ = static_cast<T>(packed.ReadVarint());
  }
  out->resize(static_cast<size_t>(dst - out->data()));
  if (packed.failed()) r.Fail(packed.error());
}

// Maps message ids to indices. Go numbers ids 1..n in order; that case needs no table.
class IdIndex {
 public:
  template <typename T>
  Status Build(const std::vector<T>& items, const char* kind) {
    dense_ = true;
    map_.clear();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].id != i + 1) {
        dense_ = false;
        break;
      }
    }
    size_ = items.size();
    if (dense_) return Status::Ok();
    map_.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].id == 0)
        return InvalidArgument(Where(kind, i) + " has id 0; ids must be nonzero");
      if (!map_.emplace(items[i].id, static_cast<uint32_t>(i)).second) {
        return InvalidArgument(std::string(kind) + " id " + std::to_string(items[i].id) +
                               " appears more than once");
      }
    }
    return Status::Ok();
  }
  // Returns kNoIndex when the id is unknown.
  uint32_t Find(uint64_t id) const {
    if (dense_) return (id >= 1 && id <= size_) ? static_cast<uint32_t>(id - 1) : kNoIndex;
    auto it = map_.find(id);
    return it == map_.end() ? kNoIndex : it->second;
  }

 private:
  bool dense_ = true;
  size_t size_ = 0;
  std::unordered_map<uint64_t, uint32_t> map_;
};

}  // namespace

Status Decoder::Decode(std::string_view data, Profile* out) {
  if (IsGzip(data)) {
    // Release the previous profile's hold on our buffer so it can be reused: one
    // allocation per decoder instead of one per profile.
    out->Clear();
    if (!buffer_ || buffer_.use_count() > 1) buffer_ = std::make_shared<std::string>();
    KPROF_RETURN_IF_ERROR(Gunzip(data, limits_.max_decompressed_bytes, buffer_.get()));
    return DecodeOwned(buffer_, out);
  }
  if (data.size() > limits_.max_decompressed_bytes) {
    return ResourceExhausted("profile is " + std::to_string(data.size()) +
                             " bytes, more than the limit of " +
                             std::to_string(limits_.max_decompressed_bytes));
  }
  return DecodeOwned(std::make_shared<std::string>(data), out);
}

Status Decoder::DecodeOwned(std::shared_ptr<const std::string> buffer, Profile* out) {
  out->Clear();
  out->strings.ClearForDecode();
  std::string_view data(*buffer);
  out->strings.Retain(std::move(buffer));
  raw_sample_locations_.clear();
  raw_location_mapping_.clear();
  raw_line_function_.clear();
  sample_value_counts_.clear();
  max_string_index_ = 0;
  decoded_bytes_ = 0;
  Status s = Parse(data, out);
  if (s.ok()) s = Resolve(out);
  if (!s.ok()) {
    out->Clear();
    return s.WithContext("malformed profile");
  }
  return s;
}

Status Decoder::Parse(std::string_view data, Profile* out) {
  WireReader r(data);
  uint32_t f = 0;
  uint8_t wt = 0;
  auto str_index = [this](uint64_t v) -> uint32_t {
    if (v > max_string_index_) max_string_index_ = v;
    return static_cast<uint32_t>(v);
  };
  auto want = [&r](uint8_t actual, uint8_t expected, const char* what) {
    if (actual != expected) r.Fail(what);
    return actual == expected;
  };
  // Charges `bytes` of decoded memory against the budget.
  auto charge = [this](size_t bytes) {
    decoded_bytes_ += bytes;
    return decoded_bytes_ <= limits_.max_decoded_bytes;
  };
  auto over_budget = [this]() {
    return ResourceExhausted("decoded profile would need more than " +
                             std::to_string(limits_.max_decoded_bytes) +
                             " bytes of memory (DecodeLimits::max_decoded_bytes)");
  };
  auto value_type = [&](std::string_view bytes) {
    ValueType vt;
    WireReader m(bytes);
    uint32_t mf = 0;
    uint8_t mwt = 0;
    while (m.NextField(&mf, &mwt)) {
      if ((mf == 1 || mf == 2) && mwt != kVarint) {
        m.Fail("ValueType field has the wrong wire type");
      } else if (mf == 1) {
        vt.type = str_index(m.ReadVarint());
      } else if (mf == 2) {
        vt.unit = str_index(m.ReadVarint());
      } else {
        m.Skip(mwt);
      }
    }
    if (m.failed()) r.Fail(m.error());
    return vt;
  };

  while (r.NextField(&f, &wt)) {
    switch (f) {
      case field::kSampleType:
        if (!want(wt, kLengthDelimited, "sample_type is not a message")) break;
        out->sample_types.push_back(value_type(r.ReadBytes()));
        if (out->sample_types.size() > limits_.max_sample_types) {
          return ResourceExhausted("more than " + std::to_string(limits_.max_sample_types) +
                                   " sample types");
        }
        break;
      case field::kSample: {
        if (!want(wt, kLengthDelimited, "sample is not a message")) break;
        WireReader m(r.ReadBytes());
        Sample s;
        s.location_begin = static_cast<uint32_t>(raw_sample_locations_.size());
        s.label_begin = static_cast<uint32_t>(out->labels.size());
        size_t values_before = out->values.size();
        uint32_t mf = 0;
        uint8_t mwt = 0;
        while (m.NextField(&mf, &mwt)) {
          if (raw_sample_locations_.size() - s.location_begin > limits_.max_stack_depth) {
            return ResourceExhausted(Where("sample", out->samples.size()) + " has more than " +
                                     std::to_string(limits_.max_stack_depth) + " frames");
          }
          if (out->labels.size() - s.label_begin > limits_.max_labels_per_sample) {
            return ResourceExhausted(Where("sample", out->samples.size()) + " has too many labels");
          }
          if (mf == 1) {
            size_t depth = raw_sample_locations_.size() - s.location_begin;
            AppendVarints(
                m, mwt, limits_.max_stack_depth - std::min<size_t>(depth, limits_.max_stack_depth),
                &raw_sample_locations_);
          } else if (mf == 2) {
            size_t count = out->values.size() - values_before;
            AppendVarints(
                m, mwt,
                limits_.max_sample_types - std::min<size_t>(count, limits_.max_sample_types),
                &out->values);
          } else if (mf == 3) {
            if (mwt != kLengthDelimited) {
              m.Fail("label is not a message");
              break;
            }
            WireReader lm(m.ReadBytes());
            Label label;
            uint32_t lf = 0;
            uint8_t lwt = 0;
            while (lm.NextField(&lf, &lwt)) {
              if (lf >= 1 && lf <= 4 && lwt != kVarint) {
                lm.Fail("label field has the wrong wire type");
              } else if (lf == 1) {
                label.key = str_index(lm.ReadVarint());
              } else if (lf == 2) {
                label.str = str_index(lm.ReadVarint());
              } else if (lf == 3) {
                label.num = static_cast<int64_t>(lm.ReadVarint());
              } else if (lf == 4) {
                label.num_unit = str_index(lm.ReadVarint());
              } else {
                lm.Skip(lwt);
              }
            }
            if (lm.failed()) m.Fail(lm.error());
            out->labels.push_back(label);
          } else {
            m.Skip(mwt);
          }
        }
        if (m.failed()) {
          if (m.error() == kTooManyValues) {
            return ResourceExhausted(Where("sample", out->samples.size()) +
                                     " has more frames or values than the limits allow (" +
                                     std::to_string(limits_.max_stack_depth) + " frames, " +
                                     std::to_string(limits_.max_sample_types) + " values)");
          }
          return InvalidArgument(Where("sample", out->samples.size()) + ": " + m.error());
        }
        s.location_count = static_cast<uint32_t>(raw_sample_locations_.size() - s.location_begin);
        s.label_count = static_cast<uint32_t>(out->labels.size() - s.label_begin);
        if (s.location_count > limits_.max_stack_depth) {
          return ResourceExhausted(Where("sample", out->samples.size()) + " has " +
                                   std::to_string(s.location_count) + " frames, more than " +
                                   std::to_string(limits_.max_stack_depth));
        }
        if (s.label_count > limits_.max_labels_per_sample) {
          return ResourceExhausted(Where("sample", out->samples.size()) + " has too many labels");
        }
        sample_value_counts_.push_back(static_cast<uint32_t>(out->values.size() - values_before));
        out->samples.push_back(s);
        if (!charge(sizeof(Sample) + sizeof(uint32_t) + (s.location_count * 2 + 1) * 8 +
                    (out->values.size() - values_before) * 8 + s.label_count * sizeof(Label))) {
          return over_budget();
        }
        break;
      }
      case field::kMapping: {
        if (!want(wt, kLengthDelimited, "mapping is not a message")) break;
        WireReader m(r.ReadBytes());
        Mapping mapping;
        uint32_t mf = 0;
        uint8_t mwt = 0;
        while (m.NextField(&mf, &mwt)) {
          if (mf >= 1 && mf <= 10) {
            if (mwt != kVarint) {
              m.Fail("mapping field has the wrong wire type");
              break;
            }
            uint64_t v = m.ReadVarint();
            switch (mf) {
              case 1:
                mapping.id = v;
                break;
              case 2:
                mapping.memory_start = v;
                break;
              case 3:
                mapping.memory_limit = v;
                break;
              case 4:
                mapping.file_offset = v;
                break;
              case 5:
                mapping.filename = str_index(v);
                break;
              case 6:
                mapping.build_id = str_index(v);
                break;
              case 7:
                mapping.has_functions = v != 0;
                break;
              case 8:
                mapping.has_filenames = v != 0;
                break;
              case 9:
                mapping.has_line_numbers = v != 0;
                break;
              case 10:
                mapping.has_inline_frames = v != 0;
                break;
            }
          } else {
            m.Skip(mwt);
          }
        }
        if (m.failed()) {
          return InvalidArgument(Where("mapping", out->mappings.size()) + ": " + m.error());
        }
        if (mapping.id == 0) {
          return InvalidArgument(Where("mapping", out->mappings.size()) +
                                 " has id 0; ids must be nonzero");
        }
        out->mappings.push_back(mapping);
        if (!charge(sizeof(Mapping) + 16)) return over_budget();
        break;
      }
      case field::kLocation: {
        if (!want(wt, kLengthDelimited, "location is not a message")) break;
        WireReader m(r.ReadBytes());
        Location loc;
        uint64_t mapping_id = 0;
        loc.line_begin = static_cast<uint32_t>(out->lines.size());
        uint32_t mf = 0;
        uint8_t mwt = 0;
        while (m.NextField(&mf, &mwt)) {
          if (mf == 4) {
            if (mwt != kLengthDelimited) {
              m.Fail("line is not a message");
              break;
            }
            WireReader lm(m.ReadBytes());
            Line line;
            uint64_t function_id = 0;
            uint32_t lf = 0;
            uint8_t lwt = 0;
            while (lm.NextField(&lf, &lwt)) {
              if (lf >= 1 && lf <= 3 && lwt != kVarint) {
                lm.Fail("line field has the wrong wire type");
              } else if (lf == 1) {
                function_id = lm.ReadVarint();
              } else if (lf == 2) {
                line.line = static_cast<int64_t>(lm.ReadVarint());
              } else if (lf == 3) {
                line.column = static_cast<int64_t>(lm.ReadVarint());
              } else {
                lm.Skip(lwt);
              }
            }
            if (lm.failed()) m.Fail(lm.error());
            out->lines.push_back(line);
            raw_line_function_.push_back(function_id);
            if (!charge(sizeof(Line) + 8)) return over_budget();
          } else if (mf == 1 || mf == 2 || mf == 3 || mf == 5) {
            if (mwt != kVarint) {
              m.Fail("location field has the wrong wire type");
              break;
            }
            uint64_t v = m.ReadVarint();
            if (mf == 1) loc.id = v;
            if (mf == 2) mapping_id = v;
            if (mf == 3) loc.address = v;
            if (mf == 5) loc.is_folded = v != 0;
          } else {
            m.Skip(mwt);
          }
        }
        if (m.failed()) {
          return InvalidArgument(Where("location", out->locations.size()) + ": " + m.error());
        }
        if (loc.id == 0) {
          return InvalidArgument(Where("location", out->locations.size()) +
                                 " has id 0; ids must be nonzero");
        }
        loc.line_count = static_cast<uint32_t>(out->lines.size() - loc.line_begin);
        if (loc.line_count > limits_.max_lines_per_location) {
          return ResourceExhausted(Where("location", out->locations.size()) +
                                   " has too many lines");
        }
        out->locations.push_back(loc);
        raw_location_mapping_.push_back(mapping_id);
        if (!charge(sizeof(Location) + 24)) return over_budget();
        break;
      }
      case field::kFunction: {
        if (!want(wt, kLengthDelimited, "function is not a message")) break;
        WireReader m(r.ReadBytes());
        Function fn;
        uint32_t mf = 0;
        uint8_t mwt = 0;
        while (m.NextField(&mf, &mwt)) {
          if (mf >= 1 && mf <= 5) {
            if (mwt != kVarint) {
              m.Fail("function field has the wrong wire type");
              break;
            }
            uint64_t v = m.ReadVarint();
            switch (mf) {
              case 1:
                fn.id = v;
                break;
              case 2:
                fn.name = str_index(v);
                break;
              case 3:
                fn.system_name = str_index(v);
                break;
              case 4:
                fn.filename = str_index(v);
                break;
              case 5:
                fn.start_line = static_cast<int64_t>(v);
                break;
            }
          } else {
            m.Skip(mwt);
          }
        }
        if (m.failed()) {
          return InvalidArgument(Where("function", out->functions.size()) + ": " + m.error());
        }
        if (fn.id == 0) {
          return InvalidArgument(Where("function", out->functions.size()) +
                                 " has id 0; ids must be nonzero");
        }
        out->functions.push_back(fn);
        if (!charge(sizeof(Function) + 16)) return over_budget();
        break;
      }
      case field::kStringTable:
        if (!want(wt, kLengthDelimited, "string_table entry is not length-delimited")) break;
        out->strings.AppendView(r.ReadBytes());
        if (!charge(sizeof(std::string_view))) return over_budget();
        break;
      case field::kDropFrames:
      case field::kKeepFrames:
      case field::kTimeNanos:
      case field::kDurationNanos:
      case field::kPeriod:
      case field::kDefaultSampleType:
      case field::kDocUrl: {
        if (!want(wt, kVarint, "scalar profile field has the wrong wire type")) break;
        uint64_t v = r.ReadVarint();
        switch (f) {
          case field::kDropFrames:
            out->drop_frames = str_index(v);
            break;
          case field::kKeepFrames:
            out->keep_frames = str_index(v);
            break;
          case field::kTimeNanos:
            out->time_nanos = static_cast<int64_t>(v);
            break;
          case field::kDurationNanos:
            out->duration_nanos = static_cast<int64_t>(v);
            break;
          case field::kPeriod:
            out->period = static_cast<int64_t>(v);
            break;
          case field::kDefaultSampleType:
            out->default_sample_type = str_index(v);
            break;
          case field::kDocUrl:
            out->doc_url = str_index(v);
            break;
        }
        break;
      }
      case field::kPeriodType:
        if (!want(wt, kLengthDelimited, "period_type is not a message")) break;
        out->period_type = value_type(r.ReadBytes());
        break;
      case field::kComment:
        ForEachVarint(r, wt, [&](uint64_t v) { out->comments.push_back(str_index(v)); });
        break;
      default:
        r.Skip(wt);
    }
  }
  if (r.failed()) {
    return InvalidArgument(std::string(r.error()) + " (at byte " + std::to_string(r.offset()) +
                           ")");
  }
  return Status::Ok();
}

Status Decoder::Resolve(Profile* out) {
  if (out->strings.size() == 0 || !out->strings[0].empty()) {
    return InvalidArgument("string table must start with the empty string");
  }
  if (max_string_index_ >= out->strings.size()) {
    return InvalidArgument("string index " + std::to_string(max_string_index_) +
                           " is out of range (the string table has " +
                           std::to_string(out->strings.size()) + " entries)");
  }
  const size_t num_types = out->sample_types.size();
  for (size_t i = 0; i < sample_value_counts_.size(); ++i) {
    if (sample_value_counts_[i] != num_types) {
      return InvalidArgument(
          Where("sample", i) + " has " + std::to_string(sample_value_counts_[i]) +
          " values but the profile has " + std::to_string(num_types) + " sample types");
    }
  }

  IdIndex mappings, functions, locations;
  KPROF_RETURN_IF_ERROR(mappings.Build(out->mappings, "mapping"));
  KPROF_RETURN_IF_ERROR(functions.Build(out->functions, "function"));
  KPROF_RETURN_IF_ERROR(locations.Build(out->locations, "location"));

  for (size_t i = 0; i < out->lines.size(); ++i) {
    uint64_t id = raw_line_function_[i];
    if (id == 0) continue;  // a line without a function: kNoIndex
    uint32_t index = functions.Find(id);
    if (index == kNoIndex) {
      return InvalidArgument("a location line references function id " + std::to_string(id) +
                             ", which does not exist");
    }
    out->lines[i].function = index;
  }
  for (size_t i = 0; i < out->locations.size(); ++i) {
    uint64_t id = raw_location_mapping_[i];
    if (id == 0) continue;
    uint32_t index = mappings.Find(id);
    if (index == kNoIndex) {
      return InvalidArgument(Where("location", i) + " references mapping id " + std::to_string(id) +
                             ", which does not exist");
    }
    out->locations[i].mapping = index;
  }
  out->sample_locations.resize(raw_sample_locations_.size());
  for (size_t i = 0; i < raw_sample_locations_.size(); ++i) {
    uint32_t index = locations.Find(raw_sample_locations_[i]);
    if (index == kNoIndex) {
      return InvalidArgument("a sample references location id " +
                             std::to_string(raw_sample_locations_[i]) + ", which does not exist");
    }
    out->sample_locations[i] = index;
  }
  return Status::Ok();
}

Result<Profile> DecodeProfile(std::string_view data, const DecodeLimits& limits) {
  Decoder decoder(limits);
  Profile profile;
  KPROF_RETURN_IF_ERROR(decoder.Decode(data, &profile));
  return profile;
}

}  // namespace kprof::pprof
