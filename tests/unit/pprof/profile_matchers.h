// GoogleTest assertions on Profiles.
//
//   EXPECT_TRUE(ProfilesEqual(a, b));   // fails with the first differing field
//   ExpectProfilesEqual(a, b);          // the same, as a statement
//
// Equality is exact and structural (same strings, ids and indices); see
// profile_diff.h, which holds the comparison so that fuzz targets can use it
// without GoogleTest.
#pragma once

#include <gtest/gtest.h>

#include "pprof/profile.h"
#include "profile_diff.h"

namespace kprof::pprof::testutil {

inline ::testing::AssertionResult ProfilesEqual(const Profile& a, const Profile& b) {
  std::string diff = ProfileDifference(a, b);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "profiles differ at " << diff;
}

inline void ExpectProfilesEqual(const Profile& a, const Profile& b) {
  EXPECT_TRUE(ProfilesEqual(a, b));
}

}  // namespace kprof::pprof::testutil
