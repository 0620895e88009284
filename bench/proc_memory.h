// Memory figures of the benchmark process itself, from /proc.
#pragma once

#include <cstring>
#include <fstream>
#include <string>

namespace kprof::bench {

// A field of /proc/self/status in kB ("VmHWM", "VmRSS"), or -1.
inline long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::stol(line.substr(n + 1));
    }
  }
  return -1;
}

// Resets VmHWM to the current RSS; false where the kernel does not allow it.
inline bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace kprof::bench
