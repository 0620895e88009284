// Files and environment for the kubeconfig and credential tests: a temporary directory
// removed afterwards, and environment variables restored when the test ends.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace kprof::kube::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/kprof-kube-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    path_ = made == nullptr ? "" : made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Writes `contents` to `name` (parent directories made), optionally executable;
  // returns the full path.
  std::string Write(const std::string& name, const std::string& contents,
                    bool executable = false) const {
    std::string path = File(name);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << contents;
    }
    if (executable) chmod(path.c_str(), 0755);
    return path;
  }

 private:
  std::string path_;
};

// Sets or unsets environment variables; the old values come back on destruction.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        unsetenv(it->first.c_str());
      }
    }
  }

  void Set(const std::string& name, const std::string& value) {
    Save(name);
    setenv(name.c_str(), value.c_str(), 1);
  }
  void Unset(const std::string& name) {
    Save(name);
    unsetenv(name.c_str());
  }

 private:
  void Save(const std::string& name) {
    const char* old = getenv(name.c_str());
    saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace kprof::kube::testing
