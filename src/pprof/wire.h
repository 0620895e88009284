// Protocol-buffer wire primitives for the hand-written pprof codec.
//
// WireReader walks one message's bytes. It never reads past its end: every read is
// bounds-checked, and the first malformation makes the reader "failed" with a
// static description; later reads return zeros. Callers check failed() at message
// boundaries, which keeps the hot loops free of Status objects.
//
// WireWriter appends encoded fields to a std::string.
//
// Thread-safety: plain values, one thread at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kprof::pprof {

enum WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

class WireReader {
 public:
  explicit WireReader(std::string_view data)
      : begin_(reinterpret_cast<const uint8_t*>(data.data())),
        p_(begin_),
        end_(begin_ + data.size()) {}

  bool done() const { return p_ >= end_ || failed_; }
  bool failed() const { return failed_; }
  const char* error() const { return error_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

  // Reads a field key. Returns false at the end of the message or on error.
  bool NextField(uint32_t* field, uint8_t* wire_type) {
    if (done()) return false;
    uint64_t key = ReadVarint();
    if (failed_) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint8_t>(key & 7);
    if (*field == 0 || (key >> 3) > 0x1FFFFFFF) return Fail("invalid field number");
    return true;
  }

  // One-byte varints (most tags, small ids) stay inline; longer ones take a call.
  [[gnu::always_inline]] uint64_t ReadVarint() {
    if (p_ < end_ && *p_ < 0x80) return *p_++;
    return ReadVarintMultiByte();
  }

  [[gnu::always_inline]] std::string_view ReadBytes() {
    uint64_t n = ReadVarint();
    if (failed_) return {};
    if (n > static_cast<uint64_t>(end_ - p_)) {
      Fail("length-delimited field runs past the end of its message");
      return {};
    }
    std::string_view out(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return out;
  }

  // Skips a field of an unknown number. Groups are rejected: profile.proto has none.
  void Skip(uint8_t wire_type) {
    switch (wire_type) {
      case kVarint:
        ReadVarint();
        return;
      case kFixed64:
        Advance(8);
        return;
      case kLengthDelimited:
        ReadBytes();
        return;
      case kFixed32:
        Advance(4);
        return;
      default:
        Fail("unsupported wire type (group or invalid)");
    }
  }

  bool Fail(const char* message) {
    if (!failed_) {
      failed_ = true;
      error_ = message;
    }
    p_ = end_;
    return false;
  }

 private:
  uint64_t ReadVarintMultiByte();
  uint64_t ReadVarintSlow();
  void Advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) {
      Fail("fixed-width field runs past the end of its message");
      return;
    }
    p_ += n;
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
  const char* error_ = nullptr;
};

class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(out) {}

  void Varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_->append(buf, n);
  }
  void Key(uint32_t field, WireType type) { Varint((static_cast<uint64_t>(field) << 3) | type); }

  // Writes a varint field; proto3 omits zero values.
  void VarintField(uint32_t field, uint64_t v) {
    if (v == 0) return;
    Key(field, kVarint);
    Varint(v);
  }
  void Int64Field(uint32_t field, int64_t v) { VarintField(field, static_cast<uint64_t>(v)); }
  void BoolField(uint32_t field, bool v) { VarintField(field, v ? 1 : 0); }
  void BytesField(uint32_t field, std::string_view bytes) {
    Key(field, kLengthDelimited);
    Varint(bytes.size());
    out_->append(bytes.data(), bytes.size());
  }
  std::string* out() { return out_; }

 private:
  std::string* out_;
};

// Zig-zag mapping of signed to unsigned (small magnitudes → short varints).
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace kprof::pprof
