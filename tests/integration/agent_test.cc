// The collector end to end: the Kubernetes API simulator runs real Go workloads as pods,
// `kprof agent` discovers and scrapes them, a real `kprof server` stores the profiles.
// Also the kubectl plugin, found by the real kubectl on PATH.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "integration/child_process.h"
#include "integration/process.h"

namespace kprof::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

std::string KubesimDir() {
  std::string d = Env("KPROF_KUBESIM_DIR");
  return d.empty() ? KPROF_DEFAULT_KUBESIM_DIR : d;
}
std::string KprofBin() {
  std::string b = Env("KPROF_BIN");
  return b.empty() ? KPROF_DEFAULT_BIN : b;
}

template <typename F>
bool WaitFor(F f, std::chrono::milliseconds limit = 60s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return f();
}

json GetJson(const std::string& url) {
  CommandResult r = RunCommand("curl -fsS --max-time 10 " + ShellQuote(url));
  if (r.exit_code != 0) return json();
  return json::parse(r.out, nullptr, false);
}

int FreePort() {
  CommandResult r = RunCommand(
      "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
      "print(s.getsockname()[1])'");
  return std::stoi(r.out);
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
  labels: {app: shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop, app.kubernetes.io/version: "1.0"}
      annotations:
        kprof.io/scrape: "true"
        kprof.io/types: "heap,goroutine"
    spec:
      containers:
      - name: app
        image: kprof.test/workload:v1
        ports:
        - {name: pprof, containerPort: 6060}
)";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kprof-agent-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    kubeconfig_ = (dir_ / "kubeconfig").string();
    std::string addr = sim_.Start({KubesimDir() + "/kubesim", "-listen", "127.0.0.1:0", "-workload",
                                   KubesimDir() + "/workload", "-kubeconfig-out", kubeconfig_},
                                  (dir_ / "sim.log").string(), "LISTENING ");
    ASSERT_FALSE(addr.empty()) << sim_.log();
    sim_url_ = "http://" + addr;
  }
  void TearDown() override {
    agent_.Kill(SIGTERM);
    server_.Kill(SIGTERM);
    sim_.Kill(SIGTERM);
    fs::remove_all(dir_);
  }

  CommandResult Kubectl(const std::string& args, const std::string& stdin_text = "") {
    std::string cmd = "kubectl --kubeconfig " + ShellQuote(kubeconfig_) + " " + args;
    if (!stdin_text.empty()) {
      std::string f = (dir_ / "stdin.yaml").string();
      std::ofstream(f) << stdin_text;
      cmd += " < " + ShellQuote(f);
    }
    return RunCommand(cmd);
  }

  void CreateShop(const std::string& types = "heap,goroutine") {
    std::string manifest = kDeployment;
    manifest.replace(manifest.find("heap,goroutine"), 14, types);
    CommandResult r = Kubectl("create --validate=false -f -", manifest);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Kubectl("rollout status deployment/shop --timeout=60s");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::set<std::string> RunningPods() {
    CommandResult r = Kubectl("get pods -l app=shop -o json");
    std::set<std::string> out;
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object()) return out;
    for (const json& p : j["items"]) {
      if (p["status"].value("phase", "") == "Running" &&
          !p["metadata"].contains("deletionTimestamp")) {
        out.insert(p["metadata"]["name"].get<std::string>());
      }
    }
    return out;
  }

  void StartServer(int port = 0) {
    std::string listen = "127.0.0.1:" + std::to_string(port);
    std::string rest = server_.Start(
        {KprofBin(), "server", "--listen", listen, "--data-dir", (dir_ / "data").string()},
        (dir_ / ("server" + std::to_string(++server_starts_) + ".log")).string(),
        "listening on http://127.0.0.1:");
    ASSERT_FALSE(rest.empty()) << server_.log();
    server_port_ = std::stoi(rest);
  }

  void StartAgent(std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        KprofBin(),         "agent",
        "--kubeconfig",     kubeconfig_,
        "--server",         "http://127.0.0.1:" + std::to_string(server_port_),
        "--spool-dir",      (dir_ / "spool").string(),
        "--metrics-listen", "127.0.0.1:0"};
    if (std::find(extra.begin(), extra.end(), "--interval") == extra.end()) {
      extra.insert(extra.end(), {"--interval", "2s"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string rest = agent_.Start(argv, (dir_ / "agent.log").string(), "metrics on http://");
    ASSERT_FALSE(rest.empty()) << agent_.log();
    agent_addr_ = rest.substr(0, rest.find('/'));
  }

  json AgentStatus() { return GetJson("http://" + agent_addr_ + "/status"); }
  std::string AgentMetrics() {
    return RunCommand("curl -fsS http://" + agent_addr_ + "/metrics").out;
  }

  // Stored profiles of `type`, by pod label.
  std::map<std::string, std::vector<json>> StoredByPod(const std::string& type) {
    std::map<std::string, std::vector<json>> out;
    json page =
        GetJson("http://127.0.0.1:" + std::to_string(server_port_) + "/api/v1/profiles?limit=1000");
    if (!page.is_object()) return out;
    for (const json& m : page["profiles"]) {
      if (m["type"] == type) out[m["labels"].value("pod", "")].push_back(m);
    }
    return out;
  }
  size_t StoredCount() {
    json page =
        GetJson("http://127.0.0.1:" + std::to_string(server_port_) + "/api/v1/profiles?limit=1000");
    return page.is_object() ? page["profiles"].size() : 0;
  }

  fs::path dir_;
  std::string kubeconfig_;
  std::string sim_url_;
  ChildProcess sim_, server_, agent_;
  int server_port_ = 0;
  int server_starts_ = 0;
  std::string agent_addr_;
};

TEST_F(AgentTest, AnnotatedPodsReachTheServerWithTheirLabelsWithinOneInterval) {
  StartServer();
  CreateShop();
  std::set<std::string> pods = RunningPods();
  ASSERT_EQ(pods.size(), 2u);
  auto started = std::chrono::steady_clock::now();
  StartAgent({});
  // Within one interval (2 s) of discovery, plus the informer's start and a push.
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("goroutine").size() == 2; }, 20s)) << agent_.log();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(took, 2.0 + 3.0) << "first profiles took " << took << " s";
  auto by_pod = StoredByPod("goroutine");
  for (const std::string& pod : pods) {
    ASSERT_TRUE(by_pod.count(pod)) << pod;
    const json& m = by_pod[pod].front();
    EXPECT_EQ(m["service"], "shop");
    const json& l = m["labels"];
    EXPECT_EQ(l["namespace"], "default");
    EXPECT_EQ(l["container"], "app");
    EXPECT_EQ(l["deployment"], "shop");
    EXPECT_EQ(l["revision"], "1");
    EXPECT_EQ(l["image"], "kprof.test/workload:v1");
    EXPECT_EQ(l["version"], "1.0");
    EXPECT_TRUE(l.contains("node"));
    ASSERT_TRUE(l.contains("pod_template_hash"));
    EXPECT_EQ(l["replicaset"], "shop-" + l["pod_template_hash"].get<std::string>());
  }
  // heap is delta'd: its first scrape is a baseline, the second arrives one interval later.
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("heap").size() == 2; }, 20s));
  // Types not annotated are not scraped.
  EXPECT_TRUE(StoredByPod("cpu").empty());
  std::string metrics = AgentMetrics();
  EXPECT_NE(metrics.find("kprof_agent_targets 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("kprof_agent_scrape_lag_seconds_count"), std::string::npos);
  EXPECT_NE(metrics.find("kprof_agent_spool_profiles"), std::string::npos);
}

TEST_F(AgentTest, DirectAndProxyScrapesBothWork) {
  StartServer();
  CreateShop();
  StartAgent({"--via", "direct"});
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("goroutine").size() == 2; }, 20s)) << agent_.log();
  json status = AgentStatus();
  ASSERT_EQ(status["targets"].size(), 2u);
  EXPECT_EQ(status["targets"][0]["via"], "direct");
  agent_.Kill(SIGTERM);
  StartAgent({"--via", "proxy", "--types", "threadcreate"});
  status = AgentStatus();
  ASSERT_TRUE(WaitFor([&] { return AgentStatus()["targets"].size() == 2; }, 20s));
  EXPECT_EQ(AgentStatus()["targets"][0]["via"], "proxy");
}

TEST_F(AgentTest, TargetKilledMidScrapeIsCountedAndScrapingResumes) {
  StartServer();
  CreateShop("cpu,goroutine");
  StartAgent({"--cpu-seconds", "5", "--interval", "6s"});
  std::set<std::string> pods = RunningPods();
  ASSERT_FALSE(pods.empty());
  std::string pod = *pods.begin();
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("goroutine").count(pod) > 0; }, 20s))
      << agent_.log();
  // Kill while CPU captures run: goroutine scrapes take milliseconds, CPU ones 5 s, so
  // scrapes in flight are CPU captures.
  auto in_flight = [&] {
    std::istringstream lines(AgentMetrics());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("kprof_agent_scrapes_in_flight ", 0) == 0) return std::stod(line.substr(30));
    }
    return 0.0;
  };
  ASSERT_TRUE(WaitFor([&] { return in_flight() >= 2; }, 20s)) << AgentMetrics();
  CommandResult k = RunCommand("curl -fsS -X POST " +
                               ShellQuote(sim_url_ + "/sim/pods/default/" + pod + "/kill"));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  // The container restarts; scraping picks up the new process.
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult r =
            Kubectl("get pod " + pod + " -o jsonpath={.status.containerStatuses[0].restartCount}");
        return r.out == "1";
      },
      30s));
  // The CPU capture running at the kill (3 s of every 4) failed, and was counted.
  auto cpu_failed = [&] {
    std::istringstream lines(AgentMetrics());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("kprof_agent_scrape_failures_total{", 0) == 0 &&
          line.find("type=\"cpu\"") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(WaitFor(cpu_failed, 20s)) << AgentMetrics();
  size_t before = StoredByPod("goroutine")[pod].size();
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("goroutine")[pod].size() >= before + 2; }, 30s));
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("cpu")[pod].size() >= 1; }, 30s));
}

TEST_F(AgentTest, ServerDownAndBackLosesNothing) {
  int port = FreePort();
  StartServer(port);
  CreateShop();
  StartAgent({"--types", "goroutine"});
  ASSERT_TRUE(WaitFor([&] { return StoredCount() >= 2; }, 20s)) << agent_.log();
  server_.Kill(SIGKILL);
  // Scrapes go on and wait in the spool.
  ASSERT_TRUE(WaitFor([&] { return AgentStatus()["spool"]["profiles"].get<int>() >= 4; }, 30s))
      << AgentStatus().dump();
  StartServer(port);
  ASSERT_TRUE(WaitFor([&] { return AgentStatus()["spool"]["profiles"].get<int>() == 0; }, 60s))
      << AgentStatus().dump();
  agent_.Kill(SIGTERM);  // no more scrapes: compare totals
  json status;
  // The agent is gone; its last numbers are in its log? Use the server's count instead.
  size_t stored = StoredCount();
  EXPECT_GE(stored, 6u);
  std::string log = agent_.log();
  EXPECT_EQ(log.find("dropped"), std::string::npos);
}

TEST_F(AgentTest, DroppedWatchesAndExpiredVersionsLoseNoTarget) {
  StartServer();
  CreateShop();
  StartAgent({"--types", "goroutine"});
  auto keys = [&] {
    std::multiset<std::string> out;
    json s = AgentStatus();
    if (!s.is_object()) return out;
    for (const json& t : s["targets"]) out.insert(t["labels"]["pod"].get<std::string>());
    return out;
  };
  ASSERT_TRUE(WaitFor([&] { return keys().size() == 2; }, 20s));
  ASSERT_EQ(RunCommand("curl -fsS -X POST " + ShellQuote(sim_url_ + "/sim/faults/drop-watches"))
                .exit_code,
            0);
  ASSERT_EQ(Kubectl("scale deployment/shop --replicas=3").exit_code, 0);
  ASSERT_EQ(
      RunCommand("curl -fsS -X POST " + ShellQuote(sim_url_ + "/sim/faults/expire")).exit_code, 0);
  ASSERT_EQ(Kubectl("rollout status deployment/shop --timeout=60s").exit_code, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto k = keys();
        auto pods = RunningPods();
        return k.size() == pods.size() && std::set<std::string>(k.begin(), k.end()) == pods;
      },
      30s))
      << AgentStatus().dump();
  ASSERT_EQ(Kubectl("scale deployment/shop --replicas=1").exit_code, 0);
  ASSERT_EQ(RunCommand("curl -fsS -X POST " + ShellQuote(sim_url_ + "/sim/faults/restart?ms=500"))
                .exit_code,
            0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto k = keys();
        auto pods = RunningPods();
        return pods.size() == 1 && k.size() == 1 && *k.begin() == *pods.begin();
      },
      30s))
      << AgentStatus().dump();
}

TEST_F(AgentTest, ServerCollectsItselfWithKubeconfig) {
  std::string rest = server_.Start(
      {KprofBin(), "server", "--listen", "127.0.0.1:0", "--data-dir", (dir_ / "data").string(),
       "--kubeconfig", kubeconfig_, "--interval", "2s", "--types", "goroutine"},
      (dir_ / "server.log").string(), "listening on http://127.0.0.1:");
  ASSERT_FALSE(rest.empty()) << server_.log();
  server_port_ = std::stoi(rest);
  CreateShop();
  ASSERT_TRUE(WaitFor([&] { return StoredByPod("goroutine").size() == 2; }, 30s)) << server_.log();
}

class PluginTest : public AgentTest {
 protected:
  CommandResult Plugin(const std::string& args) {
    std::string path = fs::path(KprofBin()).parent_path().string();
    // kubectl takes no flags before a plugin's name; the plugin reads KUBECONFIG.
    return RunCommand("PATH=" + ShellQuote(path) + ":$PATH KUBECONFIG=" + ShellQuote(kubeconfig_) +
                      " kubectl kprof " + args);
  }
};

TEST_F(PluginTest, KubectlFindsThePlugin) {
  std::string path = fs::path(KprofBin()).parent_path().string();
  CommandResult r = RunCommand("PATH=" + ShellQuote(path) + ":$PATH kubectl plugin list");
  EXPECT_NE(r.out.find("kubectl-kprof"), std::string::npos) << r.out << r.err;
}

TEST_F(PluginTest, CaptureWritesProfilesNamedByPodAndType) {
  CreateShop();
  std::set<std::string> pods = RunningPods();
  std::string out_dir = (dir_ / "captures").string();
  CommandResult r =
      Plugin("capture -l app=shop --type heap,goroutine,cpu --seconds 1 -o " + ShellQuote(out_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("capturing"), std::string::npos) << r.err;
  size_t files = 0;
  for (const std::string& pod : pods) {
    for (const char* type : {"heap", "goroutine", "cpu"}) {
      bool found = false;
      for (auto& e : fs::directory_iterator(out_dir)) {
        std::string name = e.path().filename().string();
        if (name.rfind("default_" + pod + "_" + type + "_", 0) == 0) {
          found = true;
          ++files;
          CommandResult info =
              RunCommand(ShellQuote(KprofBin()) + " info " + ShellQuote(e.path().string()));
          EXPECT_EQ(info.exit_code, 0) << info.err;
        }
      }
      EXPECT_TRUE(found) << pod << " " << type;
    }
  }
  EXPECT_EQ(files, pods.size() * 3);
  // Paths are printed, one per line.
  EXPECT_EQ(static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')), files);
}

TEST_F(PluginTest, CpuCaptureShowsAProgressBarOnATerminal) {
  CreateShop();
  std::string pod = *RunningPods().begin();
  CommandResult r = Plugin("capture " + pod + " --seconds 2 --progress always -o " +
                           ShellQuote((dir_ / "c").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("capturing ["), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("100%"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find('\r'), std::string::npos);
}

TEST_F(PluginTest, TopPrintsTheTopTable) {
  CreateShop();
  std::string pod = *RunningPods().begin();
  CommandResult r = Plugin("top " + pod + " --type heap");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("flat  flat%   sum%        cum   cum%"), std::string::npos) << r.out;
}

TEST_F(PluginTest, PushSendsCapturesToTheServer) {
  StartServer();
  CreateShop();
  std::string pod = *RunningPods().begin();
  CommandResult r =
      Plugin("capture " + pod + " --type goroutine -o " + ShellQuote((dir_ / "c").string()) +
             " --push http://127.0.0.1:" + std::to_string(server_port_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stored = StoredByPod("goroutine");
  ASSERT_EQ(stored[pod].size(), 1u);
  EXPECT_EQ(stored[pod][0]["labels"]["namespace"], "default");
}

TEST_F(PluginTest, BadInputGetsOneLineErrors) {
  CommandResult r = Plugin("capture no-such-pod");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  r = Plugin("capture --type nonsense -l app=shop");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown profile type"), std::string::npos) << r.err;
  CreateShop();
  std::string pod = *RunningPods().begin();
  r = Plugin("capture " + pod + " --port 6999 --type heap -o " + ShellQuote((dir_ / "c").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(pod), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kprof::testing
