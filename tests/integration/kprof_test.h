// Base fixture for tests that run the kprof binary on the real profiles captured by
// the go_profiles CTest fixture. KPROF_BIN / KPROF_TESTDATA_DIR in the environment
// override the paths compiled in by CMake.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "integration/process.h"

namespace kprof::testing {

class KprofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kprof_ = Env("KPROF_BIN");
    data_ = Env("KPROF_TESTDATA_DIR");
    if (kprof_.empty()) kprof_ = KPROF_DEFAULT_BIN;
    if (data_.empty()) data_ = KPROF_DEFAULT_TESTDATA_DIR;
    ASSERT_TRUE(std::filesystem::exists(data_ + "/cpu-a.pb.gz"))
        << "no profiles in " << data_ << ": run tests/support/fetch_profiles.sh " << data_;
    setenv("TZ", "UTC", 1);
  }

  // A quoted path to a captured profile.
  std::string File(const std::string& name) const { return ShellQuote(data_ + "/" + name); }
  CommandResult Kprof(const std::string& args) const {
    return RunCommand(ShellQuote(kprof_) + " " + args);
  }

  std::string kprof_;
  std::string data_;
};

}  // namespace kprof::testing
