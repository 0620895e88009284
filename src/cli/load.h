// Reading profiles named on the command line.
//
// One file is decoded; several are merged on all cores with the engine's
// parallel merger, as `go tool pprof a b c` merges its inputs.
//
// Thread-safety: the functions may be called from one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/decode.h"
#include "pprof/profile.h"

namespace kprof::cli {

// Reads a whole file (or standard input for "-"), refusing files over `max_bytes`.
Status ReadFile(const std::string& path, size_t max_bytes, std::string* out);

// Decodes one profile file.
Result<pprof::Profile> LoadProfile(const std::string& path);

// Decodes and merges `paths`. Profiles whose sample types differ are reduced to
// the types they share (in the first profile's order) before merging.
Result<pprof::Profile> LoadMerged(const std::vector<std::string>& paths);

// Keeps only the sample types named in `types` (type names), in that order.
void KeepSampleTypes(pprof::Profile* profile, const std::vector<std::string>& types);

}  // namespace kprof::cli
