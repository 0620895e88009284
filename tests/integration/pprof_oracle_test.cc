// The oracle: for real Go profiles, `kprof top` prints exactly what
// `go tool pprof -top` prints for the same flags, and a profile merged by kprof
// reads in go tool pprof the same as pprof merging the inputs itself.
//
// Needs KPROF_BIN (the kprof binary) and KPROF_TESTDATA_DIR (profiles captured
// from the Go workloads by tests/support/fetch_profiles.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "integration/kprof_test.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;

class PprofOracle : public KprofTest {
 protected:
  // Runs both tools with `flags` on `files` and expects identical stdout.
  void ExpectSameTop(const std::string& flags, const std::vector<std::string>& files) {
    std::string args;
    for (const std::string& f : files) args += " " + File(f);
    CommandResult ours = RunCommand(ShellQuote(kprof_) + " top " + flags + args);
    CommandResult theirs = RunCommand("go tool pprof -top " + flags + args);
    ASSERT_EQ(theirs.exit_code, 0) << "go tool pprof failed: " << theirs.err;
    ASSERT_EQ(ours.exit_code, 0) << "kprof failed: " << ours.err;
    EXPECT_EQ(ours.out, theirs.out) << "flags: " << flags << "\nfiles:" << args;
    ++compared_;
    EXPECT_NE(ours.out.find("flat%"), std::string::npos) << ours.out;
  }

  int compared_ = 0;
};

const std::vector<std::string>& Kinds() {
  static const std::vector<std::string> kinds = {"cpu",   "heap",  "allocs",      "goroutine",
                                                 "block", "mutex", "threadcreate"};
  return kinds;
}

TEST_F(PprofOracle, TopMatchesForEveryProfileTypeAndSampleIndex) {
  for (const std::string& kind : Kinds()) {
    ExpectSameTop("", {kind + "-a.pb.gz"});
    // Every sample type of the profile.
    CommandResult info = RunCommand(ShellQuote(kprof_) + " info --json " + File(kind + "-a.pb.gz"));
    ASSERT_EQ(info.exit_code, 0) << info.err;
    int types = 0;
    for (size_t at = info.out.find("\"type\":"); at != std::string::npos;
         at = info.out.find("\"type\":", at + 1)) {
      ++types;
    }
    ASSERT_GE(types, 1) << info.out;
    for (int i = 0; i < types; ++i) {
      ExpectSameTop("-sample_index=" + std::to_string(i), {kind + "-a.pb.gz"});
    }
  }
  EXPECT_GE(compared_, 14);
}

TEST_F(PprofOracle, TopMatchesWithReportFlags) {
  const std::vector<std::string> flags = {"-nodecount=5",
                                          "-nodefraction=0",
                                          "-cum",
                                          "-lines",
                                          "-files",
                                          "-filefunctions",
                                          "-addresses",
                                          "-noinlines",
                                          "-unit=ms",
                                          "-unit=auto",
                                          "-unit=kb",
                                          "-focus=main",
                                          "-ignore=runtime",
                                          "-hide=runtime",
                                          "-show=main",
                                          "-show_from=main.busyRound",
                                          "-nodecount=3 -cum",
                                          "-relative_percentages -focus=hotLoop",
                                          "-compact_labels",
                                          "-prune_from=hotLoop",
                                          "-tagfocus=worker=.*",
                                          "-tagignore=variant=v2",
                                          "-tagfocus=bytes=1kb:64kb",
                                          "-tagfocus=bytes=:1kb",
                                          "-trim=false",
                                          "-edgefraction=0.2",
                                          "-symbolize=none",
                                          "-focus=hotLoopA -ignore=fib -hide=runtime"};
  for (const char* kind : {"cpu", "heap", "block", "goroutine"}) {
    for (const std::string& f : flags) ExpectSameTop(f, {std::string(kind) + "-b.pb.gz"});
  }
}

TEST_F(PprofOracle, TopOfSeveralFilesMatchesPprofMergingThem) {
  for (const std::string& kind : Kinds()) {
    ExpectSameTop("", {kind + "-a.pb.gz", kind + "-b.pb.gz"});
  }
  ExpectSameTop("-lines", {"cpu-a.pb.gz", "cpu-b.pb.gz"});
  ExpectSameTop("-sample_index=alloc_space",
                {"allocs-a.pb.gz", "allocs-b.pb.gz", "allocs-a2.pb.gz"});
}

TEST_F(PprofOracle, ProfileMergedByKprofReadsTheSameInPprof) {
  fs::path dir = fs::temp_directory_path() / ("kprof-oracle-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const std::string& kind : Kinds()) {
    std::string a = File(kind + "-a.pb.gz"), b = File(kind + "-b.pb.gz");
    std::string merged = ShellQuote((dir / (kind + ".pb.gz")).string());
    CommandResult m = RunCommand(ShellQuote(kprof_) + " merge -o " + merged + " " + a + " " + b);
    ASSERT_EQ(m.exit_code, 0) << m.err;
    for (const char* flags : {"", "-lines", "-addresses", "-sample_index=0", "-cum"}) {
      CommandResult ours = RunCommand("go tool pprof -top " + std::string(flags) + " " + merged);
      CommandResult theirs =
          RunCommand("go tool pprof -top " + std::string(flags) + " " + a + " " + b);
      ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
      ASSERT_EQ(ours.exit_code, 0) << ours.err;
      EXPECT_EQ(ours.out, theirs.out) << kind << " " << flags;
    }
  }
  fs::remove_all(dir);
}

TEST_F(PprofOracle, MalformedInputGivesOneLineErrorAndNonZeroExit) {
  fs::path dir = fs::temp_directory_path() / ("kprof-bad-" + std::to_string(getpid()));
  fs::create_directories(dir);
  // A real profile cut in half, and a file that is not a profile at all.
  std::string half = (dir / "half.pb.gz").string();
  RunCommand("head -c 300 " + File("cpu-a.pb.gz") + " > " + ShellQuote(half));
  std::string text = (dir / "text.txt").string();
  RunCommand("echo 'not a profile' > " + ShellQuote(text));
  for (const std::string& bad : {half, text, (dir / "missing.pb.gz").string()}) {
    for (const char* cmd : {"top", "info", "flame -o /dev/null", "merge -o /dev/null"}) {
      CommandResult r =
          RunCommand(ShellQuote(kprof_) + " " + std::string(cmd) + " " + ShellQuote(bad));
      EXPECT_NE(r.exit_code, 0) << cmd << " " << bad;
      EXPECT_EQ(r.out, "") << cmd << " " << bad;
      ASSERT_FALSE(r.err.empty());
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "want one line, got: " << r.err;
      EXPECT_EQ(r.err.rfind("kprof: ", 0), 0u) << r.err;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kprof::testing
