// Flags of `kubectl kprof`, parsed before the subcommand: kubectl passes every argument
// after the plugin's name to it, so `kubectl kprof --context prod capture POD` and
// `kubectl kprof -n shop rollout status deploy/web` must work. Null outside plugin mode.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace kprof::cli {

struct GlobalKubeFlags {
  std::string kubeconfig;
  std::string context;
  std::string namespace_;
  bool all_namespaces = false;
};

// Registers --kubeconfig, --context, -n, -A on the plugin's top level.
std::shared_ptr<GlobalKubeFlags> AddGlobalKubeFlags(CLI::App* app);

}  // namespace kprof::cli
