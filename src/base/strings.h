// Small string helpers shared across modules.
#pragma once

#include <string>
#include <string_view>

namespace kprof {

// `s` without leading and trailing ASCII white space (space, \t, \n, \v, \f, \r).
std::string_view TrimSpace(std::string_view s);

// ASCII case-insensitive equality (HTTP header names, content codings).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Go's url.QueryEscape: unreserved characters stay, ' ' becomes '+', every other byte
// %XX (upper-case hex).
void AppendQueryEscaped(std::string* out, std::string_view text);
std::string QueryEscape(std::string_view text);

}  // namespace kprof
