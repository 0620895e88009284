// Small, fast, non-cryptographic hashing for in-memory hash tables.
//
// Not stable across versions: never persist these values.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace kprof {

inline uint64_t HashMix(uint64_t h) {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

inline uint64_t HashCombine(uint64_t seed, uint64_t v) {
  return HashMix(seed ^ (v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

// Folds one more value into a running sequence hash: one multiply per value. Finish
// with HashMix before using the low bits.
inline uint64_t HashStep(uint64_t h, uint64_t v) { return (h ^ v) * 0x9e3779b97f4a7c15ULL; }

// Hashes bytes 8 at a time; good enough for symbol names and keys.
inline uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL ^ (s.size() * 0x9e3779b97f4a7c15ULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * 0x100000001b3ULL;
  return HashMix(h);
}

}  // namespace kprof
