// Sample filters with `go tool pprof` semantics, and drop_frames pruning.
//
// Regular expressions are RE2 (the syntax of Go's regexp), unanchored like Go's
// MatchString. A location matches a name filter when one of its lines' function
// name or file name matches, or its mapping's file name does.
//
//   focus      keep samples with a matching location (and none matching ignore)
//   ignore     drop samples with a matching location
//   hide       remove matching frames from stacks
//   show       keep only matching frames in stacks
//   show_from  cut stacks above the root-most matching frame
//   tagfocus   keep samples whose labels match: "key=regex,regex", "regex" (matched
//              against "key:value"), or a numeric range "key=64kb:1mb"
//   tagignore  drop samples whose labels match, same syntax
//   prune_from cut stacks below the leaf-most matching frame
//
// Filters modify the profile in place. Thread-safety: none.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "pprof/profile.h"

namespace kprof::pprof {

struct FilterOptions {
  std::string focus;
  std::string ignore;
  std::string hide;
  std::string show;
  std::string show_from;
  std::string tagfocus;
  std::string tagignore;
  std::string prune_from;

  bool empty() const;
};

struct FilterOutcome {
  // "Focus expression matched no samples" and the like, for stderr.
  std::vector<std::string> warnings;
};

// Applies `options` to `profile`. Fails with kInvalidArgument on a bad regex.
Result<FilterOutcome> ApplyFilters(Profile* profile, const FilterOptions& options);

// The "Active filters:" lines pprof prints above a report (empty if none).
std::vector<std::string> ActiveFilterLegend(const FilterOptions& options);

// Applies the profile's own drop_frames/keep_frames regexes (pprof's
// RemoveUninteresting). A no-op when drop_frames is empty.
Status PruneDropFrames(Profile* profile);

// pprof's name clean-up for already-demangled C++ names: functions whose name is
// empty or equal to their system name get the system name with parameter and
// template lists removed ("std::vector<int>::push_back(int)" → "std::vector::push_back").
// Go names pass through unchanged.
void SimplifyFunctionNames(Profile* profile);

}  // namespace kprof::pprof
