// Encoder of profile.proto, the inverse of Decoder.
//
// Writes ids from the `id` fields (so a decoded profile round-trips with its own
// ids); messages with id 0 get their index + 1. Repeated integers are packed, as
// Go's encoder does. The output is read by `go tool pprof`.
//
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "pprof/profile.h"

namespace kprof::pprof {

// Plain profile.proto bytes.
std::string EncodeProfile(const Profile& profile);

// Gzipped profile.proto bytes, as .pb.gz files and pprof HTTP endpoints carry them.
std::string EncodeProfileGzip(const Profile& profile, int level = 1);

}  // namespace kprof::pprof
