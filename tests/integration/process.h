// Running a command in tests and capturing its output.
#pragma once

#include <string>

namespace kprof::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` through /bin/sh with stdout and stderr captured separately.
CommandResult RunCommand(const std::string& command);

// Quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

// The value of an environment variable, or "" when unset.
std::string Env(const char* name);

}  // namespace kprof::testing
