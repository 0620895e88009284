// Subcommands of the kprof CLI. Each Add*Command registers its flags on `app`
// and, when the subcommand is chosen, stores the code that runs it in `*action`.
// Actions return the process exit code: 0 success, 1 failure (message on stderr).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace kprof::cli {

using Action = std::function<int()>;

void AddTopCommand(CLI::App* app, Action* action);
void AddTreeCommand(CLI::App* app, Action* action);
void AddFlameCommand(CLI::App* app, Action* action);
void AddMergeCommand(CLI::App* app, Action* action);
void AddConvertCommand(CLI::App* app, Action* action);
void AddInfoCommand(CLI::App* app, Action* action);
void AddDiffCommand(CLI::App* app, Action* action);
void AddServerCommand(CLI::App* app, Action* action);
void AddAgentCommand(CLI::App* app, Action* action);
struct GlobalKubeFlags;
// `capture` and the pod top command: `top` as the kubectl plugin (`global` set),
// `pod-top` under kprof (`global` null).
void AddCaptureCommands(CLI::App* app, Action* action, std::shared_ptr<GlobalKubeFlags> global);
// `rollout status` (live, from the Kubernetes API) and `rollout report` (from a server).
void AddRolloutCommands(CLI::App* app, Action* action, std::shared_ptr<GlobalKubeFlags> global);

// Prints "kprof: <message>" on stderr and returns the failure exit code.
int Fail(const Status& status);

// Writes `data` to `path` ("-" or "" = stdout); binary data to a terminal is refused.
Status WriteOutput(const std::string& path, const std::string& data, bool binary);

}  // namespace kprof::cli
