// 500 concurrent keep-alive uploaders for 60 s against the real server: every upload
// acknowledged (no 503, no resets), and the server's memory stays bounded.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "integration/kprof_test.h"
#include "integration/server_process.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;

class Soak : public KprofTest {};

TEST_F(Soak, FiveHundredKeepAliveUploadersForAMinute) {
  fs::path dir = fs::temp_directory_path() / ("kprof-soak-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ServerProcess server(kprof_, (dir / "data").string());
  ASSERT_TRUE(server.Start()) << server.log();
  int port = std::atoi(server.url("").substr(17).c_str());
  std::string files;
  for (const char* f : {"cpu-a.pb.gz", "cpu-b.pb.gz", "heap-a.pb.gz", "heap-b.pb.gz",
                        "goroutine-a.pb.gz", "allocs-a.pb.gz"}) {
    files += " " + File(f);
  }
  CommandResult load = RunCommand(ShellQuote(KPROF_LOAD_BIN) + " --port " + std::to_string(port) +
                                  " --connections 500 --seconds 60 --path " +
                                  ShellQuote("/api/0/profiles?service=soak&type=other") + files);
  auto report = nlohmann::json::parse(load.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << load.out << load.err;
  EXPECT_EQ(load.exit_code, 0) << load.out;
  EXPECT_EQ(report["connect_errors"], 0);
  EXPECT_EQ(report["io_errors"], 0);
  EXPECT_EQ(report["ok"], report["responses"]) << load.out;
  EXPECT_GT(report["ok"].get<long>(), 10000) << load.out;
  long rss_kib = server.PeakRssKib();
  EXPECT_GT(rss_kib, 0);
  EXPECT_LT(rss_kib, 1024 * 1024) << "peak RSS " << rss_kib << " KiB";
  // Still serving, and everything acknowledged is listed.
  CommandResult list = RunCommand(
      "curl -sS " +
      ShellQuote(server.url("/api/v1/profiles?service=soak&limit=1&from=2000-01-01T00:00:00Z")));
  EXPECT_NE(list.out.find("\"profiles\""), std::string::npos) << list.out;
  std::printf("soak: %s, server peak RSS %ld KiB\n", load.out.c_str(), rss_kib);
  // Stop the server first: RocksDB may still be deleting files it compacted away.
  server.Kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kprof::testing
