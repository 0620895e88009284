// Decode-only rate: how many of the given profiles the engine decodes per second
// (inflate + strict decode, nothing stored), on N threads for S seconds. The ingest
// benchmark reports the server's rate as a fraction of this.
//
//   kprof_decode_rate [--threads N] [--seconds S] FILE...
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pprof/decode.h"

int main(int argc, char** argv) {
  int threads = 2;
  double seconds = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::ifstream f(argv[i], std::ios::binary);
      std::stringstream s;
      s << f.rdbuf();
      files.push_back(s.str());
    }
  }
  if (files.empty()) return 2;
  std::atomic<long> decoded{0};
  std::atomic<bool> failed{false};
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(seconds));
  auto work = [&](int t) {
    kprof::pprof::Decoder decoder;
    kprof::pprof::Profile p;
    long n = 0;
    for (size_t i = static_cast<size_t>(t); std::chrono::steady_clock::now() < end; ++i) {
      if (!decoder.Decode(files[i % files.size()], &p).ok()) failed = true;
      ++n;
    }
    decoded += n;
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"threads\":%d,\"decoded\":%ld,\"per_second\":%.1f}\n", threads, decoded.load(),
              decoded.load() / elapsed);
  return failed ? 1 : 0;
}
