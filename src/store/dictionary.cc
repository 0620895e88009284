#include "store/dictionary.h"

#include <algorithm>
#include <unordered_map>

#include "base/hash.h"
#include "pprof/wire.h"

namespace kprof::store {

using pprof::UnZigZag;
using pprof::ZigZag;

namespace {

using pprof::kNoIndex;

// kNoIndex ↔ 0, i ↔ i + 1, for optional references.
uint64_t OptRef(uint32_t index) { return index == kNoIndex ? 0 : uint64_t{index} + 1; }

uint64_t StackHash(std::span<const uint32_t> locations) {
  uint64_t h = locations.size();
  for (uint32_t l : locations) h = HashStep(h, l);
  return HashMix(h);
}

uint64_t LabelSetHash(std::span<const pprof::Label> labels) {
  uint64_t h = labels.size();
  for (const pprof::Label& l : labels) {
    h = HashStep(HashStep(HashStep(HashStep(h, l.key), l.str), static_cast<uint64_t>(l.num)),
                 l.num_unit);
  }
  return HashMix(h);
}

// Reads varints from a record, remembering the first problem.
class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : r_(bytes) {}
  uint64_t Next() { return r_.ReadVarint(); }
  bool ok() const { return !r_.failed(); }
  bool done() const { return r_.done(); }

 private:
  pprof::WireReader r_;
};

Status Corrupt(RecordKind kind, uint32_t id, std::string_view what) {
  return Internal("corrupt dictionary record (kind " + std::to_string(static_cast<int>(kind)) +
                  ", id " + std::to_string(id) + "): " + std::string(what));
}

}  // namespace

ServiceDictionary::ServiceDictionary() {
  label_set_spans_.emplace_back(0, 0);  // id 0: no labels
}

uint32_t ServiceDictionary::InternStack(std::span<const uint32_t> locations) {
  uint64_t h = StackHash(locations);
  uint32_t found = stacks_.Find(h, [&](uint32_t id) {
    auto [begin, count] = stack_spans_[id];
    return count == locations.size() &&
           std::equal(locations.begin(), locations.end(), stack_pool_.begin() + begin);
  });
  if (found != kNoIndex) return found;
  uint32_t id = static_cast<uint32_t>(stack_spans_.size());
  stack_spans_.emplace_back(static_cast<uint32_t>(stack_pool_.size()),
                            static_cast<uint32_t>(locations.size()));
  stack_pool_.insert(stack_pool_.end(), locations.begin(), locations.end());
  stacks_.Insert(h, id);
  return id;
}

uint32_t ServiceDictionary::InternLabelSet(std::span<const pprof::Label> labels) {
  if (labels.empty()) return 0;
  uint64_t h = LabelSetHash(labels);
  uint32_t found = label_sets_.Find(h, [&](uint32_t id) {
    auto [begin, count] = label_set_spans_[id];
    return count == labels.size() &&
           std::equal(labels.begin(), labels.end(), label_pool_.begin() + begin);
  });
  if (found != kNoIndex) return found;
  uint32_t id = static_cast<uint32_t>(label_set_spans_.size());
  label_set_spans_.emplace_back(static_cast<uint32_t>(label_pool_.size()),
                                static_cast<uint32_t>(labels.size()));
  label_pool_.insert(label_pool_.end(), labels.begin(), labels.end());
  label_sets_.Insert(h, id);
  return id;
}

NormalizedProfile ServiceDictionary::Normalize(const pprof::Profile& p) {
  table_.Map(p);
  NormalizedProfile out;
  out.time_nanos = p.time_nanos;
  out.duration_nanos = p.duration_nanos;
  out.period = p.period;
  out.period_type = {table_.MapString(p, p.period_type.type),
                     table_.MapString(p, p.period_type.unit)};
  for (const pprof::ValueType& vt : p.sample_types) {
    out.sample_types.push_back({table_.MapString(p, vt.type), table_.MapString(p, vt.unit)});
  }
  out.default_sample_type = table_.MapString(p, p.default_sample_type);
  out.drop_frames = table_.MapString(p, p.drop_frames);
  out.keep_frames = table_.MapString(p, p.keep_frames);
  for (uint32_t c : p.comments) out.comments.push_back(table_.MapString(p, c));

  const size_t n = p.num_values();
  out.stacks.reserve(p.samples.size());
  out.label_sets.reserve(p.samples.size());
  out.values.reserve(p.values.size());
  for (size_t i = 0; i < p.samples.size(); ++i) {
    const pprof::Sample& s = p.samples[i];
    scratch_stack_.clear();
    for (uint32_t loc : p.LocationsOf(s)) scratch_stack_.push_back(table_.LocationOf(loc));
    scratch_labels_.clear();
    for (const pprof::Label& l : p.LabelsOf(s)) {
      scratch_labels_.push_back({table_.MapString(p, l.key), table_.MapString(p, l.str), l.num,
                                 table_.MapString(p, l.num_unit)});
    }
    std::sort(scratch_labels_.begin(), scratch_labels_.end(), pprof::LabelLess);
    out.stacks.push_back(InternStack(scratch_stack_));
    out.label_sets.push_back(InternLabelSet(scratch_labels_));
    auto values = p.ValuesOf(i);
    out.values.insert(out.values.end(), values.begin(), values.begin() + n);
  }
  return out;
}

pprof::Profile ServiceDictionary::Build(const NormalizedProfile& header,
                                        std::span<const uint32_t> stacks,
                                        std::span<const uint32_t> label_sets,
                                        std::span<const int64_t> values) const {
  const pprof::Profile& dict = table_.symbols();
  pprof::Profile out;
  std::unordered_map<uint32_t, uint32_t> strings, functions, mappings, locations;
  auto str = [&](uint32_t id) -> uint32_t {
    if (id == 0) return 0;
    auto [it, inserted] = strings.try_emplace(id, 0);
    if (inserted) it->second = out.strings.Append(dict.str(id));
    return it->second;
  };
  auto function = [&](uint32_t id) -> uint32_t {
    if (id == kNoIndex) return kNoIndex;
    auto [it, inserted] = functions.try_emplace(id, 0);
    if (inserted) {
      pprof::Function f = dict.functions[id];
      f.id = out.functions.size() + 1;
      f.name = str(f.name);
      f.system_name = str(f.system_name);
      f.filename = str(f.filename);
      it->second = static_cast<uint32_t>(out.functions.size());
      out.functions.push_back(f);
    }
    return it->second;
  };
  auto mapping = [&](uint32_t id) -> uint32_t {
    if (id == kNoIndex) return kNoIndex;
    auto [it, inserted] = mappings.try_emplace(id, 0);
    if (inserted) {
      pprof::Mapping m = dict.mappings[id];
      m.id = out.mappings.size() + 1;
      m.filename = str(m.filename);
      m.build_id = str(m.build_id);
      it->second = static_cast<uint32_t>(out.mappings.size());
      out.mappings.push_back(m);
    }
    return it->second;
  };
  auto location = [&](uint32_t id) -> uint32_t {
    auto [it, inserted] = locations.try_emplace(id, 0);
    if (inserted) {
      const pprof::Location& src = dict.locations[id];
      pprof::Location l = src;
      l.id = out.locations.size() + 1;
      l.mapping = mapping(src.mapping);
      l.line_begin = static_cast<uint32_t>(out.lines.size());
      for (const pprof::Line& line : dict.LinesOf(src)) {
        out.lines.push_back({function(line.function), line.line, line.column});
      }
      it->second = static_cast<uint32_t>(out.locations.size());
      out.locations.push_back(l);
    }
    return it->second;
  };

  for (const pprof::ValueType& vt : header.sample_types) {
    out.sample_types.push_back({str(vt.type), str(vt.unit)});
  }
  out.period_type = {str(header.period_type.type), str(header.period_type.unit)};
  out.period = header.period;
  out.time_nanos = header.time_nanos;
  out.duration_nanos = header.duration_nanos;
  out.default_sample_type = str(header.default_sample_type);
  out.drop_frames = str(header.drop_frames);
  out.keep_frames = str(header.keep_frames);
  for (uint32_t c : header.comments) out.comments.push_back(str(c));
  // Keep the main binary first: pprof shows mapping 0 as "File:".
  if (!dict.mappings.empty()) mapping(0);

  const size_t n = header.sample_types.size();
  for (size_t i = 0; i < stacks.size(); ++i) {
    pprof::Sample s;
    s.location_begin = static_cast<uint32_t>(out.sample_locations.size());
    for (uint32_t loc : Stack(stacks[i])) out.sample_locations.push_back(location(loc));
    s.location_count = static_cast<uint32_t>(out.sample_locations.size() - s.location_begin);
    s.label_begin = static_cast<uint32_t>(out.labels.size());
    auto [begin, count] = label_set_spans_[label_sets[i]];
    for (uint32_t k = 0; k < count; ++k) {
      const pprof::Label& l = label_pool_[begin + k];
      out.labels.push_back({str(l.key), str(l.str), l.num, str(l.num_unit)});
    }
    s.label_count = count;
    out.samples.push_back(s);
    out.values.insert(out.values.end(), values.begin() + i * n, values.begin() + (i + 1) * n);
  }
  return out;
}

ServiceDictionary::Watermark ServiceDictionary::watermark() const {
  const pprof::Profile& d = table_.symbols();
  return {d.strings.size(),
          static_cast<uint32_t>(d.mappings.size()),
          static_cast<uint32_t>(d.functions.size()),
          static_cast<uint32_t>(d.locations.size()),
          static_cast<uint32_t>(stack_spans_.size()),
          static_cast<uint32_t>(label_set_spans_.size())};
}

void ServiceDictionary::EmitRecordsSince(
    const Watermark& since,
    const std::function<void(RecordKind, uint32_t, std::string)>& emit) const {
  const pprof::Profile& d = table_.symbols();
  Watermark now = watermark();
  for (uint32_t i = std::max<uint32_t>(since.strings, 1); i < now.strings; ++i) {
    emit(RecordKind::kString, i, std::string(d.str(i)));
  }
  std::string b;
  pprof::WireWriter w(&b);
  for (uint32_t i = since.mappings; i < now.mappings; ++i) {
    const pprof::Mapping& m = d.mappings[i];
    b.clear();
    w.Varint(m.memory_start);
    w.Varint(m.memory_limit);
    w.Varint(m.file_offset);
    w.Varint(m.filename);
    w.Varint(m.build_id);
    w.Varint((m.has_functions ? 1 : 0) | (m.has_filenames ? 2 : 0) | (m.has_line_numbers ? 4 : 0) |
             (m.has_inline_frames ? 8 : 0));
    emit(RecordKind::kMapping, i, b);
  }
  for (uint32_t i = since.functions; i < now.functions; ++i) {
    const pprof::Function& f = d.functions[i];
    b.clear();
    w.Varint(f.name);
    w.Varint(f.system_name);
    w.Varint(f.filename);
    w.Varint(ZigZag(f.start_line));
    emit(RecordKind::kFunction, i, b);
  }
  for (uint32_t i = since.locations; i < now.locations; ++i) {
    const pprof::Location& l = d.locations[i];
    b.clear();
    w.Varint(OptRef(l.mapping));
    w.Varint(l.address);
    w.Varint(l.is_folded ? 1 : 0);
    w.Varint(l.line_count);
    for (const pprof::Line& line : d.LinesOf(l)) {
      w.Varint(OptRef(line.function));
      w.Varint(ZigZag(line.line));
      w.Varint(ZigZag(line.column));
    }
    emit(RecordKind::kLocation, i, b);
  }
  for (uint32_t i = since.stacks; i < now.stacks; ++i) {
    b.clear();
    auto stack = Stack(i);
    w.Varint(stack.size());
    for (uint32_t loc : stack) w.Varint(loc);
    emit(RecordKind::kStack, i, b);
  }
  for (uint32_t i = std::max<uint32_t>(since.label_sets, 1); i < now.label_sets; ++i) {
    b.clear();
    auto [begin, count] = label_set_spans_[i];
    w.Varint(count);
    for (uint32_t k = 0; k < count; ++k) {
      const pprof::Label& l = label_pool_[begin + k];
      w.Varint(l.key);
      w.Varint(l.str);
      w.Varint(ZigZag(l.num));
      w.Varint(l.num_unit);
    }
    emit(RecordKind::kLabelSet, i, b);
  }
}

Status ServiceDictionary::Load(RecordKind kind, uint32_t id, std::string_view bytes) {
  Watermark now = watermark();
  const pprof::Profile& d = table_.symbols();
  auto string_ok = [&](uint64_t s) { return s < d.strings.size(); };
  RecordReader r(bytes);
  switch (kind) {
    case RecordKind::kString: {
      if (id != now.strings) return Corrupt(kind, id, "out of order");
      if (table_.InternString(bytes) != id) return Corrupt(kind, id, "duplicate string");
      return Status::Ok();
    }
    case RecordKind::kMapping: {
      if (id != now.mappings) return Corrupt(kind, id, "out of order");
      pprof::Mapping m;
      m.memory_start = r.Next();
      m.memory_limit = r.Next();
      m.file_offset = r.Next();
      uint64_t filename = r.Next(), build_id = r.Next(), flags = r.Next();
      if (!r.ok() || !string_ok(filename) || !string_ok(build_id)) {
        return Corrupt(kind, id, "bad fields");
      }
      m.filename = static_cast<uint32_t>(filename);
      m.build_id = static_cast<uint32_t>(build_id);
      m.has_functions = flags & 1;
      m.has_filenames = flags & 2;
      m.has_line_numbers = flags & 4;
      m.has_inline_frames = flags & 8;
      table_.AddMapping(m);
      return Status::Ok();
    }
    case RecordKind::kFunction: {
      if (id != now.functions) return Corrupt(kind, id, "out of order");
      uint64_t name = r.Next(), system_name = r.Next(), filename = r.Next();
      int64_t start_line = UnZigZag(r.Next());
      if (!r.ok() || !string_ok(name) || !string_ok(system_name) || !string_ok(filename)) {
        return Corrupt(kind, id, "bad fields");
      }
      table_.AddFunction({0, static_cast<uint32_t>(name), static_cast<uint32_t>(system_name),
                          static_cast<uint32_t>(filename), start_line});
      return Status::Ok();
    }
    case RecordKind::kLocation: {
      if (id != now.locations) return Corrupt(kind, id, "out of order");
      pprof::Location l;
      uint64_t mapping = r.Next();
      l.address = r.Next();
      l.is_folded = r.Next() != 0;
      uint64_t count = r.Next();
      if (!r.ok() || mapping > d.mappings.size() || count > 4096) {
        return Corrupt(kind, id, "bad fields");
      }
      l.mapping = mapping == 0 ? kNoIndex : static_cast<uint32_t>(mapping - 1);
      std::vector<pprof::Line> lines;
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t function = r.Next();
        int64_t line = UnZigZag(r.Next());
        int64_t column = UnZigZag(r.Next());
        if (!r.ok() || function > d.functions.size()) return Corrupt(kind, id, "bad line");
        lines.push_back(
            {function == 0 ? kNoIndex : static_cast<uint32_t>(function - 1), line, column});
      }
      table_.AddLocation(l, lines);
      return Status::Ok();
    }
    case RecordKind::kStack: {
      if (id != now.stacks) return Corrupt(kind, id, "out of order");
      uint64_t count = r.Next();
      if (!r.ok() || count > (1u << 16)) return Corrupt(kind, id, "bad length");
      scratch_stack_.clear();
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t loc = r.Next();
        if (!r.ok() || loc >= d.locations.size()) return Corrupt(kind, id, "bad location");
        scratch_stack_.push_back(static_cast<uint32_t>(loc));
      }
      if (InternStack(scratch_stack_) != id) return Corrupt(kind, id, "duplicate stack");
      return Status::Ok();
    }
    case RecordKind::kLabelSet: {
      if (id != now.label_sets) return Corrupt(kind, id, "out of order");
      uint64_t count = r.Next();
      if (!r.ok() || count > 1024 || count == 0) return Corrupt(kind, id, "bad length");
      scratch_labels_.clear();
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t key = r.Next(), str = r.Next();
        int64_t num = UnZigZag(r.Next());
        uint64_t unit = r.Next();
        if (!r.ok() || !string_ok(key) || !string_ok(str) || !string_ok(unit)) {
          return Corrupt(kind, id, "bad label");
        }
        scratch_labels_.push_back({static_cast<uint32_t>(key), static_cast<uint32_t>(str), num,
                                   static_cast<uint32_t>(unit)});
      }
      if (InternLabelSet(scratch_labels_) != id) return Corrupt(kind, id, "duplicate label set");
      return Status::Ok();
    }
  }
  return Corrupt(kind, id, "unknown kind");
}

}  // namespace kprof::store
