#include "base/token_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace kprof {

Result<std::string> TokenFile::Get() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && !recheck_ && now - checked_ < interval_) return token_;
  checked_ = now;
  recheck_ = false;
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    if (!token_.empty()) return token_;
    return Unavailable("token file " + path_ + ": " + std::strerror(errno));
  }
  if (!token_.empty() && st.st_ino == inode_ && st.st_size == size_ &&
      st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return token_;
  }
  std::ifstream in(path_, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string token(TrimSpace(contents.str()));
  if (!in || token.empty()) {
    if (!token_.empty()) return token_;
    return Unavailable("token file " + path_ + (in ? ": empty" : ": cannot be read"));
  }
  token_ = std::move(token);
  inode_ = st.st_ino;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
  return token_;
}

void TokenFile::Invalidate() {
  std::lock_guard lock(mu_);
  recheck_ = true;
}

}  // namespace kprof
