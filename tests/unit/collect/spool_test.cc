#include "collect/spool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kprof::collect {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("kprof-spool-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

Envelope Make(int i, size_t size = 100) {
  Envelope e;
  e.service = "svc";
  e.type = "heap";
  e.labels.Set("pod", "p" + std::to_string(i));
  e.time_nanos = 1000 + i;
  e.profile = std::string(size, static_cast<char>('a' + i % 26));
  return e;
}

TEST(Spool, FifoRemoveReleaseAndReopen) {
  std::string dir = TempDir("fifo");
  {
    auto spool = Spool::Open({dir});
    ASSERT_TRUE(spool.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*spool)->Put(Make(i)).ok());
    auto a = (*spool)->Next(std::chrono::milliseconds(0));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->envelope.labels.Get("pod"), "p0");
    auto b = (*spool)->Next(std::chrono::milliseconds(0));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->envelope.labels.Get("pod"), "p1");
    (*spool)->Release(a->seq);  // failed delivery: first again
    auto again = (*spool)->Next(std::chrono::milliseconds(0));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->seq, a->seq);
    (*spool)->Remove(a->seq);
    EXPECT_EQ((*spool)->stats().files, 2u);
  }
  // A new run finds what was not delivered, in order, and continues the sequence.
  auto spool = Spool::Open({dir});
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->stats().files, 2u);
  auto first = (*spool)->Next(std::chrono::milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->envelope.labels.Get("pod"), "p1");
  EXPECT_EQ(first->envelope.time_nanos, 1001);
  EXPECT_EQ(first->envelope.profile, std::string(100, 'b'));
  ASSERT_TRUE((*spool)->Put(Make(9)).ok());
  std::filesystem::remove_all(dir);
}

TEST(Spool, BoundDropsOldestAndCounts) {
  std::string dir = TempDir("bound");
  SpoolOptions o{dir};
  o.max_bytes = 2000;
  auto spool = Spool::Open(o);
  ASSERT_TRUE(spool.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*spool)->Put(Make(i, 400)).ok());
  SpoolStats s = (*spool)->stats();
  EXPECT_LE(s.bytes, 2000u);
  EXPECT_GT(s.dropped, 0u);
  EXPECT_EQ(s.files + s.dropped, 10u);
  auto oldest = (*spool)->Next(std::chrono::milliseconds(0));
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->envelope.labels.Get("pod"), "p" + std::to_string(s.dropped));
  // Files on disk match the count.
  size_t on_disk = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    on_disk += e.path().extension() == ".prof";
  EXPECT_EQ(on_disk, s.files);
  std::filesystem::remove_all(dir);
}

TEST(Spool, CorruptEntriesAreSkippedAndTemporariesRemoved) {
  std::string dir = TempDir("corrupt");
  {
    auto spool = Spool::Open({dir});
    ASSERT_TRUE((*spool)->Put(Make(1)).ok());
    ASSERT_TRUE((*spool)->Put(Make(2)).ok());
  }
  std::ofstream(dir + "/00000000000000000001.prof") << "garbage without header";
  std::ofstream(dir + "/00000000000000000007.prof.tmp") << "half written";
  auto spool = Spool::Open({dir});
  ASSERT_TRUE(spool.ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/00000000000000000007.prof.tmp"));
  auto e = (*spool)->Next(std::chrono::milliseconds(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->envelope.labels.Get("pod"), "p2");
  EXPECT_EQ((*spool)->stats().corrupt, 1u);
  std::filesystem::remove_all(dir);
}

TEST(Spool, NextWaitsForPut) {
  std::string dir = TempDir("wait");
  auto spool = Spool::Open({dir});
  std::thread t([&] { ASSERT_TRUE((*spool)->Put(Make(3)).ok()); });
  auto e = (*spool)->Next(std::chrono::seconds(10));
  t.join();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->envelope.labels.Get("pod"), "p3");
  std::filesystem::remove_all(dir);
}

TEST(Envelope, DecodeRejectsMalformedHeaders) {
  EXPECT_FALSE(DecodeEnvelope("").ok());
  EXPECT_FALSE(DecodeEnvelope("{}\nxx").ok());
  EXPECT_FALSE(DecodeEnvelope("[1,2]\n").ok());
  EXPECT_FALSE(
      DecodeEnvelope("{\"service\":\"a\",\"type\":\"b\",\"labels\":{\"x\":1},\"time_nanos\":1}\n")
          .ok());
  auto ok = DecodeEnvelope(EncodeEnvelope(Make(4)));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->profile, Make(4).profile);
}

}  // namespace
}  // namespace kprof::collect
