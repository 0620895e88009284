// kprof merge and kprof convert: write profiles back out as pprof.
#include <memory>

#include "cli/commands.h"
#include "cli/load.h"
#include "pprof/encode.h"

namespace kprof::cli {

namespace {

struct MergeCommand {
  std::vector<std::string> files;
  std::string output;
  bool plain = false;

  int Run() {
    auto merged = LoadMerged(files);
    if (!merged.ok()) return Fail(merged.status());
    std::string bytes = plain ? pprof::EncodeProfile(*merged) : pprof::EncodeProfileGzip(*merged);
    Status s = WriteOutput(output, bytes, true);
    return s.ok() ? 0 : Fail(s);
  }
};

}  // namespace

void AddMergeCommand(CLI::App* app, Action* action) {
  auto cmd = std::make_shared<MergeCommand>();
  CLI::App* sub = app->add_subcommand(
      "merge", "Merge profiles into one pprof file (read it with go tool pprof or kprof)");
  sub->add_option("-o,--output", cmd->output, "Output file (default: stdout, not a terminal)");
  sub->add_flag("--plain", cmd->plain, "Write uncompressed profile.proto instead of gzip");
  sub->add_option("files", cmd->files, "Profile files to merge")->required();
  sub->callback([cmd, action] { *action = [cmd] { return cmd->Run(); }; });
}

}  // namespace kprof::cli
