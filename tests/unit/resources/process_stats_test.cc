#include "resources/process_stats.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "unit/kube/temp_files.h"

namespace kprof::resources {
namespace {

using ::testing::HasSubstr;

constexpr char kNetDev[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 9000      10    0    0    0     0          0         0     9000      10    0    0 "
    "   0     0       0          0\n"
    "  eth0: 1000       3    0    0    0     0          0         0      200       2    0    0 "
    "   0     0       0          0\n"
    "  eth1:   10       1    0    0    0     0          0         0       20       1    0    0 "
    "   0     0       0          0\n";

// A fake /proc and /sys for process 42.
class FakeProc {
 public:
  FakeProc() {
    paths_.proc = dir_.File("proc");
    paths_.root = dir_.path();
    Write("proc/42/stat",
          "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0\n");
    Write("proc/42/comm", "workload\n");
    Write("proc/42/status", "Name:\tworkload\nVmRSS:\t  2048 kB\nRssAnon:\t 1024 kB\n");
    Write("proc/42/net/dev", kNetDev);
  }
  void Write(const std::string& name, const std::string& text) { dir_.Write(name, text); }
  const ProcfsPaths& paths() const { return paths_; }

 private:
  kube::testing::TempDir dir_;
  ProcfsPaths paths_;
};

uint64_t ClockTickNanos() { return 1000000000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)); }

TEST(ReadProcessCounters, CgroupV2) {
  FakeProc fake;
  fake.Write("proc/self/mountinfo",
             "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
             "30 23 0:26 / /sys/fs/cgroup\\040v2 rw,nosuid shared:4 - cgroup2 cgroup2 "
             "rw,nsdelegate\n");
  fake.Write("proc/42/cgroup", "0::/system.slice/app.service\n");
  const std::string dir = "sys/fs/cgroup v2/system.slice/app.service/";
  fake.Write(dir + "cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
  fake.Write(dir + "memory.current", "104857600\n");
  fake.Write(dir + "memory.stat", "anon 52428800\nfile 41943040\ninactive_file 20971520\n");
  Result<ProcessCounters> c = ReadProcessCounters(42, fake.paths());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->comm, "workload");
  EXPECT_EQ(c->cpu_usage_nanos, 2500000000u);
  EXPECT_EQ(c->cpu_source, "cgroup v2 /system.slice/app.service");
  EXPECT_EQ(c->memory_working_set_bytes, 104857600u - 20971520u);
  EXPECT_EQ(c->memory_rss_bytes, 52428800u);
  EXPECT_EQ(c->memory_source, "cgroup v2 /system.slice/app.service");
  EXPECT_EQ(c->rx_bytes, 1010u);  // eth0 + eth1, not lo
  EXPECT_EQ(c->tx_bytes, 220u);
}

TEST(ReadProcessCounters, CgroupV1InANamespaceWithUnifiedBeside) {
  FakeProc fake;
  // As a container sees a hybrid host: each hierarchy's mount root is its own cgroup.
  fake.Write("proc/self/mountinfo",
             "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
             "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
             "rw,cpu,cpuacct\n"
             "35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
             "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
  fake.Write("proc/42/cgroup",
             "4:memory:/docker/abc/inner\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n0::/\n");
  fake.Write("sys/fs/cgroup/cpu,cpuacct/cpuacct.usage", "123456789\n");
  fake.Write("sys/fs/cgroup/memory/inner/memory.usage_in_bytes", "300\n");
  fake.Write("sys/fs/cgroup/memory/inner/memory.stat",
             "rss 1\ninactive_file 2\ntotal_rss 150\ntotal_inactive_file 100\n");
  Result<ProcessCounters> c = ReadProcessCounters(42, fake.paths());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cpu_usage_nanos, 123456789u);
  EXPECT_EQ(c->cpu_source, "cgroup v1 /docker/abc");
  EXPECT_EQ(c->memory_working_set_bytes, 200u);
  EXPECT_EQ(c->memory_rss_bytes, 150u);
  EXPECT_EQ(c->memory_source, "cgroup v1 /docker/abc/inner");
}

TEST(ReadProcessCounters, RootCgroupsMeasureTheProcessItself) {
  FakeProc fake;
  fake.Write("proc/self/mountinfo",
             "32 31 0:29 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"
             "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  fake.Write("proc/42/cgroup", "4:memory:/\n2:cpuacct:/\n0::/\n");
  fake.Write("sys/fs/cgroup/cpuacct/cpuacct.usage", "999999999999\n");  // the whole machine
  Result<ProcessCounters> c = ReadProcessCounters(42, fake.paths());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cpu_usage_nanos, 300 * ClockTickNanos());
  EXPECT_EQ(c->cpu_source, "process");
  EXPECT_EQ(c->memory_working_set_bytes, 2048u * 1024);
  EXPECT_EQ(c->memory_rss_bytes, 1024u * 1024);
  EXPECT_EQ(c->memory_source, "process");
}

TEST(ReadProcessCounters, UnreadableCgroupFilesFallBackAndOnlyLoCounts) {
  FakeProc fake;
  fake.Write("proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  fake.Write("proc/42/cgroup", "0::/gone\n");
  fake.Write("proc/42/net/dev",
             "Inter-| header\n face | header\n    lo: 9000 10 0 0 0 0 0 0 8000 10 0 0 0 0 0 0\n");
  Result<ProcessCounters> c = ReadProcessCounters(42, fake.paths());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cpu_source, "process");
  EXPECT_EQ(c->memory_source, "process");
  EXPECT_EQ(c->rx_bytes, 9000u);
  EXPECT_EQ(c->tx_bytes, 8000u);
}

TEST(ReadProcessCounters, MissingProcessIsNotFound) {
  FakeProc fake;
  EXPECT_EQ(ReadProcessCounters(43, fake.paths()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadProcessCounters(0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadProcessCounters(-1).status().code(), StatusCode::kNotFound);
}

TEST(ReadProcessCounters, ThisProcess) {
  // Burn a little CPU so that even a coarse counter has moved.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  Result<ProcessCounters> c = ReadProcessCounters(getpid());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->cpu_usage_nanos.has_value()) << c->cpu_source;
  EXPECT_GT(*c->cpu_usage_nanos, 0u);
  ASSERT_TRUE(c->memory_working_set_bytes.has_value());
  EXPECT_GT(*c->memory_working_set_bytes, uint64_t{1} << 20) << c->memory_source;
  EXPECT_LT(*c->memory_working_set_bytes, uint64_t{1} << 42) << c->memory_source;
  EXPECT_TRUE(c->rx_bytes.has_value());
  EXPECT_FALSE(c->comm.empty());
}

// A listening TCP socket on an ephemeral port of `address`, closed when the test ends.
class Listener {
 public:
  explicit Listener(const std::string& address, bool listen_now = true) {
    bool v6 = address.find(':') != std::string::npos;
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage storage{};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      inet_pton(AF_INET, address.c_str(), &a->sin_addr);
      len = sizeof(*a);
    }
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&storage), len) == 0 &&
          (!listen_now || listen(fd_, 4) == 0) &&
          getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &len) == 0;
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  int port_ = 0;
};

TEST(PidListeningOn, FindsThisProcessBySocket) {
  Listener l("127.0.0.1");
  ASSERT_TRUE(l.ok());
  for (const char* host : {"127.0.0.1", "localhost", "", "some-name"}) {
    Result<int> pid = PidListeningOn(host, l.port());
    ASSERT_TRUE(pid.ok()) << host << ": " << pid.status().ToString();
    EXPECT_EQ(*pid, getpid()) << host;
  }
  EXPECT_EQ(PidListeningOn("127.0.0.2", l.port()).status().code(), StatusCode::kNotFound);
}

TEST(PidListeningOn, WildcardAndIpv6) {
  Listener any("0.0.0.0");
  ASSERT_TRUE(any.ok());
  Result<int> pid = PidListeningOn("127.0.0.1", any.port());
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(*pid, getpid());
  Listener v6("::1");
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback";
  pid = PidListeningOn("[::1]", v6.port());
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(*pid, getpid());
  EXPECT_EQ(PidListeningOn("127.0.0.1", v6.port()).status().code(), StatusCode::kNotFound);
}

TEST(PidListeningOn, BoundButNotListeningIsNotFound) {
  Listener bound("127.0.0.1", /*listen_now=*/false);
  ASSERT_TRUE(bound.ok());
  Result<int> pid = PidListeningOn("127.0.0.1", bound.port());
  EXPECT_EQ(pid.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(pid.status().message(), HasSubstr("no process listens"));
  EXPECT_EQ(PidListeningOn("127.0.0.1", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PidListeningOn("127.0.0.1", 70000).status().code(), StatusCode::kInvalidArgument);
}

TEST(PidListeningOn, FakeProcPicksTheLowestPidSharingTheSocket) {
  kube::testing::TempDir dir;
  ProcfsPaths paths;
  paths.proc = dir.File("proc");
  // 127.0.0.1:6060 listening (inode 555); ::ffff:127.0.0.1:6061 listening (inode 666);
  // 127.0.0.1:6062 established.
  dir.Write("proc/net/tcp",
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
            "timeout inode\n"
            "   0: 0100007F:17AC 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 "
            "0 555 1 0000000000000000 100 0 0 10 0\n"
            "   1: 0100007F:17AE 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000 "
            "0 777 1 0000000000000000 100 0 0 10 0\n");
  dir.Write("proc/net/tcp6",
            "  sl  local_address                         remote_address                        st "
            "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            "   0: 0000000000000000FFFF00000100007F:17AD 00000000000000000000000000000000:0000 "
            "0A 00000000:00000000 00:00000000 00000000  1000        0 666 1 0 100 0 0 10 0\n");
  std::filesystem::create_directories(dir.File("proc/300/fd"));
  std::filesystem::create_directories(dir.File("proc/200/fd"));
  std::filesystem::create_directories(dir.File("proc/100/fd"));
  std::filesystem::create_symlink("socket:[555]", dir.File("proc/300/fd/3"));
  std::filesystem::create_symlink("socket:[555]", dir.File("proc/200/fd/7"));
  std::filesystem::create_symlink("socket:[666]", dir.File("proc/100/fd/4"));
  std::filesystem::create_symlink("socket:[777]", dir.File("proc/100/fd/5"));
  std::filesystem::create_symlink("/dev/null", dir.File("proc/100/fd/0"));

  Result<int> pid = PidListeningOn("127.0.0.1", 6060, paths);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(*pid, 200);
  pid = PidListeningOn("127.0.0.1", 6061, paths);  // IPv4-mapped address on a v6 socket
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(*pid, 100);
  EXPECT_EQ(PidListeningOn("127.0.0.1", 6062, paths).status().code(), StatusCode::kNotFound);
  dir.Write("proc/net/tcp", "header\n   0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 888 1\n");
  Result<int> hidden = PidListeningOn("127.0.0.1", 8080, paths);
  EXPECT_EQ(hidden.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(hidden.status().message(), HasSubstr("cannot be seen"));
}

}  // namespace
}  // namespace kprof::resources
