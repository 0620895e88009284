#include "pprof/wire.h"

namespace kprof::pprof {

uint64_t WireReader::ReadVarintMultiByte() {
  // With 10 bytes left, no bounds check is needed inside the varint.
  if (end_ - p_ < 10) return ReadVarintSlow();
  uint64_t result = 0;
  for (int shift = 0; shift < 63; shift += 7) {
    uint8_t byte = *p_++;
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return result;
  }
  uint8_t last = *p_++;
  if (last > 1) {
    Fail("varint overflows 64 bits");
    return 0;
  }
  return result | static_cast<uint64_t>(last) << 63;
}

uint64_t WireReader::ReadVarintSlow() {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p_ >= end_) {
      Fail("truncated varint");
      return 0;
    }
    uint8_t byte = *p_++;
    if (shift == 63 && byte > 1) {
      Fail("varint overflows 64 bits");
      return 0;
    }
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return result;
  }
  Fail("varint longer than 10 bytes");
  return 0;
}

}  // namespace kprof::pprof
