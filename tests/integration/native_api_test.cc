// /api/v1 and /metrics against the real server process.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "integration/kprof_test.h"
#include "integration/server_process.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kRange[] = "from=2000-01-01T00:00:00Z&to=now";

class NativeApi : public KprofTest {
 protected:
  void SetUp() override {
    KprofTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("kprof-v1-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    server_ = std::make_unique<ServerProcess>(kprof_, (dir_ / "data").string());
    ASSERT_TRUE(server_->Start()) << server_->log();
    Upload("cpu-a.pb.gz", "service=checkout&type=cpu&labels=namespace=prod,version=v1,pod=a-1");
    Upload("cpu-b.pb.gz", "service=checkout&type=cpu&labels=namespace=prod,version=v2,pod=b-1");
    Upload("cpu-a.pb.gz", "service=payments&type=cpu&labels=namespace=prod");
    Upload("heap-a.pb.gz", "service=checkout&type=heap&labels=namespace=prod");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void Upload(const std::string& file, const std::string& query) {
    auto [status, body] = Curl("-X POST --data-binary @" + File(file) + " " +
                               ShellQuote(server_->url("/api/v1/profiles?" + query)));
    ASSERT_EQ(status, 201) << body;
  }
  std::pair<int, std::string> Curl(const std::string& args) {
    CommandResult r = RunCommand("curl -sS -g -w '\\n%{http_code}' " + args);
    size_t nl = r.out.rfind('\n');
    if (nl == std::string::npos) return {0, r.err};
    return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
  }
  json GetJson(const std::string& path, int want = 200) {
    auto [status, body] = Curl(ShellQuote(server_->url(path)));
    EXPECT_EQ(status, want) << path << "\n" << body;
    auto j = json::parse(body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << body;
    return j;
  }
  CommandResult Pprof(const std::string& path) {
    return RunCommand("HOME=" + ShellQuote(dir_.string()) + " go tool pprof -top " +
                      ShellQuote(server_->url(path)));
  }

  fs::path dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(NativeApi, ListPagesThroughEverythingOnce) {
  std::set<std::string> ids;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    json j = GetJson(std::string("/api/v1/profiles?limit=1&") + kRange +
                     (token.empty() ? "" : "&page_token=" + token));
    for (const auto& p : j["profiles"]) EXPECT_TRUE(ids.insert(p["id"]).second);
    token = j["next_page_token"];
    if (token.empty()) break;
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST_F(NativeApi, MergeBySelectorMatchesPprofAndSaysHowManyProfiles) {
  CommandResult ours = Pprof("/api/v1/merge?type=cpu&service=checkout&query={version=\"v2\"}&" +
                             std::string(kRange));
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, RunCommand("go tool pprof -top " + File("cpu-b.pb.gz")).out);
  CommandResult headers = RunCommand(
      "curl -sS -g -o /dev/null -D - " +
      ShellQuote(server_->url("/api/v1/merge?type=cpu&service=checkout&" + std::string(kRange))));
  EXPECT_NE(headers.out.find("X-Kprof-Profiles: 2 of 2"), std::string::npos) << headers.out;
}

TEST_F(NativeApi, FleetWideTopSpansServices) {
  json top = GetJson(std::string("/api/v1/top?type=cpu&limit=5&") + kRange);
  EXPECT_EQ(top["profiles"]["matched"], 3);
  ASSERT_FALSE(top["rows"].empty());
  EXPECT_EQ(top["rows"][0]["name"], "main.hotLoopA");
  json one = GetJson(std::string("/api/v1/top?type=cpu&service=payments&limit=5&") + kRange);
  EXPECT_EQ(one["profiles"]["matched"], 1);
  EXPECT_LT(one["total"].get<int64_t>(), top["total"].get<int64_t>());
}

TEST_F(NativeApi, FlameFoldedAndTopFormatsAgree) {
  std::string q = std::string("/api/v1/merge?type=cpu&service=checkout&") + kRange;
  json flame = GetJson(q + "&format=flame&max_nodes=50");
  json top = GetJson(q + "&format=top");
  EXPECT_EQ(flame["flame"]["value"], top["total"]);
  // top=N brings the top table of the same merge along with the tree.
  json both = GetJson(q + "&format=flame&top=20");
  EXPECT_EQ(both["top"]["rows"], top["rows"]);
  EXPECT_EQ(both["flame"]["value"], top["total"]);
  EXPECT_LE(flame["flame"]["meta"]["nodes"].get<int>(),
            50 + flame["flame"]["meta"]["other_nodes"].get<int>());
  auto [status, folded] = Curl(ShellQuote(server_->url(q + "&format=folded")));
  ASSERT_EQ(status, 200);
  long long sum = 0;
  std::istringstream in(folded);
  std::string line;
  while (std::getline(in, line)) sum += std::stoll(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(sum, top["total"].get<long long>());
}

TEST_F(NativeApi, DiffOfTwoSelectionsFindsTheRegression) {
  json diff = GetJson(
      "/api/v1/diff?type=cpu&service=checkout&base_query={version=\"v1\"}&"
      "base_from=2000-01-01T00:00:00Z&query={version=\"v2\"}&" +
      std::string(kRange));
  ASSERT_FALSE(diff["rows"].empty());
  EXPECT_EQ(diff["rows"][0]["name"], "main.regressedFunc");
  EXPECT_GT(diff["rows"][0]["delta_flat"].get<double>(), 0.1);
}

// The diff as a joined flame tree (the UI's red/green graph) and as a pprof that
// go tool pprof reads, against go tool pprof's own -normalize -diff_base.
TEST_F(NativeApi, DiffFlameAndPprofFormatsAgreeWithGoDiffBase) {
  const std::string sides =
      "type=cpu&service=checkout&base_query={version=\"v1\"}&base_from=2000-01-01T00:00:00Z&"
      "query={version=\"v2\"}&" +
      std::string(kRange);
  json rows = GetJson("/api/v1/diff?" + sides);
  json flame = GetJson("/api/v1/diff?format=flame&" + sides)["flame"];
  const json& meta = flame["meta"];
  EXPECT_EQ(flame["value"], rows["comparison"]["total"]);
  EXPECT_EQ(flame["base"], rows["base"]["total"]);
  EXPECT_DOUBLE_EQ(meta["base_scale"].get<double>(), rows["base_scale"].get<double>());
  EXPECT_DOUBLE_EQ(meta["base_scale"].get<double>(),
                   meta["total"].get<double>() / meta["base_total"].get<double>());
  // Summed over its outermost frames, regressedFunc's values are its cum on each side.
  double base = 0, value = 0;
  std::vector<const json*> stack = {&flame};
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if ((*node)["name"] == "main.regressedFunc") {
      base += (*node)["base"].get<double>();
      value += (*node)["value"].get<double>();
      continue;
    }
    for (const json& child : (*node)["children"]) stack.push_back(&child);
  }
  const double scale = meta["base_scale"].get<double>();
  const double total = meta["total"].get<double>();
  for (const json& row : rows["rows"]) {
    if (row["name"] != "main.regressedFunc") continue;
    EXPECT_NEAR(value / total, row["cum"].get<double>(), 1e-9);
    EXPECT_NEAR(base * scale / total, row["base_cum"].get<double>(), 1e-9);
  }
  EXPECT_GT(value / total, base * scale / total + 0.1);

  CommandResult ours = Pprof("/api/v1/diff?format=pprof&" + sides);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  CommandResult go = RunCommand(
      "HOME=" + ShellQuote(dir_.string()) + " go tool pprof -top -normalize -diff_base " +
      ShellQuote(server_->url("/api/v1/merge?type=cpu&service=checkout&query={version=\"v1\"}&" +
                              std::string(kRange))) +
      " " +
      ShellQuote(server_->url("/api/v1/merge?type=cpu&service=checkout&query={version=\"v2\"}&" +
                              std::string(kRange))));
  ASSERT_EQ(go.exit_code, 0) << go.err;
  auto first_function = [](const std::string& top) {
    std::istringstream in(top);
    std::string line;
    bool rows = false;
    while (std::getline(in, line)) {
      if (line.find("flat%") != std::string::npos) {
        rows = true;
      } else if (rows) {
        return line.substr(line.find_last_of(' ') + 1);
      }
    }
    return std::string();
  };
  EXPECT_EQ(first_function(ours.out), "main.regressedFunc") << ours.out;
  EXPECT_EQ(first_function(go.out), "main.regressedFunc") << go.out;
  json bad = GetJson("/api/v1/diff?format=svg&" + sides, 400);
  EXPECT_NE(bad["error"].get<std::string>().find("format"), std::string::npos);
}

// An explicit upload time wins over the time recorded in the profile.
TEST_F(NativeApi, UploadTimeOverridesTheProfilesOwnTime) {
  Upload("cpu-a.pb.gz", "service=backfill&type=cpu&time=2001-02-03T04:05:06Z");
  json list = GetJson(std::string("/api/v1/profiles?service=backfill&") + kRange);
  ASSERT_EQ(list["profiles"].size(), 1u);
  EXPECT_EQ(list["profiles"][0]["time"], "2001-02-03T04:05:06Z");
}

TEST_F(NativeApi, SeriesCountsProfilesAndTotals) {
  json series =
      GetJson(std::string("/api/v1/series?type=cpu&service=checkout&step=10000h&") + kRange);
  int profiles = 0;
  for (const auto& p : series["points"]) profiles += p["profiles"].get<int>();
  EXPECT_EQ(profiles, 2);
  EXPECT_EQ(series["sample_type"], "cpu");
}

TEST_F(NativeApi, LabelsAndServices) {
  json names = GetJson(std::string("/api/v1/labels?service=checkout&") + kRange);
  EXPECT_EQ(names["names"], json({"namespace", "pod", "version"}));
  json pods = GetJson(std::string("/api/v1/labels/pod/values?service=checkout&") + kRange);
  EXPECT_EQ(pods["values"], json({"a-1", "b-1"}));
  json services = GetJson("/api/v1/services");
  EXPECT_EQ(services["services"].size(), 2u);
}

TEST_F(NativeApi, BadInputGetsActionableJsonErrors) {
  json bad_selector = GetJson("/api/v1/merge?type=cpu&query={pod=~\"(\"}", 400);
  EXPECT_NE(bad_selector["error"].get<std::string>().find("query"), std::string::npos);
  json no_type = GetJson("/api/v1/merge?service=checkout", 400);
  EXPECT_NE(no_type["error"].get<std::string>().find("type"), std::string::npos);
  json bad_time = GetJson("/api/v1/profiles?from=tuesday", 400);
  EXPECT_NE(bad_time["error"].get<std::string>().find("from"), std::string::npos);
  json missing = GetJson(std::string("/api/v1/merge?type=mutex&") + kRange, 404);
  EXPECT_EQ(missing["code"], 404);
  json unknown = GetJson("/api/v1/nothing-here", 404);
  EXPECT_EQ(unknown["code"], 404);
}

TEST_F(NativeApi, MetricsAreValidPrometheusTextAndCountIngests) {
  auto [status, text] = Curl(ShellQuote(server_->url("/metrics")));
  ASSERT_EQ(status, 200);
  EXPECT_NE(text.find("kprof_ingest_profiles_total{result=\"stored\",type=\"cpu\"} 3"),
            std::string::npos)
      << text.substr(0, 2000);
  EXPECT_NE(text.find("# TYPE kprof_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("kprof_store_services 2"), std::string::npos);
  // Every sample line is "name{labels} value" with a numeric value.
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string value = line.substr(space + 1);
    EXPECT_TRUE(value == "+Inf" || value == "NaN" || std::strtod(value.c_str(), nullptr) != 0 ||
                value == "0")
        << line;
  }
}

}  // namespace
}  // namespace kprof::testing
