// Resource counters of a local process, for local mode (no Kubernetes): CPU and memory of
// its cgroup, read the way the kubelet (cAdvisor) reads a container's, and the network
// counters of its network namespace. Also the lookup from a listening TCP port to the
// process behind it, so static targets (http://127.0.0.1:6060) can be measured.
//
// Sources, per resource (the first that applies):
//   cgroup v1 (a hierarchy with the controller mounted; hybrid machines have both):
//     cpuacct.usage; memory.usage_in_bytes minus total_inactive_file, total_rss
//   cgroup v2 (the unified hierarchy): cpu.stat usage_usec; memory.current minus
//     inactive_file, anon (memory.stat)
//   the process itself, when its cgroup is a root ("/"), which would count the whole
//     machine (or container): utime + stime of /proc/PID/stat; VmRSS, RssAnon
// Cgroup paths are resolved through the mount table of the reading process
// (/proc/self/mountinfo), so a cgroup namespace or a bind-mounted subtree is handled.
// Network: /proc/PID/net/dev, summed over every interface but lo, or lo alone when it is
// the only one (a process in the host's namespace on a laptop talks over lo).
//
// Thread-safety: pure functions of the files they read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace kprof::resources {

// Where the files are. Tests point these at fake trees.
struct ProcfsPaths {
  std::string proc = "/proc";
  std::string root;  // put in front of the mount points found in mountinfo
};

// One reading of a process's counters. Absent = could not be read.
struct ProcessCounters {
  std::string comm;                         // /proc/PID/comm, the process's name
  std::optional<uint64_t> cpu_usage_nanos;  // cumulative CPU time
  std::optional<uint64_t> memory_working_set_bytes;
  std::optional<uint64_t> memory_rss_bytes;
  std::optional<uint64_t> rx_bytes, tx_bytes;
  // Where CPU and memory came from: "cgroup v1 /a/b", "cgroup v2 /a/b" or "process".
  std::string cpu_source, memory_source;
};

// kNotFound when the process does not exist.
Result<ProcessCounters> ReadProcessCounters(int pid, const ProcfsPaths& paths = {});

// The process with a listening TCP socket (IPv4 or IPv6) on `port` whose address is
// `host` or a wildcard address. `host` may be an IP address, "localhost", or ""; any
// other name matches every address. When several processes share the socket (a forking
// server), the lowest pid. kNotFound when no socket listens there or its process cannot
// be seen (another user's, without privileges).
Result<int> PidListeningOn(const std::string& host, int port, const ProcfsPaths& paths = {});

}  // namespace kprof::resources
