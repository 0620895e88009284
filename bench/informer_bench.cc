// Informer sync benchmark: how long Informer<Pod> takes from Start to WaitForSync over
// 10,000 realistic pods on the Kubernetes API simulator, and how much memory it needs
// (targets: ≤ 3 s, ≤ 300 MB), next to peers listing the same pods in the same run:
// `kubectl get pods -A -o json --chunk-size=500` and the Python client's
// list_pod_for_all_namespaces.
//
//   kprof_informer_bench --kubesim DIR --out FILE [--pods 10000] [--runs 3]
//
// DIR holds the simulator's kubesim binary (tests/support/kubesim/build.sh DIR). Memory
// is the process's peak RSS (VmHWM) during the first sync, less its RSS before it (the
// peak is reset through /proc/self/clear_refs); the cache's lasting cost is the RSS after
// the sync, less the same baseline. Peers are timed as whole processes (wall clock, peak
// RSS from wait4); the Python client also reports the time of the list call alone.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "kube/config.h"
#include "kube/informer.h"
#include "proc_memory.h"

using kprof::bench::ResetPeakRss;
using kprof::bench::StatusKb;

namespace {

using Clock = std::chrono::steady_clock;
using namespace kprof;
using namespace std::chrono_literals;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "informer_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The simulator, started with its stdout on a pipe until it prints LISTENING.
class Simulator {
 public:
  Simulator(const std::string& binary, const std::string& kubeconfig) {
    int out[2];
    if (pipe(out) != 0) Die("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 2);
      close(out[0]);
      execl(binary.c_str(), binary.c_str(), "-listen", "127.0.0.1:0", "-kubeconfig-out",
            kubeconfig.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string text;
    char buf[256];
    while (text.find('\n') == std::string::npos) {
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) Die("the simulator " + binary + " did not start");
      text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (text.rfind("LISTENING ", 0) != 0) Die("unexpected simulator output: " + text);
    address_ = text.substr(10, text.find('\n') - 10);
  }
  ~Simulator() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

struct PeerRun {
  bool ok = false;
  double seconds = 0;
  long max_rss_kb = 0;
  std::string out;  // stdout
};

// Runs argv with stdout captured (stderr discarded), timing it and its peak RSS.
PeerRun RunPeer(const std::vector<std::string>& argv) {
  PeerRun run;
  char path[] = "/tmp/kprof-informer-bench-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return run;
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = Seconds(start);
  run.max_rss_kb = usage.ru_maxrss;
  run.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    if (run.out.size() < (1 << 20)) run.out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  unlink(path);
  return run;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct SyncRun {
  double seconds = 0;
  std::size_t pods = 0;
  std::size_t handler_adds = 0;
};

// One informer from Start to WaitForSync; `synced` runs while it still holds its cache.
SyncRun SyncOnce(kube::Client& client,
                 const std::function<void(kube::Informer<kube::Pod>&)>& synced = nullptr) {
  SyncRun run;
  std::atomic<std::size_t> adds{0};
  kube::InformerHandlers<kube::Pod> handlers;
  handlers.on_add = [&](const kube::Pod&) { adds.fetch_add(1, std::memory_order_relaxed); };
  auto start = Clock::now();
  kube::Informer<kube::Pod> informer(client, kube::Resource::kPods, {}, handlers);
  informer.Start();
  if (!informer.WaitForSync(120s)) Die("the informer did not sync in 120 s");
  run.seconds = Seconds(start);
  run.pods = informer.size();
  run.handler_adds = adds.load();
  if (synced) synced(informer);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubesim_dir, out_path;
  int pods = 10000, runs = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--kubesim") && i + 1 < argc) {
      kubesim_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) {
      out_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--pods") && i + 1 < argc) {
      pods = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      Die("usage: kprof_informer_bench --kubesim DIR --out FILE [--pods N] [--runs N]");
    }
  }
  if (kubesim_dir.empty() || out_path.empty()) Die("--kubesim and --out are required");

  std::string tmp = "/tmp/kprof-informer-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(tmp);
  std::string kubeconfig = tmp + "/kubeconfig";
  Simulator sim(kubesim_dir + "/kubesim", kubeconfig);

  auto http_or = net::HttpClient::Create();
  if (!http_or.ok()) Die(http_or.status().ToString());
  std::shared_ptr<net::HttpClient> http = std::move(*http_or);
  // 10,000 pods the size of real ones (labels, annotations, managedFields, a projected
  // service-account volume, full status), in seed requests of 1,000.
  for (int done = 0; done < pods;) {
    int n = std::min(1000, pods - done);
    net::ClientRequest seed;
    seed.method = "POST";
    seed.url = "http://" + sim.address() + "/sim/seed";
    seed.body = R"({"namespace":"bench","count":)" + std::to_string(n) + R"(,"start":)" +
                std::to_string(done) + "}";
    seed.timeout = 120s;
    net::Transfer t = http->Do(std::move(seed));
    if (!t.ok() || t.response.status != 200) Die("seed: " + t.status.ToString() + t.response.body);
    done += n;
  }

  kube::ConfigOptions options;
  options.kubeconfig = kubeconfig;
  Result<kube::RestConfig> config = kube::LoadConfig(options);
  if (!config.ok()) Die(config.status().ToString());
  auto client_or = kube::Client::Create(*config, http);
  if (!client_or.ok()) Die(client_or.status().ToString());
  kube::Client& client = **client_or;
  // The JSON size of the whole list, for context.
  Result<std::string> one_page = client.GetRaw("/api/v1/pods?limit=500", 60s);
  if (!one_page.ok()) Die(one_page.status().ToString());
  double json_mb = static_cast<double>(one_page->size()) * pods / 500 / 1e6;
  one_page = std::string();

  // First run: memory. The peak is reset so that seeding's buffers do not count.
  long rss_before = StatusKb("VmRSS");
  bool reset = ResetPeakRss();
  long hwm_before = reset ? rss_before : StatusKb("VmHWM");
  std::vector<double> sync_seconds;
  long peak_kb = 0, retained_kb = 0;
  const std::size_t heap_before = mallinfo2().uordblks;
  std::size_t heap_cache = 0;
  SyncRun first = SyncOnce(client, [&](kube::Informer<kube::Pod>& informer) {
    peak_kb = StatusKb("VmHWM") - hwm_before;
    retained_kb = StatusKb("VmRSS") - rss_before;
    // Steady state: after a watch event the list-sized parser is gone and the cache is
    // what remains allocated.
    net::ClientRequest seed;
    seed.method = "POST";
    seed.url = "http://" + sim.address() + "/sim/seed";
    seed.body = R"({"namespace":"bench","count":1,"name_prefix":"extra"})";
    if (!http->Do(std::move(seed)).ok()) Die("seed one more pod");
    auto deadline = Clock::now() + 10s;
    while (informer.size() <= static_cast<std::size_t>(pods) && Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    heap_cache = mallinfo2().uordblks - heap_before;
  });
  if (first.pods != static_cast<std::size_t>(pods) || first.handler_adds != first.pods) {
    Die("the informer saw " + std::to_string(first.pods) + " pods and " +
        std::to_string(first.handler_adds) + " adds, not " + std::to_string(pods));
  }
  sync_seconds.push_back(first.seconds);
  for (int r = 1; r < runs; ++r) sync_seconds.push_back(SyncOnce(client).seconds);

  // Peers, same simulator, same pods.
  std::vector<double> kubectl_s, python_s, python_list_s;
  long kubectl_rss = 0, python_rss = 0;
  bool kubectl_ok = true, python_ok = true;
  const std::string python_code =
      "import sys, time\n"
      "from kubernetes import client, config\n"
      "config.load_kube_config(config_file=sys.argv[1])\n"
      "api = client.CoreV1Api()\n"
      "t = time.monotonic()\n"
      "pods = api.list_pod_for_all_namespaces()\n"
      "print(len(pods.items), time.monotonic() - t)\n";
  for (int r = 0; r < runs; ++r) {
    PeerRun k = RunPeer({"kubectl", "--kubeconfig", kubeconfig, "get", "pods", "-A", "-o", "json",
                         "--chunk-size=500"});
    kubectl_ok = kubectl_ok && k.ok && k.out.size() > static_cast<std::size_t>(pods) * 100;
    kubectl_s.push_back(k.seconds);
    kubectl_rss = std::max(kubectl_rss, k.max_rss_kb);
    PeerRun p = RunPeer({"/usr/bin/python3", "-c", python_code, kubeconfig});
    std::size_t listed = 0;
    double list_s = 0;
    python_ok = python_ok && p.ok && std::sscanf(p.out.c_str(), "%zu %lf", &listed, &list_s) == 2 &&
                listed == static_cast<std::size_t>(pods) + 1;  // and the one seeded above
    python_s.push_back(p.seconds);
    python_list_s.push_back(list_s);
    python_rss = std::max(python_rss, p.max_rss_kb);
  }

  std::printf("Informer<Pod> sync of %d pods (%.0f MB of list JSON), %d runs, kubesim at %s\n\n",
              pods, json_mb, runs, sim.address().c_str());
  std::printf("%-44s %10s %10s %10s\n", "", "median s", "first s", "peak MB");
  std::printf("%-44s %10.3f %10.3f %10.1f\n", "kprof Informer<Pod> Start→WaitForSync",
              Median(sync_seconds), sync_seconds[0], peak_kb / 1024.0);
  std::printf("%-44s %10.3f %10.3f %10.1f%s\n", "kubectl get pods -A -o json --chunk-size=500",
              Median(kubectl_s), kubectl_s[0], kubectl_rss / 1024.0, kubectl_ok ? "" : "  FAILED");
  std::printf("%-44s %10.3f %10.3f %10.1f%s\n", "python3 kubernetes list_pod_for_all_ns (proc)",
              Median(python_s), python_s[0], python_rss / 1024.0, python_ok ? "" : "  FAILED");
  std::printf("%-44s %10.3f %10.3f %10s\n", "python3 kubernetes list call alone",
              Median(python_list_s), python_list_s[0], "");
  std::printf(
      "\nkprof: peak RSS growth %.1f MB, RSS growth at sync %.1f MB (both with the list-page "
      "parser); targets: sync <= 3 s %s, memory <= 300 MB %s\n",
      peak_kb / 1024.0, retained_kb / 1024.0, Median(sync_seconds) <= 3.0 ? "met" : "MISSED",
      peak_kb <= 300 * 1024 ? "met" : "MISSED");
  std::printf("kprof: heap in use once watching %.1f MB (%.0f bytes/pod: the cache)\n",
              static_cast<double>(heap_cache) / (1 << 20), static_cast<double>(heap_cache) / pods);
  std::printf("peers' peak MB is the whole process's (wait4 ru_maxrss), not growth\n");

  std::ofstream out(out_path);
  out << "{\n"
      << "  \"pods\": " << pods << ",\n"
      << "  \"runs\": " << runs << ",\n"
      << "  \"list_json_mb\": " << json_mb << ",\n"
      << "  \"kprof_sync_seconds\": [";
  for (std::size_t i = 0; i < sync_seconds.size(); ++i) out << (i ? ", " : "") << sync_seconds[i];
  out << "],\n"
      << "  \"kprof_sync_seconds_median\": " << Median(sync_seconds) << ",\n"
      << "  \"kprof_peak_rss_growth_mb\": " << peak_kb / 1024.0 << ",\n"
      << "  \"kprof_retained_rss_mb\": " << retained_kb / 1024.0 << ",\n"
      << "  \"kprof_cache_heap_bytes_per_pod\": " << static_cast<double>(heap_cache) / pods << ",\n"
      << "  \"peak_reset_with_clear_refs\": " << (reset ? "true" : "false") << ",\n"
      << "  \"kubectl_seconds_median\": " << Median(kubectl_s) << ",\n"
      << "  \"kubectl_max_rss_mb\": " << kubectl_rss / 1024.0 << ",\n"
      << "  \"kubectl_ok\": " << (kubectl_ok ? "true" : "false") << ",\n"
      << "  \"python_process_seconds_median\": " << Median(python_s) << ",\n"
      << "  \"python_list_seconds_median\": " << Median(python_list_s) << ",\n"
      << "  \"python_max_rss_mb\": " << python_rss / 1024.0 << ",\n"
      << "  \"python_ok\": " << (python_ok ? "true" : "false") << ",\n"
      << "  \"targets_met\": "
      << (Median(sync_seconds) <= 3.0 && peak_kb <= 300 * 1024 ? "true" : "false") << "\n"
      << "}\n";
  std::filesystem::remove_all(tmp);
  return 0;
}
