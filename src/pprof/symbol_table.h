// SymbolTable: interned strings, mappings, functions and locations, and the map of
// an input profile's locations onto them.
//
// This is the dictionary half of merging: Merger builds one per merge, and the
// profile store keeps one per service so stored samples are just location ids.
// Identity rules are google/pprof's (see merge.h); records are only ever appended,
// so "what is new since size N" is the tail of each vector.
//
// Thread-safety: none; one thread at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pprof/index_set.h"
#include "pprof/profile.h"

namespace kprof::pprof {

class SymbolTable {
 public:
  SymbolTable();

  // Maps every mapping and location of `p` into the table, appending what is new.
  // Afterwards LocationOf(i) gives the table's index for p's location i, and
  // MapString() maps p's string indices (e.g. for sample labels).
  void Map(const Profile& p);
  uint32_t LocationOf(uint32_t input_location) const { return location_map_[input_location]; }
  uint32_t MapString(const Profile& p, uint32_t index);

  uint32_t InternString(std::string_view s);

  // Appends records that are known to be new (loading a persisted table). Their
  // string and cross references must already be valid indices of this table.
  uint32_t AddMapping(const Mapping& m);
  uint32_t AddFunction(const Function& f);
  uint32_t AddLocation(const Location& l, std::span<const Line> lines);

  // The interned records live in a Profile (header and samples unused here), so a
  // merged result can be built in place.
  const Profile& symbols() const { return out_; }
  Profile& mutable_symbols() { return out_; }

  // Empties the table.
  void Clear();

 private:
  void SeedEmptyString();
  uint32_t MapFunction(const Profile& p, uint32_t index);
  void MapMappings(const Profile& p);
  void MapLocations(const Profile& p);
  bool SameString(const Profile& p, uint32_t in, uint32_t merged) const;
  bool SameFunction(const Profile& p, const Function& in, const Function& merged) const;
  uint32_t FindByAddress(const Profile& p, const Location& l, uint32_t mapping, uint64_t relative,
                         uint64_t hash);
  uint64_t MappingHash(const Mapping& m, uint32_t file) const;
  uint64_t FunctionHash(const Function& f) const;
  uint64_t LocationHash(uint64_t relative, uint32_t mapping, bool folded,
                        std::span<const Line> lines) const;
  uint64_t AddressHash(uint64_t relative, uint32_t mapping, uint32_t line_count) const;

  Profile out_;
  IndexSet strings_;
  IndexSet mappings_;
  IndexSet functions_;
  IndexSet locations_;
  IndexSet addresses_;  // locations with a mapping and address, by (mapping, address)

  // Per-input scratch: index in the input → index in out_.
  std::vector<uint32_t> string_map_;
  std::vector<uint32_t> mapping_map_;
  std::vector<int64_t> mapping_offset_;
  std::vector<uint32_t> function_map_;
  std::vector<uint32_t> location_map_;
  std::vector<Line> key_lines_;
};

}  // namespace kprof::pprof
