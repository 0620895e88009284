#include "pprof/encode.h"

#include "pprof/gzip.h"
#include "pprof/wire.h"

namespace kprof::pprof {

namespace {

uint64_t IdOf(uint64_t id, size_t index) { return id != 0 ? id : index + 1; }

// Writes a length-delimited submessage built by `build` into `w`, using `scratch`.
template <typename F>
void Message(WireWriter& w, uint32_t field, std::string& scratch, F&& build) {
  scratch.clear();
  WireWriter sub(&scratch);
  build(sub);
  w.BytesField(field, scratch);
}

template <typename Range, typename Get>
void Packed(WireWriter& w, uint32_t field, const Range& range, Get&& get, std::string& scratch) {
  if (range.empty()) return;
  scratch.clear();
  WireWriter sub(&scratch);
  for (const auto& v : range) sub.Varint(get(v));
  w.BytesField(field, scratch);
}

}  // namespace

std::string EncodeProfile(const Profile& p) {
  std::string out;
  out.reserve(p.samples.size() * 24 + p.locations.size() * 24 + p.lines.size() * 8 + 4096);
  WireWriter w(&out);
  std::string scratch, inner;

  for (const ValueType& vt : p.sample_types) {
    Message(w, 1, scratch, [&](WireWriter& m) {
      m.VarintField(1, vt.type);
      m.VarintField(2, vt.unit);
    });
  }
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const Sample& s = p.samples[i];
    scratch.clear();
    WireWriter m(&scratch);
    Packed(
        m, 1, p.LocationsOf(s), [&](uint32_t loc) { return IdOf(p.locations[loc].id, loc); },
        inner);
    Packed(
        m, 2, p.ValuesOf(i), [](int64_t v) { return static_cast<uint64_t>(v); }, inner);
    for (const Label& l : p.LabelsOf(s)) {
      inner.clear();
      WireWriter lm(&inner);
      lm.VarintField(1, l.key);
      lm.VarintField(2, l.str);
      lm.Int64Field(3, l.num);
      lm.VarintField(4, l.num_unit);
      m.BytesField(3, inner);
    }
    w.BytesField(2, scratch);
  }
  for (size_t i = 0; i < p.mappings.size(); ++i) {
    const Mapping& mp = p.mappings[i];
    Message(w, 3, scratch, [&](WireWriter& m) {
      m.VarintField(1, IdOf(mp.id, i));
      m.VarintField(2, mp.memory_start);
      m.VarintField(3, mp.memory_limit);
      m.VarintField(4, mp.file_offset);
      m.VarintField(5, mp.filename);
      m.VarintField(6, mp.build_id);
      m.BoolField(7, mp.has_functions);
      m.BoolField(8, mp.has_filenames);
      m.BoolField(9, mp.has_line_numbers);
      m.BoolField(10, mp.has_inline_frames);
    });
  }
  for (size_t i = 0; i < p.locations.size(); ++i) {
    const Location& loc = p.locations[i];
    scratch.clear();
    WireWriter m(&scratch);
    m.VarintField(1, IdOf(loc.id, i));
    if (loc.mapping != kNoIndex) m.VarintField(2, IdOf(p.mappings[loc.mapping].id, loc.mapping));
    m.VarintField(3, loc.address);
    for (const Line& line : p.LinesOf(loc)) {
      inner.clear();
      WireWriter lm(&inner);
      if (line.function != kNoIndex) {
        lm.VarintField(1, IdOf(p.functions[line.function].id, line.function));
      }
      lm.Int64Field(2, line.line);
      lm.Int64Field(3, line.column);
      m.BytesField(4, inner);
    }
    m.BoolField(5, loc.is_folded);
    w.BytesField(4, scratch);
  }
  for (size_t i = 0; i < p.functions.size(); ++i) {
    const Function& fn = p.functions[i];
    Message(w, 5, scratch, [&](WireWriter& m) {
      m.VarintField(1, IdOf(fn.id, i));
      m.VarintField(2, fn.name);
      m.VarintField(3, fn.system_name);
      m.VarintField(4, fn.filename);
      m.Int64Field(5, fn.start_line);
    });
  }
  for (std::string_view s : p.strings.views()) w.BytesField(6, s);
  w.VarintField(7, p.drop_frames);
  w.VarintField(8, p.keep_frames);
  w.Int64Field(9, p.time_nanos);
  w.Int64Field(10, p.duration_nanos);
  if (p.period_type.type != 0 || p.period_type.unit != 0) {
    Message(w, 11, scratch, [&](WireWriter& m) {
      m.VarintField(1, p.period_type.type);
      m.VarintField(2, p.period_type.unit);
    });
  }
  w.Int64Field(12, p.period);
  Packed(
      w, 13, p.comments, [](uint32_t c) { return static_cast<uint64_t>(c); }, scratch);
  w.VarintField(14, p.default_sample_type);
  w.VarintField(15, p.doc_url);
  return out;
}

std::string EncodeProfileGzip(const Profile& profile, int level) {
  return Gzip(EncodeProfile(profile), level);
}

}  // namespace kprof::pprof
