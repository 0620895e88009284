// A bearer token kept in a file (a Kubernetes tokenFile, a service-account token, a
// --*-token-file flag): re-read when the file changes, which is how the kubelet rotates
// projected tokens (an atomic symlink swap, so a new inode). The file is looked at
// (stat) at most once per `interval`, and on the next Get after Invalidate.
//
// Thread-safety: Get and Invalidate may be called from any thread.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <string>

#include "base/status.h"

namespace kprof {

class TokenFile {
 public:
  TokenFile(std::string path, std::chrono::milliseconds interval)
      : path_(std::move(path)), interval_(interval) {}

  // The token, white space trimmed. While the file is missing or empty for a moment
  // (mid-rotation) the last good token is kept; without one, kUnavailable.
  Result<std::string> Get();
  // Look at the file again on the next Get (the server said 401).
  void Invalidate();
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::string token_;  // guarded by mu_, as are the fields below
  ino_t inode_ = 0;
  off_t size_ = 0;
  timespec mtime_{};
  std::chrono::steady_clock::time_point checked_;
  bool recheck_ = false;
};

}  // namespace kprof
