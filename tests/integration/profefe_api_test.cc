// /api/0 against the real server process with real clients: curl for the HTTP
// contract (profefe's envelope, codes and messages), `go tool pprof` pointed at the
// merge URL, and kill -9 during uploads to check that every acknowledged profile
// survives.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/kprof_test.h"
#include "integration/server_process.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kRange[] = "from=2000-01-01T00:00:00&to=2100-01-01T00:00:00";

class ProfefeApi : public KprofTest {
 protected:
  void SetUp() override {
    KprofTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("kprof-api-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    server_ = std::make_unique<ServerProcess>(kprof_, (dir_ / "data").string());
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // curl: returns {status, body}.
  std::pair<int, std::string> Curl(const std::string& args) {
    CommandResult r = RunCommand("curl -sS -w '\\n%{http_code}' " + args);
    size_t nl = r.out.rfind('\n');
    if (nl == std::string::npos) return {0, r.out + r.err};
    return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
  }
  std::pair<int, std::string> Post(const std::string& file, const std::string& query) {
    return Curl("-X POST --data-binary @" + File(file) + " " +
                ShellQuote(server_->url("/api/0/profiles?" + query)));
  }
  std::pair<int, std::string> Get(const std::string& path) {
    return Curl(ShellQuote(server_->url(path)));
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ProfefeApi, UploadAnswersWithProfefesEnvelopeAndKeyOrder) {
  auto [status, body] = Post("cpu-a.pb.gz",
                             "service=checkout&type=cpu&labels=,namespace=prod,from=kube-profefe"
                             "&instance_id=10.0.0.1");
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body.rfind("{\"code\":200,\"body\":{\"id\":", 0), 0u) << body;
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["body"]["service"], "checkout");
  EXPECT_EQ(j["body"]["type"], "cpu");
  ASSERT_EQ(j["body"]["labels"].size(), 2u);
  EXPECT_EQ(j["body"]["labels"][0]["key"], "from");
  EXPECT_EQ(j["body"]["labels"][1]["value"], "prod");
  // created_at is the profile's own time, RFC 3339 in whole seconds.
  std::string created = j["body"]["created_at"];
  EXPECT_EQ(created.size(), 20u) << created;
  EXPECT_EQ(created.back(), 'Z');
}

TEST_F(ProfefeApi, GoToolPprofReadsTheMergeUrl) {
  ASSERT_EQ(Post("cpu-a.pb.gz", "service=checkout&type=cpu&labels=version=v1").first, 200);
  ASSERT_EQ(Post("cpu-b.pb.gz", "service=checkout&type=cpu&labels=version=v2").first, 200);
  ASSERT_EQ(Post("heap-a.pb.gz", "service=checkout&type=heap").first, 200);
  std::string url = server_->url("/api/0/profiles/merge?service=checkout&type=cpu&") + kRange;
  CommandResult ours =
      RunCommand("HOME=" + ShellQuote(dir_.string()) + " go tool pprof -top " + ShellQuote(url));
  CommandResult theirs =
      RunCommand("go tool pprof -top " + File("cpu-a.pb.gz") + " " + File("cpu-b.pb.gz"));
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, theirs.out);
  // Narrowed by label: only v2.
  std::string v2 =
      server_->url("/api/0/profiles/merge?service=checkout&type=cpu&labels=version=v2&") + kRange;
  CommandResult one =
      RunCommand("HOME=" + ShellQuote(dir_.string()) + " go tool pprof -top " + ShellQuote(v2));
  EXPECT_EQ(one.out, RunCommand("go tool pprof -top " + File("cpu-b.pb.gz")).out);
}

TEST_F(ProfefeApi, ListIsNewestFirstAndHonoursLimitAndLabels) {
  ASSERT_EQ(Post("goroutine-a.pb.gz", "service=s&type=goroutine&labels=zone=a").first, 200);
  ASSERT_EQ(Post("goroutine-b.pb.gz", "service=s&type=goroutine&labels=zone=b").first, 200);
  auto [status, body] = Get(std::string("/api/0/profiles?service=s&type=goroutine&") + kRange);
  ASSERT_EQ(status, 200) << body;
  auto list = nlohmann::json::parse(body)["body"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_GE(list[0]["created_at"].get<std::string>(), list[1]["created_at"].get<std::string>());
  auto limited = Get(std::string("/api/0/profiles?service=s&type=goroutine&limit=1&") + kRange);
  EXPECT_EQ(nlohmann::json::parse(limited.second)["body"].size(), 1u);
  auto zone_b =
      Get(std::string("/api/0/profiles?service=s&type=goroutine&labels=zone=b&") + kRange);
  auto zb = nlohmann::json::parse(zone_b.second)["body"];
  ASSERT_EQ(zb.size(), 1u);
  EXPECT_EQ(zb[0]["labels"][0]["value"], "b");
  auto none = Get(std::string("/api/0/profiles?service=s&type=goroutine&labels=zone=c&") + kRange);
  EXPECT_EQ(none.first, 404);
  EXPECT_EQ(none.second, "{\"code\":404,\"error\":\"nothing found\"}\n");
}

TEST_F(ProfefeApi, GetByIdReturnsTheUploadedBytesAndMergesIdLists) {
  auto a = nlohmann::json::parse(Post("cpu-a.pb.gz", "service=s&type=cpu").second);
  auto b = nlohmann::json::parse(Post("cpu-b.pb.gz", "service=s&type=cpu").second);
  std::string id_a = a["body"]["id"], id_b = b["body"]["id"];
  std::string out = (dir_ / "got.pb.gz").string();
  CommandResult got = RunCommand("curl -sS -o " + ShellQuote(out) + " -D - " +
                                 ShellQuote(server_->url("/api/0/profiles/" + id_a)));
  EXPECT_NE(got.out.find("filename=\"" + id_a + "\""), std::string::npos) << got.out;
  EXPECT_EQ(RunCommand("cmp " + ShellQuote(out) + " " + File("cpu-a.pb.gz")).exit_code, 0);
  CommandResult both = RunCommand("HOME=" + ShellQuote(dir_.string()) + " go tool pprof -top " +
                                  ShellQuote(server_->url("/api/0/profiles/" + id_a + "+" + id_b)));
  EXPECT_EQ(
      both.out,
      RunCommand("go tool pprof -top " + File("cpu-a.pb.gz") + " " + File("cpu-b.pb.gz")).out);
  EXPECT_EQ(Get("/api/0/profiles/" + std::string(32, 'a')).first, 404);
}

TEST_F(ProfefeApi, BadRequestsGetProfefesErrorsAndNothingIsLost) {
  ASSERT_EQ(Post("heap-a.pb.gz", "service=s&type=heap").first, 200);
  std::string empty = (dir_ / "empty.pb.gz").string();
  // A real profile with no samples: go tool pprof focused on nothing.
  ASSERT_EQ(RunCommand("go tool pprof -proto -focus=does_not_match " + File("cpu-a.pb.gz") + " > " +
                       ShellQuote(empty))
                .exit_code,
            0);
  std::string half = (dir_ / "half.pb.gz").string();
  RunCommand("head -c 500 " + File("cpu-a.pb.gz") + " > " + ShellQuote(half));
  struct Case {
    std::string args;
    int status;
    std::string error;
  } cases[] = {
      {"-X POST --data-binary @" + File("cpu-a.pb.gz") + " '" +
           server_->url("/api/0/profiles?type=cpu") + "'",
       400, "bad request: missing \"service\""},
      {"-X POST --data-binary @" + File("cpu-a.pb.gz") + " '" +
           server_->url("/api/0/profiles?service=s&type=bogus") + "'",
       400, "bad request: unknown profile type unknown"},
      {"-X POST --data-binary @" + ShellQuote(empty) + " '" +
           server_->url("/api/0/profiles?service=s&type=cpu") + "'",
       400, "malformed profile (could not parse pprof profile: profile is empty: no samples)"},
      {"-X POST --data-binary @" + ShellQuote(half) + " '" +
           server_->url("/api/0/profiles?service=s&type=cpu") + "'",
       400, ""},
      {"'" +
           server_->url(
               "/api/0/profiles?service=s&type=cpu&from=yesterday&to=2100-01-01T00:00:00") +
           "'",
       400,
       "bad request: bad \"from\" timestamp \"yesterday\": time in unsupported format "
       "\"yesterday\""},
      {"'" +
           server_->url(
               "/api/0/profiles?service=s&from=2000-01-01T00:00:00&to=2100-01-01T00:00:00") +
           "'",
       400, "bad request: unknown profile type unknown"},
      {"'" + server_->url("/api/0/profiles?service=s&type=cpu&labels=a=%25zz&") + kRange + "'", 400,
       "bad request: bad \"labels\" \"a=%zz\": invalid URL escape"},
      {"'" + server_->url("/api/0/profiles/merge?service=s&type=trace&") + kRange + "'", 405,
       "tracing profiles are not mergeable"},
      {"'" + server_->url("/api/0/profiles/merge?service=nobody&type=cpu&") + kRange + "'", 404,
       "nothing found"},
  };
  for (const Case& c : cases) {
    auto [status, body] = Curl(c.args);
    EXPECT_EQ(status, c.status) << c.args << "\n" << body;
    auto j = nlohmann::json::parse(body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << body;
    EXPECT_EQ(j["code"], c.status);
    if (!c.error.empty()) {
      EXPECT_EQ(j["error"], c.error);
    } else {
      EXPECT_EQ(j["error"].get<std::string>().rfind("malformed profile", 0), 0u) << body;
    }
  }
  auto list = Get(std::string("/api/0/profiles?service=s&type=heap&") + kRange);
  EXPECT_EQ(nlohmann::json::parse(list.second)["body"].size(), 1u);
  EXPECT_EQ(Get("/api/0/services").second, "{\"code\":200,\"body\":[\"s\"]}\n");
}

TEST_F(ProfefeApi, GzipBombIsRefusedAndTheServerKeepsServing) {
  std::string bomb = (dir_ / "bomb.pb.gz").string();
  // 1 GiB of zeros gzipped: about 1 MiB on the wire.
  ASSERT_EQ(RunCommand("head -c 1073741824 /dev/zero | gzip -1 > " + ShellQuote(bomb)).exit_code,
            0);
  ASSERT_LT(fs::file_size(bomb), 8u << 20);
  auto [status, body] = Curl("-X POST --data-binary @" + ShellQuote(bomb) + " " +
                             ShellQuote(server_->url("/api/0/profiles?service=s&type=cpu")));
  EXPECT_EQ(status, 413) << body;
  auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  EXPECT_NE(j["error"].get<std::string>().find("limit"), std::string::npos) << body;
  EXPECT_EQ(Post("cpu-a.pb.gz", "service=s&type=cpu").first, 200);
}

TEST_F(ProfefeApi, AcknowledgedUploadsSurviveKillNine) {
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::vector<std::thread> uploaders;
  for (int t = 0; t < 6; ++t) {
    uploaders.emplace_back([&, t] {
      const char* files[] = {"cpu-a.pb.gz", "heap-b.pb.gz", "goroutine-a.pb.gz"};
      for (int i = 0; i < 200 && !stop; ++i) {
        ++attempts;
        auto [status, body] =
            Post(files[(t + i) % 3], "service=load&type=other&labels=pod=p" + std::to_string(t));
        if (status != 200) continue;  // the server died mid-request: not acknowledged
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_discarded()) continue;
        std::lock_guard<std::mutex> lock(mu);
        acked.push_back(j["body"]["id"]);
      }
    });
  }
  // Kill once a good number of uploads were acknowledged (bounded wait).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acked.size() >= 150) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->Kill(SIGKILL);
  stop = true;
  for (auto& t : uploaders) t.join();
  ASSERT_GE(acked.size(), 150u);
  server_ = std::make_unique<ServerProcess>(kprof_, (dir_ / "data").string());
  ASSERT_TRUE(server_->Start()) << server_->log();
  std::set<std::string> listed;
  auto list = Get(std::string("/api/0/profiles?service=load&type=other&") + kRange);
  ASSERT_EQ(list.first, 200) << list.second;
  auto listing = nlohmann::json::parse(list.second);
  for (const auto& m : listing["body"]) listed.insert(m["id"]);
  size_t missing = 0;
  for (const std::string& id : acked) missing += listed.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged uploads; listed "
                         << listed.size() << "; first acked " << acked[0] << "; first listed "
                         << (listed.empty() ? "" : *listed.begin());
  // And their bytes are intact.
  for (size_t i = 0; i < acked.size(); i += 25) {
    EXPECT_EQ(Get("/api/0/profiles/" + acked[i]).first, 200);
  }
}

}  // namespace
}  // namespace kprof::testing
