// kprof: one binary for every subcommand; `kubectl-kprof` is the same program.
#include "cli/cli.h"

int main(int argc, char** argv) { return kprof::cli::Main(argc, argv); }
