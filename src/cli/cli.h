#pragma once
namespace kprof::cli {
int Main(int argc, char** argv);
}
