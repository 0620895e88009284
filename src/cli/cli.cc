#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/kube_flags.h"
#include "cli/report_flags.h"

namespace kprof::cli {

int Fail(const Status& status) {
  std::fprintf(stderr, "kprof: %s\n", status.message().c_str());
  return 1;
}

Status WriteOutput(const std::string& path, const std::string& data, bool binary) {
  if (path.empty() || path == "-") {
    if (binary && isatty(STDOUT_FILENO)) {
      return InvalidArgument("refusing to write a binary profile to a terminal; use -o FILE");
    }
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
    return Status::Ok();
  }
  // Write to a temporary name and rename, so a reader never sees half a file.
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Unavailable("cannot write " + path + ": " + std::strerror(errno));
  size_t written = std::fwrite(data.data(), 1, data.size(), f);
  bool ok = written == data.size() && std::fflush(f) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Unavailable("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

namespace {

int ParseAndRun(CLI::App& app, const Action& action, int argc, char** argv) {
  std::vector<std::string> args = NormalizeArgs(argc, argv);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) return Fail(Internal("no command selected"));
  return action();
}

// `kubectl kprof …` runs this binary as kubectl-kprof: only the pod commands.
int PluginMain(int argc, char** argv) {
  CLI::App app{
      "kubectl kprof: profiles from pods through the API server (no port-forward).\n"
      "  kubectl kprof capture POD... [-n NS] [--type cpu,heap|all] [--seconds 30] [-o DIR]\n"
      "  kubectl kprof top POD [-n NS] [--type cpu] [--seconds 10]\n"
      "  kubectl kprof rollout status deploy/NAME [-n NS]\n"
      "  kubectl kprof rollout report deploy/NAME [-n NS] [--revision N] [--server URL]"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kubectl-kprof 0.1.0");
  Action action;
  auto global = AddGlobalKubeFlags(&app);
  AddCaptureCommands(&app, &action, global);
  AddRolloutCommands(&app, &action, global);
  return ParseAndRun(app, action, argc, argv);
}

}  // namespace

int Main(int argc, char** argv) {
  std::string self = argc > 0 ? argv[0] : "";
  if (size_t slash = self.rfind('/'); slash != std::string::npos) self = self.substr(slash + 1);
  if (self == "kubectl-kprof") return PluginMain(argc, argv);
  CLI::App app{
      "kprof: profiles Go services — pprof files, merged and compared.\n"
      "Report flags follow `go tool pprof` (-nodecount, -sample_index, -focus, …)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kprof 0.1.0");
  Action action;
  AddTopCommand(&app, &action);
  AddTreeCommand(&app, &action);
  AddFlameCommand(&app, &action);
  AddMergeCommand(&app, &action);
  AddConvertCommand(&app, &action);
  AddInfoCommand(&app, &action);
  AddDiffCommand(&app, &action);
  AddServerCommand(&app, &action);
  AddAgentCommand(&app, &action);
  AddCaptureCommands(&app, &action, nullptr);
  AddRolloutCommands(&app, &action, nullptr);
  return ParseAndRun(app, action, argc, argv);
}

}  // namespace kprof::cli
