// Whole-buffer gzip for profiles (libdeflate).
//
// Profiles are small whole buffers, so kprof inflates them in one call rather than
// streaming. Untrusted input is bounded: Gunzip never allocates more than
// `max_output` bytes of output and reports a gzip bomb as kResourceExhausted.
//
// Thread-safety: the functions are reentrant; each call uses its own (de)compressor
// unless given one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kprof::pprof {

inline bool IsGzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

// Inflates all gzip members of `data` into `*out` (replacing its contents).
Status Gunzip(std::string_view data, size_t max_output, std::string* out);

// Compresses `data` as one gzip member. Go writes profiles at level 1; so do we
// by default.
std::string Gzip(std::string_view data, int level = 1);

}  // namespace kprof::pprof
