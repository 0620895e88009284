#include "pprof/symbol_table.h"

#include <span>

#include "base/hash.h"

namespace kprof::pprof {

namespace {

constexpr uint64_t kMapSizeRounding = 0x1000;

uint64_t RoundedSize(const Mapping& m) {
  uint64_t size = m.memory_limit - m.memory_start;
  return (size + kMapSizeRounding - 1) / kMapSizeRounding * kMapSizeRounding;
}

}  // namespace

SymbolTable::SymbolTable() { SeedEmptyString(); }

// Index 0 of every string table is "", and 0 means "no string" in references, so
// the interner must map "" to 0 rather than append another empty string.
void SymbolTable::SeedEmptyString() { strings_.Insert(HashBytes(""), 0); }

void SymbolTable::Clear() {
  out_ = Profile();
  strings_.Clear();
  mappings_.Clear();
  functions_.Clear();
  locations_.Clear();
  addresses_.Clear();
  SeedEmptyString();
}

uint32_t SymbolTable::InternString(std::string_view s) {
  uint64_t h = HashBytes(s);
  uint32_t found = strings_.Find(h, [&](uint32_t i) { return out_.strings[i] == s; });
  if (found != kNoIndex) return found;
  uint32_t index = out_.strings.Append(s);
  strings_.Insert(h, index);
  return index;
}

uint32_t SymbolTable::MapString(const Profile& p, uint32_t i) {
  uint32_t& mapped = string_map_[i];
  if (mapped == kNoIndex) mapped = InternString(p.strings[i]);
  return mapped;
}

uint32_t SymbolTable::MapFunction(const Profile& p, uint32_t i) {
  uint32_t& mapped = function_map_[i];
  if (mapped != kNoIndex) return mapped;
  const Function& f = p.functions[i];
  Function key{0, MapString(p, f.name), MapString(p, f.system_name), MapString(p, f.filename),
               f.start_line};
  uint64_t h = FunctionHash(key);
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

void SymbolTable::MapMappings(const Profile& p) {
  mapping_map_.resize(p.mappings.size());
  mapping_offset_.resize(p.mappings.size());
  for (size_t i = 0; i < p.mappings.size(); ++i) {
    const Mapping& m = p.mappings[i];
    uint64_t size = RoundedSize(m);
    uint32_t file = MapString(p, m.build_id != 0 ? m.build_id : m.filename);
    uint64_t h = MappingHash(m, file);
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

bool SymbolTable::SameString(const Profile& p, uint32_t in, uint32_t merged) const {
  return p.str(in) == out_.str(merged);
}

bool SymbolTable::SameFunction(const Profile& p, const Function& in, const Function& merged) const {
  if (in.start_line != merged.start_line || !SameString(p, in.name, merged.name) ||
      !SameString(p, in.filename, merged.filename)) {
    return false;
  }
  // Go sets system_name to the same string as name; skip the second comparison then.
  if (in.system_name == in.name && merged.system_name == merged.name) return true;
  return SameString(p, in.system_name, merged.system_name);
}

uint32_t SymbolTable::FindByAddress(const Profile& p, const Location& l, uint32_t mapping,
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

void SymbolTable::MapLocations(const Profile& p) {
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
      address_hash = AddressHash(relative, mapping, l.line_count);
      uint32_t found = FindByAddress(p, l, mapping, relative, address_hash);
      if (found != kNoIndex) {
        location_map_[i] = found;
        continue;
      }
    }

    key_lines_.clear();
    for (const Line& line : p.LinesOf(l)) {
      key_lines_.push_back({line.function == kNoIndex ? kNoIndex : MapFunction(p, line.function),
                            line.line, line.column});
    }
    uint64_t h = LocationHash(relative, mapping, l.is_folded, key_lines_);
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

uint64_t SymbolTable::MappingHash(const Mapping& m, uint32_t file) const {
  return HashCombine(HashCombine(HashMix(RoundedSize(m)), m.file_offset), file);
}

uint64_t SymbolTable::FunctionHash(const Function& f) const {
  return HashCombine(HashCombine(HashCombine(HashMix(f.name), f.system_name), f.filename),
                     static_cast<uint64_t>(f.start_line));
}

uint64_t SymbolTable::LocationHash(uint64_t relative, uint32_t mapping, bool folded,
                                   std::span<const Line> lines) const {
  uint64_t h = HashStep(HashStep(relative, mapping), folded);
  for (const Line& line : lines) {
    h = HashStep(HashStep(HashStep(h, line.function), static_cast<uint64_t>(line.line)),
                 static_cast<uint64_t>(line.column));
  }
  return HashMix(h);
}

uint64_t SymbolTable::AddressHash(uint64_t relative, uint32_t mapping, uint32_t line_count) const {
  return HashMix(HashStep(HashStep(relative, mapping), line_count));
}

uint32_t SymbolTable::AddMapping(const Mapping& m) {
  uint32_t index = static_cast<uint32_t>(out_.mappings.size());
  Mapping copy = m;
  copy.id = index + 1;
  out_.mappings.push_back(copy);
  mappings_.Insert(MappingHash(copy, copy.build_id != 0 ? copy.build_id : copy.filename), index);
  return index;
}

uint32_t SymbolTable::AddFunction(const Function& f) {
  uint32_t index = static_cast<uint32_t>(out_.functions.size());
  Function copy = f;
  copy.id = index + 1;
  out_.functions.push_back(copy);
  functions_.Insert(FunctionHash(copy), index);
  return index;
}

uint32_t SymbolTable::AddLocation(const Location& l, std::span<const Line> lines) {
  uint32_t index = static_cast<uint32_t>(out_.locations.size());
  Location copy = l;
  copy.id = index + 1;
  copy.line_begin = static_cast<uint32_t>(out_.lines.size());
  copy.line_count = static_cast<uint32_t>(lines.size());
  out_.lines.insert(out_.lines.end(), lines.begin(), lines.end());
  out_.locations.push_back(copy);
  uint64_t relative = copy.mapping == kNoIndex
                          ? copy.address
                          : copy.address - out_.mappings[copy.mapping].memory_start;
  locations_.Insert(LocationHash(relative, copy.mapping, copy.is_folded, lines), index);
  if (copy.mapping != kNoIndex && copy.address != 0) {
    addresses_.Insert(AddressHash(relative, copy.mapping, copy.line_count), index);
  }
  return index;
}

void SymbolTable::Map(const Profile& p) {
  // Strings and functions are mapped on first use: most locations are found by
  // address and never need their function's strings hashed.
  string_map_.assign(p.strings.size(), kNoIndex);
  string_map_[0] = 0;
  function_map_.assign(p.functions.size(), kNoIndex);
  MapMappings(p);
  MapLocations(p);
}

}  // namespace kprof::pprof
