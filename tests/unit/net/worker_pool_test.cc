#include "net/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "unit/net/net_test_util.h"

namespace kprof::net {
namespace {

using testing::WaitFor;

using testing::Gate;

TEST(WorkerPool, RejectsJobsBeyondTheQueueLimit) {
  Gate gate;
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  WorkerPool pool(1, 2);
  auto job = [&] {
    started++;
    gate.Wait();
    finished++;
  };
  ASSERT_TRUE(pool.TryPost(job));
  ASSERT_TRUE(WaitFor([&] { return started == 1; }));
  EXPECT_TRUE(pool.TryPost(job));
  EXPECT_TRUE(pool.TryPost(job));
  EXPECT_FALSE(pool.TryPost(job));
  EXPECT_EQ(pool.queued(), 2u);
  gate.Open();
  EXPECT_TRUE(WaitFor([&] { return finished == 3; }));
  EXPECT_TRUE(pool.TryPost(job));
  EXPECT_TRUE(WaitFor([&] { return finished == 4; }));
}

TEST(WorkerPool, ShutdownDropsQueuedJobsAndWaitsForRunningOnes) {
  Gate gate;
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  WorkerPool pool(1, 4);
  auto job = [&] {
    started++;
    gate.Wait();
    finished++;
  };
  ASSERT_TRUE(pool.TryPost(job));
  ASSERT_TRUE(WaitFor([&] { return started == 1; }));
  ASSERT_TRUE(pool.TryPost(job));
  std::thread opener([&] {
    WaitFor([&] { return pool.queued() == 0; });
    gate.Open();
  });
  pool.Shutdown();
  opener.join();
  EXPECT_EQ(started, 1);
  EXPECT_EQ(finished, 1);
  EXPECT_FALSE(pool.TryPost(job));
}

}  // namespace
}  // namespace kprof::net
