// StringTable: the string table of one profile (profile.proto field 6).
//
// Strings are std::string_views. A decoded profile's views point into the
// decompressed buffer, which the table keeps alive (Retain), so decoding does not
// copy each string. Strings added later (Append) are copied into an arena the table
// owns. Views stay valid for the table's lifetime; they never move when the table
// grows. Copying a table copies its strings into one fresh arena.
//
// Thread-safety: none; a table belongs to one Profile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kprof::pprof {

class StringTable {
 public:
  StringTable() { views_.emplace_back(); }
  StringTable(const StringTable& other);
  StringTable& operator=(const StringTable& other);
  StringTable(StringTable&&) noexcept = default;
  StringTable& operator=(StringTable&&) noexcept = default;

  uint32_t size() const { return static_cast<uint32_t>(views_.size()); }
  std::string_view operator[](uint32_t index) const { return views_[index]; }
  const std::vector<std::string_view>& views() const { return views_; }

  // Appends a copy of `s`. No de-duplication: use StringInterner for that.
  uint32_t Append(std::string_view s);

  // Appends `s` without copying; `s` must lie inside a buffer passed to Retain().
  uint32_t AppendView(std::string_view s) {
    views_.push_back(s);
    return static_cast<uint32_t>(views_.size() - 1);
  }
  void Retain(std::shared_ptr<const std::string> buffer) { retained_.push_back(std::move(buffer)); }

  // Empties the table (then holds only ""), keeping allocated capacity for reuse.
  void Clear();
  // Drops everything (including "") so the decoder can fill the table from the wire.
  void ClearForDecode();

 private:
  std::vector<std::string_view> views_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_capacity_ = 0;
  std::vector<std::shared_ptr<const std::string>> retained_;
};

}  // namespace kprof::pprof
