#include "resources/process_stats.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "base/strings.h"

namespace kprof::resources {
namespace {

constexpr size_t kMaxFileBytes = size_t{4} << 20;

// The whole of a small file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char buf[8192];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxFileBytes) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<uint64_t> ParseU64(std::string_view s, int base = 10) {
  s = TrimSpace(s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ReadU64File(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  return ParseU64(*text);
}

// "key value" lines (memory.stat, cpu.stat).
std::map<std::string, uint64_t, std::less<>> ReadKeyValues(const std::string& path) {
  std::map<std::string, uint64_t, std::less<>> out;
  std::optional<std::string> text = ReadFile(path);
  if (!text) return out;
  for (std::string_view line : Split(*text, '\n')) {
    std::vector<std::string_view> f = Fields(line);
    if (f.size() != 2) continue;
    if (std::optional<uint64_t> v = ParseU64(f[1])) out.emplace(std::string(f[0]), *v);
  }
  return out;
}

std::optional<uint64_t> Lookup(const std::map<std::string, uint64_t, std::less<>>& m,
                               std::string_view key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string UnescapeMountPath(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto digit = [](char c) { return c >= '0' && c <= '7'; };
      if (digit(s[i + 1]) && digit(s[i + 2]) && digit(s[i + 3])) {
        out.push_back(
            static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct CgroupMount {
  std::string root;         // the hierarchy's directory that is mounted
  std::string mount_point;  // where
};

struct Mounts {
  std::map<std::string, CgroupMount> v1;  // controller → mount
  std::optional<CgroupMount> v2;
};

Mounts ReadMounts(const ProcfsPaths& paths) {
  Mounts out;
  std::optional<std::string> text = ReadFile(paths.proc + "/self/mountinfo");
  if (!text) return out;
  for (std::string_view line : Split(*text, '\n')) {
    std::vector<std::string_view> f = Fields(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    std::string_view fstype = dash[1];
    CgroupMount mount{UnescapeMountPath(f[3]), paths.root + UnescapeMountPath(f[4])};
    if (fstype == "cgroup2") {
      if (!out.v2) out.v2 = mount;
    } else if (fstype == "cgroup") {
      for (std::string_view option : Split(dash[3], ',')) {
        out.v1.emplace(std::string(option), mount);
      }
    }
  }
  return out;
}

// The process's cgroup per v1 controller, and in the unified hierarchy.
struct ProcessCgroups {
  std::map<std::string, std::string> v1;  // controller → path
  std::optional<std::string> v2;
};

ProcessCgroups ReadProcessCgroups(int pid, const ProcfsPaths& paths) {
  ProcessCgroups out;
  std::optional<std::string> text = ReadFile(paths.proc + "/" + std::to_string(pid) + "/cgroup");
  if (!text) return out;
  for (std::string_view line : Split(*text, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view id = line.substr(0, a);
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (id == "0" && controllers.empty()) {
      out.v2 = path;
    } else {
      for (std::string_view c : Split(controllers, ',')) out.v1.emplace(std::string(c), path);
    }
  }
  return out;
}

// The directory of cgroup `path` under `mount`, or nullopt when the mount does not show it
// (the cgroup is outside the mounted subtree).
std::optional<std::string> CgroupDir(const CgroupMount& mount, const std::string& path) {
  if (mount.root == "/") return mount.mount_point + path;
  if (path == mount.root) return mount.mount_point;
  if (path.starts_with(mount.root) && path[mount.root.size()] == '/') {
    return mount.mount_point + path.substr(mount.root.size());
  }
  return std::nullopt;
}

// The directory for a v1 controller (nullopt: none, or a root cgroup).
std::optional<std::string> V1Dir(const Mounts& mounts, const ProcessCgroups& cgroups,
                                 const std::string& controller, std::string* path) {
  auto c = cgroups.v1.find(controller);
  auto m = mounts.v1.find(controller);
  if (c == cgroups.v1.end() || m == mounts.v1.end() || c->second == "/") return std::nullopt;
  *path = c->second;
  return CgroupDir(m->second, c->second);
}

std::optional<std::string> V2Dir(const Mounts& mounts, const ProcessCgroups& cgroups,
                                 std::string* path) {
  if (!cgroups.v2 || !mounts.v2 || *cgroups.v2 == "/") return std::nullopt;
  *path = *cgroups.v2;
  return CgroupDir(*mounts.v2, *cgroups.v2);
}

// usage − inactive file pages, the kubelet's working set (never below zero).
uint64_t WorkingSet(uint64_t usage, std::optional<uint64_t> inactive_file) {
  uint64_t inactive = inactive_file.value_or(0);
  return inactive < usage ? usage - inactive : 0;
}

void ReadCgroupCpu(const Mounts& mounts, const ProcessCgroups& cgroups, ProcessCounters* out) {
  std::string path;
  if (std::optional<std::string> dir = V1Dir(mounts, cgroups, "cpuacct", &path)) {
    if (std::optional<uint64_t> v = ReadU64File(*dir + "/cpuacct.usage")) {
      out->cpu_usage_nanos = *v;
      out->cpu_source = "cgroup v1 " + path;
      return;
    }
  }
  if (std::optional<std::string> dir = V2Dir(mounts, cgroups, &path)) {
    if (std::optional<uint64_t> usec = Lookup(ReadKeyValues(*dir + "/cpu.stat"), "usage_usec")) {
      out->cpu_usage_nanos = *usec * 1000;
      out->cpu_source = "cgroup v2 " + path;
    }
  }
}

void ReadCgroupMemory(const Mounts& mounts, const ProcessCgroups& cgroups, ProcessCounters* out) {
  std::string path;
  if (std::optional<std::string> dir = V1Dir(mounts, cgroups, "memory", &path)) {
    if (std::optional<uint64_t> usage = ReadU64File(*dir + "/memory.usage_in_bytes")) {
      auto stat = ReadKeyValues(*dir + "/memory.stat");
      std::optional<uint64_t> inactive = Lookup(stat, "total_inactive_file");
      if (!inactive) inactive = Lookup(stat, "inactive_file");
      std::optional<uint64_t> rss = Lookup(stat, "total_rss");
      if (!rss) rss = Lookup(stat, "rss");
      out->memory_working_set_bytes = WorkingSet(*usage, inactive);
      out->memory_rss_bytes = rss;
      out->memory_source = "cgroup v1 " + path;
      return;
    }
  }
  if (std::optional<std::string> dir = V2Dir(mounts, cgroups, &path)) {
    if (std::optional<uint64_t> current = ReadU64File(*dir + "/memory.current")) {
      auto stat = ReadKeyValues(*dir + "/memory.stat");
      out->memory_working_set_bytes = WorkingSet(*current, Lookup(stat, "inactive_file"));
      out->memory_rss_bytes = Lookup(stat, "anon");
      out->memory_source = "cgroup v2 " + path;
    }
  }
}

// utime + stime from /proc/PID/stat (fields 14 and 15; the name in parentheses may hold
// spaces and parentheses itself, so fields are counted from the last ')').
std::optional<uint64_t> ProcessCpuNanos(const std::string& stat) {
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string_view> f = Fields(std::string_view(stat).substr(close + 1));
  if (f.size() < 13) return std::nullopt;
  std::optional<uint64_t> utime = ParseU64(f[11]);
  std::optional<uint64_t> stime = ParseU64(f[12]);
  long ticks = sysconf(_SC_CLK_TCK);
  if (!utime || !stime || ticks <= 0) return std::nullopt;
  return (*utime + *stime) * (uint64_t{1000000000} / static_cast<uint64_t>(ticks));
}

void ReadProcessMemory(const std::string& status, ProcessCounters* out) {
  for (std::string_view line : Split(status, '\n')) {
    std::vector<std::string_view> f = Fields(line);
    if (f.size() < 2) continue;
    std::optional<uint64_t> kib = ParseU64(f[1]);
    if (!kib) continue;
    if (f[0] == "VmRSS:") out->memory_working_set_bytes = *kib * 1024;
    if (f[0] == "RssAnon:") out->memory_rss_bytes = *kib * 1024;
  }
  if (out->memory_working_set_bytes) out->memory_source = "process";
}

// Receive and transmit bytes over every interface but lo (or lo alone).
void ReadNetDev(const std::string& text, ProcessCounters* out) {
  uint64_t rx = 0, tx = 0, lo_rx = 0, lo_tx = 0;
  bool other = false, lo = false;
  for (std::string_view line : Split(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = TrimSpace(line.substr(0, colon));
    std::vector<std::string_view> f = Fields(line.substr(colon + 1));
    if (f.size() < 9) continue;
    std::optional<uint64_t> r = ParseU64(f[0]), t = ParseU64(f[8]);
    if (!r || !t) continue;
    if (name == "lo") {
      lo = true;
      lo_rx = *r;
      lo_tx = *t;
    } else {
      other = true;
      rx += *r;
      tx += *t;
    }
  }
  if (other) {
    out->rx_bytes = rx;
    out->tx_bytes = tx;
  } else if (lo) {
    out->rx_bytes = lo_rx;
    out->tx_bytes = lo_tx;
  }
}

// ---- listening sockets ----

struct Address {
  bool v6 = false;
  unsigned char bytes[16] = {};
};

bool IsWildcard(const Address& a) {
  size_t n = a.v6 ? 16 : 4;
  return std::all_of(a.bytes, a.bytes + n, [](unsigned char b) { return b == 0; });
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4.
Address Unmapped(const Address& a) {
  static const unsigned char kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!a.v6 || std::memcmp(a.bytes, kPrefix, 12) != 0) return a;
  Address v4;
  std::memcpy(v4.bytes, a.bytes + 12, 4);
  return v4;
}

bool SameAddress(const Address& a, const Address& b) {
  Address x = Unmapped(a), y = Unmapped(b);
  return x.v6 == y.v6 && std::memcmp(x.bytes, y.bytes, x.v6 ? 16 : 4) == 0;
}

// "0100007F" (IPv4) or 32 hex digits (IPv6): 32-bit words printed in host byte order.
std::optional<Address> ParseProcAddress(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  Address a;
  a.v6 = hex.size() == 32;
  for (size_t word = 0; word < hex.size() / 8; ++word) {
    std::optional<uint64_t> v = ParseU64(hex.substr(word * 8, 8), 16);
    if (!v) return std::nullopt;
    uint32_t w = static_cast<uint32_t>(*v);
    std::memcpy(a.bytes + word * 4, &w, 4);
  }
  return a;
}

// Socket inodes listening on `port` at one of `hosts` (empty: any address) or a wildcard.
void FindListeningInodes(const std::string& path, int port, const std::vector<Address>& hosts,
                         std::set<std::string>* inodes) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return;
  for (std::string_view line : Split(*text, '\n')) {
    std::vector<std::string_view> f = Fields(line);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.size() < 10 || f[3] != "0A") continue;
    size_t colon = f[1].find(':');
    if (colon == std::string_view::npos) continue;
    std::optional<uint64_t> p = ParseU64(f[1].substr(colon + 1), 16);
    std::optional<Address> local = ParseProcAddress(f[1].substr(0, colon));
    if (!p || *p != static_cast<uint64_t>(port) || !local) continue;
    bool match = hosts.empty() || IsWildcard(*local);
    for (const Address& h : hosts) match = match || SameAddress(*local, h);
    if (match && f[9] != "0") inodes->insert(std::string(f[9]));
  }
}

std::vector<Address> HostAddresses(const std::string& host) {
  std::vector<Address> out;
  auto add = [&](const std::string& text) {
    Address a;
    if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1) {
      out.push_back(a);
    } else if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1) {
      a.v6 = true;
      out.push_back(a);
    }
  };
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") {
    add("127.0.0.1");
    add("::1");
  } else {
    add(h);
  }
  return out;
}

}  // namespace

Result<ProcessCounters> ReadProcessCounters(int pid, const ProcfsPaths& paths) {
  const std::string dir = paths.proc + "/" + std::to_string(pid);
  std::optional<std::string> stat = pid > 0 ? ReadFile(dir + "/stat") : std::nullopt;
  if (!stat) return NotFound("process " + std::to_string(pid) + " does not exist");
  ProcessCounters out;
  if (std::optional<std::string> comm = ReadFile(dir + "/comm")) {
    out.comm = std::string(TrimSpace(*comm));
  }
  Mounts mounts = ReadMounts(paths);
  ProcessCgroups cgroups = ReadProcessCgroups(pid, paths);
  ReadCgroupCpu(mounts, cgroups, &out);
  if (!out.cpu_usage_nanos) {
    out.cpu_usage_nanos = ProcessCpuNanos(*stat);
    if (out.cpu_usage_nanos) out.cpu_source = "process";
  }
  ReadCgroupMemory(mounts, cgroups, &out);
  if (!out.memory_working_set_bytes) {
    if (std::optional<std::string> status = ReadFile(dir + "/status")) {
      ReadProcessMemory(*status, &out);
    }
  }
  if (std::optional<std::string> dev = ReadFile(dir + "/net/dev")) ReadNetDev(*dev, &out);
  return out;
}

Result<int> PidListeningOn(const std::string& host, int port, const ProcfsPaths& paths) {
  const std::string where = host + ":" + std::to_string(port);
  if (port <= 0 || port > 65535) return InvalidArgument("port out of range in " + where);
  std::vector<Address> hosts = HostAddresses(host);
  std::set<std::string> inodes;
  FindListeningInodes(paths.proc + "/net/tcp", port, hosts, &inodes);
  FindListeningInodes(paths.proc + "/net/tcp6", port, hosts, &inodes);
  if (inodes.empty()) return NotFound("no process listens on " + where);
  std::set<std::string> targets;
  for (const std::string& inode : inodes) targets.insert("socket:[" + inode + "]");
  DIR* proc = opendir(paths.proc.c_str());
  if (proc == nullptr) return Unavailable("cannot read " + paths.proc);
  int found = 0;
  while (dirent* entry = readdir(proc)) {
    std::optional<uint64_t> pid = ParseU64(entry->d_name);
    if (!pid || *pid == 0 || *pid > 0x7fffffff) continue;
    if (found != 0 && static_cast<int>(*pid) >= found) continue;
    const std::string fd_dir = paths.proc + "/" + entry->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) continue;  // gone, or another user's
    while (dirent* fd = readdir(fds)) {
      if (fd->d_name[0] == '.') continue;
      char link[64];
      ssize_t n = readlink((fd_dir + "/" + fd->d_name).c_str(), link, sizeof(link));
      if (n > 0 && targets.count(std::string(link, static_cast<size_t>(n))) != 0) {
        found = static_cast<int>(*pid);
        break;
      }
    }
    closedir(fds);
  }
  closedir(proc);
  if (found == 0) {
    return NotFound("a socket listens on " + where +
                    " but its process cannot be seen (another user's?)");
  }
  return found;
}

}  // namespace kprof::resources
