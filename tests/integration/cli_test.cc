// The kprof binary's subcommands on real Go profiles: outputs that go tool pprof
// reads the same, JSON that agrees with the text, help that lists every flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "integration/kprof_test.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;

class Cli : public KprofTest {
 protected:
  void SetUp() override {
    KprofTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("kprof-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Out(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(Cli, ConvertToPlainProtoReadsTheSameInPprof) {
  std::string plain = Out("cpu.pb");
  ASSERT_EQ(
      Kprof("convert --to plain -o " + ShellQuote(plain) + " " + File("cpu-a.pb.gz")).exit_code, 0);
  std::string head = Slurp(plain).substr(0, 2);
  EXPECT_NE(head, "\x1f\x8b") << "plain output must not be gzipped";
  CommandResult ours = RunCommand("go tool pprof -top -lines " + ShellQuote(plain));
  CommandResult theirs = RunCommand("go tool pprof -top -lines " + File("cpu-a.pb.gz"));
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, theirs.out);
}

TEST_F(Cli, TopJsonAgreesWithTheTextTable) {
  CommandResult text = Kprof("top -nodefraction=0 " + File("heap-a.pb.gz"));
  CommandResult json = Kprof("top --json -nodefraction=0 " + File("heap-a.pb.gz"));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["sample_type"], "inuse_space");
  ASSERT_FALSE(doc["rows"].empty());
  for (const auto& row : doc["rows"]) {
    EXPECT_NE(text.out.find(row["name"].get<std::string>()), std::string::npos) << row["name"];
  }
  EXPECT_EQ(doc["rows"][0]["name"], "main.retainBuffers");
}

TEST_F(Cli, FlameWritesASelfContainedPageWithTheProfilesFunctions) {
  std::string html = Out("flame.html");
  CommandResult r = Kprof("flame -o " + ShellQuote(html) + " " + File("cpu-a.pb.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string page = Slurp(html);
  EXPECT_NE(page.find("main.hotLoopA"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_NE(r.err.find("wrote"), std::string::npos) << "tells the user where the file is";
}

TEST_F(Cli, FlameJsonRootEqualsTheTopTotal) {
  CommandResult json = Kprof("flame --format json -o - " + File("cpu-b.pb.gz"));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto tree = nlohmann::json::parse(json.out);
  CommandResult top = Kprof("top --json " + File("cpu-b.pb.gz"));
  auto table = nlohmann::json::parse(top.out);
  EXPECT_EQ(tree["value"].get<int64_t>(), table["total"].get<int64_t>());
  EXPECT_EQ(tree["meta"]["sample_type"], "cpu");
}

TEST_F(Cli, FoldedOutputSumsToTheTotal) {
  CommandResult folded =
      Kprof("flame --format folded -o - -sample_index=delay " + File("block-a.pb.gz"));
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  std::istringstream in(folded.out);
  std::string line;
  long long sum = 0;
  while (std::getline(in, line)) sum += std::stoll(line.substr(line.rfind(' ') + 1));
  auto table =
      nlohmann::json::parse(Kprof("top --json -sample_index=delay " + File("block-a.pb.gz")).out);
  EXPECT_EQ(sum, table["total"].get<long long>());
}

TEST_F(Cli, DiffFindsTheRegressionAndWritesAProfilePprofReads) {
  std::string diff = Out("diff.pb.gz");
  CommandResult r = Kprof("diff --json --pprof " + ShellQuote(diff) + " " + File("cpu-a.pb.gz") +
                          " " + File("cpu-b.pb.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rows"][0]["name"], "main.regressedFunc");
  EXPECT_GT(doc["rows"][0]["delta_flat"].get<double>(), 0.1);
  CommandResult pprof = RunCommand("go tool pprof -top " + ShellQuote(diff));
  ASSERT_EQ(pprof.exit_code, 0) << pprof.err;
  // The biggest positive flat change leads go tool pprof's table of the diff.
  std::istringstream rows(pprof.out.substr(pprof.out.find("flat%")));
  std::string header, first;
  std::getline(rows, header);
  std::getline(rows, first);
  EXPECT_NE(first.find("main.regressedFunc"), std::string::npos) << pprof.out;
}

TEST_F(Cli, TreeShowsCallersAboveCallees) {
  CommandResult r = Kprof("tree -nodefraction=0.01 " + File("cpu-a.pb.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t worker = r.out.find("main.busyWorker");
  size_t leaf = r.out.find("main.hotLoopA");
  ASSERT_NE(worker, std::string::npos);
  ASSERT_NE(leaf, std::string::npos);
  EXPECT_LT(worker, leaf);
}

TEST_F(Cli, InfoDescribesEverySampleType) {
  CommandResult r = Kprof("info --json " + File("heap-b.pb.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["sample_types"].size(), 4u);
  EXPECT_EQ(doc["sample_types"][3]["type"], "inuse_space");
  EXPECT_GT(doc["samples"].get<int>(), 0);
}

TEST_F(Cli, HelpListsEveryCommandAndPprofFlag) {
  CommandResult help = Kprof("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"top", "tree", "flame", "merge", "diff", "convert", "info"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  }
  CommandResult top = Kprof("top --help");
  for (const char* flag :
       {"--nodecount", "--nodefraction", "--sample_index", "--unit", "--granularity", "--focus",
        "--ignore", "--hide", "--show", "--tagfocus", "--tagignore"}) {
    EXPECT_NE(top.out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(Cli, UsageErrorsSayWhatToDo) {
  CommandResult r = Kprof("top -granularity=bogus " + File("cpu-a.pb.gz"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("functions, filefunctions, files, lines or addresses"), std::string::npos)
      << r.err;
  r = Kprof("top -sample_index=nope " + File("cpu-a.pb.gz"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("must be one of"), std::string::npos) << r.err;
  r = Kprof("merge " + File("cpu-a.pb.gz") + " " + File("heap-a.pb.gz") + " -o " +
            ShellQuote(Out("x.pb.gz")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("incompatible"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kprof::testing
