// Real Go profiles for tests that check the codec against what Go actually emits.
//
// RealProfilesTest loads every *.pb.gz file in the directory named by the
// KPROF_TESTDATA_DIR environment variable (a CTest fixture fills it from the Go
// workload in tests/support/workloads). Tests derived from it are skipped when the
// variable is unset and fail when it names a directory without profiles.
//
// Files are inflated with zlib, not with kprof's own Gunzip, so that differential
// tests have an independent path from the file to the proto bytes.
//
// Thread-safety: test fixtures; one thread.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testdata.h"

namespace kprof::pprof::testutil {

struct RealProfile {
  std::string name;  // file name, for failure messages
  std::string gz;    // the file's bytes
  std::string raw;   // the profile.proto bytes inside
};

// Inflates gzip `data` with zlib. Returns false on a corrupt stream.
inline bool ZlibGunzip(const std::string& data, std::string* out) {
  out->clear();
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out->append(buf, sizeof(buf) - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END;
}

inline std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class RealProfilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = TestdataDir();
    ASSERT_TRUE(std::filesystem::is_directory(dir))
        << dir << " does not exist: run tests/support/fetch_profiles.sh " << dir;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.size() > 6 &&
          name.compare(name.size() - 6, 6, ".pb.gz") == 0) {
        paths.push_back(entry.path());
      }
    }
    std::sort(paths.begin(), paths.end());
    ASSERT_FALSE(paths.empty()) << "no *.pb.gz files in KPROF_TESTDATA_DIR=" << dir;
    for (const auto& path : paths) {
      RealProfile p;
      p.name = path.filename().string();
      p.gz = ReadFileBytes(path);
      ASSERT_TRUE(ZlibGunzip(p.gz, &p.raw)) << p.name << " is not a valid gzip file";
      profiles_.push_back(std::move(p));
    }
  }

  std::vector<RealProfile> profiles_;
};

}  // namespace kprof::pprof::testutil
