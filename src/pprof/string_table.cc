#include "pprof/string_table.h"

#include <algorithm>
#include <cstring>

namespace kprof::pprof {

namespace {
constexpr size_t kMinChunk = 16 * 1024;
}

StringTable::StringTable(const StringTable& other) { *this = other; }

StringTable& StringTable::operator=(const StringTable& other) {
  if (this == &other) return *this;
  views_.clear();
  chunks_.clear();
  retained_.clear();
  chunk_used_ = chunk_capacity_ = 0;
  size_t total = 0;
  for (std::string_view s : other.views_) total += s.size();
  if (total > 0) {
    chunks_.push_back(std::make_unique<char[]>(total));
    chunk_capacity_ = total;
  }
  views_.reserve(other.views_.size());
  for (std::string_view s : other.views_) {
    char* dst = chunks_.empty() ? nullptr : chunks_.back().get() + chunk_used_;
    if (!s.empty()) std::memcpy(dst, s.data(), s.size());
    views_.emplace_back(dst, s.size());
    chunk_used_ += s.size();
  }
  return *this;
}

uint32_t StringTable::Append(std::string_view s) {
  if (s.empty()) {
    views_.emplace_back();
    return static_cast<uint32_t>(views_.size() - 1);
  }
  if (chunk_used_ + s.size() > chunk_capacity_) {
    size_t capacity = std::max(kMinChunk, s.size());
    chunks_.push_back(std::make_unique<char[]>(capacity));
    chunk_capacity_ = capacity;
    chunk_used_ = 0;
  }
  char* dst = chunks_.back().get() + chunk_used_;
  std::memcpy(dst, s.data(), s.size());
  chunk_used_ += s.size();
  views_.emplace_back(dst, s.size());
  return static_cast<uint32_t>(views_.size() - 1);
}

void StringTable::Clear() {
  ClearForDecode();
  views_.emplace_back();
}

void StringTable::ClearForDecode() {
  views_.clear();
  retained_.clear();
  if (chunks_.size() > 1) {
    // Keep one chunk for reuse.
    std::swap(chunks_.front(), chunks_.back());
    chunks_.resize(1);
  }
  chunk_used_ = 0;
  if (chunks_.empty()) chunk_capacity_ = 0;
}

}  // namespace kprof::pprof
