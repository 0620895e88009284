// Strict decoder of profile.proto, gzipped or plain.
//
// Every byte is untrusted: field wire types are checked, every id reference and
// string index is bounds-checked, and sizes are limited before and after
// decompression. Malformed input yields kInvalidArgument, a limit yields
// kResourceExhausted; neither crashes nor allocates without bound.
//
// Repeated numeric fields are accepted packed and unpacked (Go packs only when a
// field has more than two values).
//
// Thread-safety: a Decoder holds reusable scratch space and serves one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pprof/profile.h"

namespace kprof::pprof {

struct DecodeLimits {
  // The largest profile accepted after decompression. A gzip bomb stops here.
  size_t max_decompressed_bytes = 256u << 20;
  // Memory the decoded profile may take. Tiny records (a 2-byte empty location)
  // expand ~25x in memory, so this, not the input size, bounds memory.
  size_t max_decoded_bytes = 1u << 30;
  // Per-sample and per-location bounds that no real profile comes near.
  uint32_t max_sample_types = 64;
  uint32_t max_stack_depth = 1u << 16;
  uint32_t max_labels_per_sample = 1024;
  uint32_t max_lines_per_location = 1024;
};

class Decoder {
 public:
  explicit Decoder(DecodeLimits limits = {}) : limits_(limits) {}

  // Decodes `data` (gzip detected by its magic bytes) into `*out`, replacing its
  // contents. The profile's strings point into a buffer `*out` keeps alive.
  Status Decode(std::string_view data, Profile* out);

  // Decodes plain (not gzipped) profile.proto bytes held by `buffer`.
  Status DecodeOwned(std::shared_ptr<const std::string> buffer, Profile* out);

  const DecodeLimits& limits() const { return limits_; }

 private:
  Status Parse(std::string_view data, Profile* out);
  Status Resolve(Profile* out);

  DecodeLimits limits_;
  // Inflated bytes of the last gzipped input; reused when no Profile still holds it.
  std::shared_ptr<std::string> buffer_;
  // Raw ids seen while parsing, resolved to indices once all messages are read
  // (the wire format allows references to messages that come later).
  std::vector<uint64_t> raw_sample_locations_;
  std::vector<uint64_t> raw_location_mapping_;
  std::vector<uint64_t> raw_line_function_;
  std::vector<uint32_t> sample_value_counts_;
  uint64_t max_string_index_ = 0;
  size_t decoded_bytes_ = 0;
};

// Convenience: decode into a new Profile.
Result<Profile> DecodeProfile(std::string_view data, const DecodeLimits& limits = {});

}  // namespace kprof::pprof
