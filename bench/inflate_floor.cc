// The floor of any merge: read each profile file, inflate it with libdeflate and
// walk every field once (one varint scan, nested messages and packed fields
// included), doing nothing with the values. kprof's merge is compared against it.
//
//   inflate_floor [--threads N] FILE...
// Prints: files, inflated bytes, a checksum (so the work cannot be optimized away).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "pprof/gzip.h"
#include "pprof/wire.h"

namespace {

using kprof::pprof::WireReader;

// Walks a message; descends into the length-delimited fields that are messages
// (`nested`), and decodes packed varints inside them.
uint64_t Scan(std::string_view bytes, int depth) {
  WireReader r(bytes);
  uint64_t sum = 0;
  uint32_t field = 0;
  uint8_t type = 0;
  while (r.NextField(&field, &type)) {
    if (type == kprof::pprof::kVarint) {
      sum += r.ReadVarint();
    } else if (type == kprof::pprof::kLengthDelimited) {
      std::string_view sub = r.ReadBytes();
      bool is_string = depth == 0 && field == 6;
      if (is_string) {
        sum += sub.size();
      } else if (depth < 2) {
        // Messages (and packed varints, which scan the same way as values).
        WireReader probe(sub);
        uint64_t packed = 0;
        bool packed_ok = depth == 1;
        if (packed_ok) {
          while (!probe.done()) packed += probe.ReadVarint();
          if (!probe.failed()) {
            sum += packed;
            continue;
          }
        }
        sum += Scan(sub, depth + 1);
      }
    } else {
      r.Skip(type);
    }
  }
  return sum;
}

bool ReadWhole(const char* path, std::string* out) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  out->clear();
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      files.push_back(argv[i]);
    }
  }
  if (threads < 1) threads = 1;
  std::atomic<uint64_t> checksum{0}, inflated{0};
  std::atomic<bool> failed{false};
  auto work = [&](size_t t) {
    std::string raw, plain;
    size_t begin = files.size() * t / threads, end = files.size() * (t + 1) / threads;
    uint64_t sum = 0, bytes = 0;
    for (size_t i = begin; i < end; ++i) {
      if (!ReadWhole(files[i], &raw) || !kprof::pprof::Gunzip(raw, 256u << 20, &plain).ok()) {
        failed = true;
        return;
      }
      bytes += plain.size();
      sum += Scan(plain, 0);
    }
    checksum += sum;
    inflated += bytes;
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  if (failed) {
    std::fprintf(stderr, "inflate_floor: cannot read or inflate an input\n");
    return 1;
  }
  std::printf("files=%zu inflated_bytes=%llu checksum=%llu\n", files.size(),
              static_cast<unsigned long long>(inflated.load()),
              static_cast<unsigned long long>(checksum.load()));
  return 0;
}
