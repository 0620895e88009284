// IndexSet: an open-addressing hash set of dense indices into some other vector.
//
// The set stores only (hash tag, index) in 8-byte slots; keys live in the caller's
// own vectors, and lookups compare through a callback. This lets the merger
// de-duplicate strings, functions, locations and samples without a second copy of
// any key. The tag is the hash's upper 32 bits; it also picks the slot, so tables
// can grow without the full hash.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "pprof/profile.h"

namespace kprof::pprof {

class IndexSet {
 public:
  // Returns the index whose key equals the probe, or kNoIndex. `equals(index)` says
  // whether the stored key at `index` equals the probe.
  template <typename Equals>
  uint32_t Find(uint64_t hash, Equals&& equals) const {
    if (slots_.empty()) return kNoIndex;
    const uint32_t tag = Tag(hash);
    const size_t mask = slots_.size() - 1;
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index == kNoIndex) return kNoIndex;
      if (s.tag == tag && equals(s.index)) return s.index;
    }
  }

  // Inserts an index whose key is known to be absent.
  void Insert(uint64_t hash, uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(Tag(hash), index);
    ++size_;
  }

  size_t size() const { return size_; }
  void Clear() {
    slots_.clear();
    size_ = 0;
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    uint32_t index = kNoIndex;
  };

  static uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

  void Place(uint32_t tag, uint32_t index) {
    size_t mask = slots_.size() - 1;
    size_t i = tag & mask;
    while (slots_[i].index != kNoIndex) i = (i + 1) & mask;
    slots_[i] = Slot{tag, index};
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.index != kNoIndex) Place(s.tag, s.index);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace kprof::pprof
