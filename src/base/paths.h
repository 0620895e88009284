// File path helpers with Go's path/filepath semantics, so names kprof prints match
// what go tool pprof prints for the same profile.
#pragma once

#include <string>
#include <string_view>

namespace kprof {

// Go's filepath.Clean: "a//b/./c/.." → "a/b".
std::string CleanPath(std::string_view path);

// Go's filepath.Base: the last element, trailing slashes removed ("" → ".").
std::string_view BaseName(std::string_view path);

}  // namespace kprof
