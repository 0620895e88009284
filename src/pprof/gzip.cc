#include "pprof/gzip.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace kprof::pprof {

namespace {

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// One decompressor per thread: allocating one costs more than inflating a small profile.
libdeflate_decompressor* ThreadDecompressor() {
  thread_local std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d(
      libdeflate_alloc_decompressor());
  return d.get();
}

uint32_t Le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

Status Gunzip(std::string_view data, size_t max_output, std::string* out) {
  // Keep the old contents' size: resize() then zero-fills only bytes beyond it.
  libdeflate_decompressor* d = ThreadDecompressor();
  if (d == nullptr) return ResourceExhausted("gzip: cannot allocate a decompressor");
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t in_left = data.size();
  size_t produced = 0;
  while (in_left > 0) {
    if (in_left < 18) return InvalidArgument("gzip: truncated member (shorter than a gzip header)");
    // ISIZE (the last 4 bytes) is the size of the last member only when there is one
    // member, and it is untrusted: use it as a first guess, clamped to the limit.
    size_t guess = Le32(in + in_left - 4);
    if (guess == 0) guess = in_left * 4;
    // DEFLATE cannot expand input more than ~1032:1, which bounds a lying ISIZE.
    guess = std::min(guess, in_left * 1032);
    size_t remaining_budget = max_output - produced;
    size_t capacity = std::min(std::max<size_t>(guess, 64), remaining_budget);
    for (;;) {
      if (out->size() < produced + capacity) out->resize(produced + capacity);
      size_t in_used = 0;
      size_t out_written = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(d, in, in_left, out->data() + produced,
                                                          capacity, &in_used, &out_written);
      if (r == LIBDEFLATE_SUCCESS) {
        produced += out_written;
        in += in_used;
        in_left -= in_used;
        break;
      }
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (capacity >= remaining_budget) {
          out->clear();
          return ResourceExhausted("gzip: data inflates to more than " +
                                   std::to_string(max_output) +
                                   " bytes, the decompressed-size limit");
        }
        capacity = std::min(capacity * 2 + 4096, remaining_budget);
        continue;
      }
      out->clear();
      return InvalidArgument("gzip: corrupt or truncated compressed data");
    }
  }
  out->resize(produced);
  return Status::Ok();
}

std::string Gzip(std::string_view data, int level) {
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> c(libdeflate_alloc_compressor(level));
  std::string out;
  out.resize(libdeflate_gzip_compress_bound(c.get(), data.size()));
  size_t n = libdeflate_gzip_compress(c.get(), data.data(), data.size(), out.data(), out.size());
  out.resize(n);
  return out;
}

}  // namespace kprof::pprof
