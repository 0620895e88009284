// Granularity: what a report's nodes stand for, as `go tool pprof` means it.
//
//   functions      one node per function (default)
//   filefunctions  one per function and file
//   files          one per source file
//   lines          one per source line
//   addresses      one per instruction address
//
// Aggregate() erases the attributes a granularity does not show, so equal nodes
// fold together. With inlines=false, inlined frames are folded into their caller.
//
// Thread-safety: modifies the profile in place.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pprof/profile.h"

namespace kprof::pprof {

enum class Granularity { kFunctions, kFileFunctions, kFiles, kLines, kAddresses };

Result<Granularity> ParseGranularity(std::string_view name);
std::string_view GranularityName(Granularity g);

void Aggregate(Profile* profile, Granularity granularity, bool inlines);

}  // namespace kprof::pprof
