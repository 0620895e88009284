// Waiting in tests: poll a condition until it holds or a limit passes (never a fixed
// sleep), and where the Kubernetes API simulator was built.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace kprof::testing_support {

// Calls `condition` every `step` until it returns true or `limit` has passed; the result
// of a last call after the limit.
template <typename F>
bool WaitUntil(F condition, std::chrono::milliseconds limit,
               std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(step);
  }
  return condition();
}

#ifdef KPROF_DEFAULT_KUBESIM_DIR
// $KPROF_KUBESIM_DIR, else the build's kubesim directory (compiled in).
inline std::string KubesimDir() {
  const char* dir = std::getenv("KPROF_KUBESIM_DIR");
  return dir != nullptr && *dir != '\0' ? dir : KPROF_DEFAULT_KUBESIM_DIR;
}
#endif

}  // namespace kprof::testing_support
