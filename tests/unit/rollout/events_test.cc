#include "rollout/events.h"

#include <gtest/gtest.h>

namespace kprof::rollout {
namespace {

TEST(PulledMessage, NewKubeletFormat) {
  auto m = ParsePulledMessage(
      "Successfully pulled image \"nginx:1.27\" in 796ms (1.594s including waiting). Image size: "
      "543804759 bytes.");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->image, "nginx:1.27");
  EXPECT_FALSE(m->already_present);
  EXPECT_EQ(m->pull_nanos, 796000000);
  EXPECT_EQ(m->with_waiting_nanos, 1594000000);
  EXPECT_EQ(m->size_bytes, 543804759);
}

TEST(PulledMessage, OlderKubeletFormat) {
  auto m = ParsePulledMessage("Successfully pulled image \"busybox\" in 1m2.5s");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->pull_nanos, 62500000000);
  EXPECT_EQ(m->with_waiting_nanos, -1);
  EXPECT_EQ(m->size_bytes, 0);
}

TEST(PulledMessage, AlreadyPresent) {
  auto m = ParsePulledMessage("Container image \"app:v1\" already present on machine");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->already_present);
  EXPECT_EQ(m->pull_nanos, 0);
  EXPECT_EQ(m->image, "app:v1");
}

TEST(PulledMessage, OtherTextIsNotAPull) {
  for (const char* text : {"", "Successfully pulled image", "Successfully pulled image \"x",
                           "Container image \"x\" is odd", "Pulling image \"x\""}) {
    EXPECT_FALSE(ParsePulledMessage(text).has_value()) << text;
  }
  auto bad =
      ParsePulledMessage("Successfully pulled image \"x\" in soon (later including waiting)");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->pull_nanos, -1);
  EXPECT_EQ(bad->with_waiting_nanos, -1);
}

TEST(PullingMessage, Image) {
  EXPECT_EQ(ParsePullingImage("Pulling image \"registry.io/a/b:v2\""), "registry.io/a/b:v2");
  EXPECT_EQ(ParsePullingImage("Pulling something"), "");
}

TEST(ProblemReasons, KnownFailures) {
  EXPECT_TRUE(IsProblemReason("BackOff"));
  EXPECT_TRUE(IsProblemReason("FailedScheduling"));
  EXPECT_FALSE(IsProblemReason("Pulled"));
}

}  // namespace
}  // namespace kprof::rollout
