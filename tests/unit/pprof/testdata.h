// Named real Go profiles captured by the go_profiles CTest fixture
// (tests/support/fetch_profiles.sh): cpu-a.pb.gz, heap-b.pb.gz, allocs-a2.pb.gz, …
// Instance "a" runs work variant v1, instance "b" variant v2 (more CPU in
// main.regressedFunc).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "pprof/decode.h"
#include "pprof/profile.h"
#include "pprof/report.h"

namespace kprof::pprof::testutil {

inline std::string TestdataDir() {
  const char* dir = std::getenv("KPROF_TESTDATA_DIR");
  return (dir != nullptr && *dir != '\0') ? dir : KPROF_DEFAULT_TESTDATA_DIR;
}

inline std::string ReadTestdata(const std::string& name) {
  std::ifstream in(TestdataDir() + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing " << TestdataDir() << "/" << name
                         << ": run tests/support/fetch_profiles.sh";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Decodes a real profile; fails the test if it does not decode.
inline Profile LoadTestdata(const std::string& name) {
  auto p = DecodeProfile(ReadTestdata(name));
  EXPECT_TRUE(p.ok()) << name << ": " << p.status().ToString();
  return p.ok() ? std::move(p).value() : Profile();
}

inline int64_t TotalOf(const Profile& p, size_t index) {
  int64_t total = 0;
  for (size_t i = 0; i < p.samples.size(); ++i) total += p.ValuesOf(i)[index];
  return total;
}

// Decodes and prepares a real profile for reports.
inline PreparedProfile PrepareTestdata(const std::string& name, ReportOptions options = {}) {
  auto prepared = Prepare(LoadTestdata(name), options);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  return prepared.ok() ? std::move(prepared).value() : PreparedProfile();
}

}  // namespace kprof::pprof::testutil
