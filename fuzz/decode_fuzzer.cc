// libFuzzer target for the pprof decoder (untrusted input: profiles uploaded to the
// server and files given to the CLI).
//
// Any input must decode or fail with a Status, never crash, leak or trip a sanitizer.
// An input that decodes must survive encode → decode unchanged, and re-encoding must
// give the same bytes: a mismatch aborts, so libFuzzer records it as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pprof/decode.h"
#include "pprof/encode.h"
#include "profile_diff.h"

namespace {

using kprof::pprof::DecodeLimits;
using kprof::pprof::Decoder;
using kprof::pprof::Profile;

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "decode_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

DecodeLimits FuzzLimits() {
  DecodeLimits limits;
  limits.max_decompressed_bytes = 8u << 20;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Decoder decoder(FuzzLimits());  // fresh per input, so every crash reproduces alone
  Profile first;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  kprof::Status s = decoder.Decode(input, &first);
  if (!s.ok()) {
    if (s.code() == kprof::StatusCode::kInternal) Die("internal error", s.ToString());
    return 0;
  }
  const std::string encoded = kprof::pprof::EncodeProfile(first);
  Profile second;
  s = decoder.Decode(encoded, &second);  // the same decoder again: reuse is part of the test
  if (!s.ok()) Die("kprof cannot decode what it encoded", s.ToString());
  std::string diff = kprof::pprof::testutil::ProfileDifference(first, second);
  if (!diff.empty()) Die("decode(encode(p)) != p", diff);
  if (kprof::pprof::EncodeProfile(second) != encoded) Die("encoding is not deterministic", "");
  return 0;
}
