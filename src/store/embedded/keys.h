// Key layout of the embedded store (big-endian, so keys sort numerically).
//
//   meta       "svc" id(4)          → service name
//              "ser" id(4)          → series: service id(4), type, labels
//   dict       service(4) kind(1) id(4) → dictionary record
//   profiles   series(4) time(8, sign-flipped) seq(4) → profile record
//   raw        same key as profiles  → uploaded bytes
//
// A ProfileId is the hex of (time, series, seq): it sorts by time and names the key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kprof::store::keys {

inline void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
inline uint32_t GetU32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}
inline uint64_t GetU64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}
// Signed time as an unsigned that sorts the same way.
inline uint64_t TimeBits(int64_t t) { return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63); }
inline int64_t TimeFromBits(uint64_t b) { return static_cast<int64_t>(b ^ (uint64_t{1} << 63)); }

struct ProfileKey {
  uint32_t series = 0;
  int64_t time = 0;
  uint32_t seq = 0;

  std::string Encode() const {
    std::string k;
    k.reserve(16);
    PutU32(&k, series);
    PutU64(&k, TimeBits(time));
    PutU32(&k, seq);
    return k;
  }
  static std::optional<ProfileKey> Decode(std::string_view k) {
    if (k.size() != 16) return std::nullopt;
    return ProfileKey{GetU32(k, 0), TimeFromBits(GetU64(k, 4)), GetU32(k, 12)};
  }
  std::string Id() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    uint64_t t = TimeBits(time);
    for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(t >> shift) & 15]);
    for (int shift = 28; shift >= 0; shift -= 4) id.push_back(kHex[(series >> shift) & 15]);
    for (int shift = 28; shift >= 0; shift -= 4) id.push_back(kHex[(seq >> shift) & 15]);
    return id;
  }
  static std::optional<ProfileKey> FromId(std::string_view id) {
    if (id.size() != 32) return std::nullopt;
    uint64_t parts[3] = {0, 0, 0};
    const size_t widths[3] = {16, 8, 8};
    size_t at = 0;
    for (int p = 0; p < 3; ++p) {
      for (size_t i = 0; i < widths[p]; ++i, ++at) {
        char c = id[at];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return std::nullopt;
        parts[p] = parts[p] << 4 | static_cast<uint64_t>(v);
      }
    }
    return ProfileKey{static_cast<uint32_t>(parts[1]), TimeFromBits(parts[0]),
                      static_cast<uint32_t>(parts[2])};
  }
};

inline std::string DictKey(uint32_t service, uint8_t kind, uint32_t id) {
  std::string k;
  PutU32(&k, service);
  k.push_back(static_cast<char>(kind));
  PutU32(&k, id);
  return k;
}

}  // namespace kprof::store::keys
