// kubectl kprof capture|top: take profiles from pods through the API server's pod proxy
// (no port-forward), like `go tool pprof http://pod:6060/debug/pprof/profile` without
// the network access. Also reachable as `kprof capture` and `kprof pod-top`.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>

#include "cli/commands.h"
#include "cli/kube_flags.h"
#include "cli/report_flags.h"
#include "collect/delivery.h"
#include "collect/target.h"
#include "kube/client.h"
#include "kube/config.h"
#include "pprof/decode.h"
#include "pprof/encode.h"
#include "pprof/report.h"

namespace kprof::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Capture {
  kube::Pod pod;
  collect::ProfileKind kind;
  int port = 0;
  std::string container;  // the one declaring the port
  net::Transfer transfer;
  bool done = false;
  std::string error;
  std::string path;
  pprof::Profile profile;
};

std::string Timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return buf;
}

struct CaptureCommand {
  std::shared_ptr<GlobalKubeFlags> global;
  kube::ConfigOptions kube_options;
  std::string namespace_;
  std::string selector;
  bool all_namespaces = false;
  std::vector<std::string> pods;
  std::string types = "cpu";
  int seconds = 30;
  int port = 0;
  std::string output_dir = ".";
  std::string push;
  std::string push_token_file;
  std::string progress = "auto";
  bool top = false;
  ReportFlags report;

  Result<std::vector<kube::Pod>> ResolvePods(kube::Client& client) {
    std::string ns = namespace_.empty() ? client.config().default_namespace : namespace_;
    std::vector<kube::Pod> out;
    if (!pods.empty() && !selector.empty()) {
      return InvalidArgument("give pod names or -l SELECTOR, not both");
    }
    if (pods.empty() && selector.empty()) {
      return InvalidArgument(
          "name the pods to capture (kubectl kprof capture POD) or select "
          "them with -l app=NAME");
    }
    if (!pods.empty()) {
      for (std::string name : pods) {
        if (name.rfind("pod/", 0) == 0) name = name.substr(4);
        kube::ListOptions o;
        o.namespace_ = all_namespaces ? "" : ns;
        o.field_selector = "metadata.name=" + name;
        KPROF_ASSIGN_OR_RETURN(auto page,
                               kube::ListAll<kube::Pod>(client, kube::Resource::kPods, o));
        if (page.items.empty()) {
          return NotFound("pod \"" + name + "\" not found in namespace " +
                          (all_namespaces ? "(any)" : ns) + "; list them with kubectl get pods" +
                          (all_namespaces ? " -A" : " -n " + ns));
        }
        if (page.items.size() > 1) {
          return InvalidArgument("pod \"" + name +
                                 "\" exists in several namespaces; pick one with -n");
        }
        out.push_back(std::move(page.items.front()));
      }
      return out;
    }
    kube::ListOptions o;
    o.namespace_ = all_namespaces ? "" : ns;
    o.label_selector = selector;
    KPROF_ASSIGN_OR_RETURN(auto page, kube::ListAll<kube::Pod>(client, kube::Resource::kPods, o));
    for (kube::Pod& p : page.items) {
      if (p.phase == "Running" && p.meta.deletion_time == 0) out.push_back(std::move(p));
    }
    if (out.empty()) {
      return NotFound("no running pods match -l " + selector + " in " +
                      (all_namespaces ? std::string("any namespace") : "namespace " + ns));
    }
    return out;
  }

  void DrawProgress(const std::vector<std::unique_ptr<Capture>>& caps, Clock::time_point start,
                    bool tty, bool final) {
    size_t done = 0;
    for (const auto& c : caps) done += c->done;
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double frac = std::min(1.0, final ? 1.0 : elapsed / std::max(1, seconds));
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "%scapturing [%s] %3.0f%% %2.0fs/%ds  %zu/%zu done%s", tty ? "\r" : "",
                 bar.c_str(), frac * 100, std::min<double>(elapsed, seconds), seconds, done,
                 caps.size(), (final || !tty) ? "\n" : "");
    std::fflush(stderr);
  }

  int Run() {
    if (global) {
      if (kube_options.kubeconfig.empty()) kube_options.kubeconfig = global->kubeconfig;
      if (kube_options.context.empty()) kube_options.context = global->context;
      if (namespace_.empty()) namespace_ = global->namespace_;
      all_namespaces = all_namespaces || global->all_namespaces;
    }
    if (seconds < 1) return Fail(InvalidArgument("--seconds must be at least 1"));
    Status s = report.Resolve();
    if (!s.ok()) return Fail(s);
    auto kinds = collect::ParseKinds(types);
    if (!kinds.ok()) return Fail(kinds.status().WithContext("--type"));
    if (top && kinds->size() != 1) return Fail(InvalidArgument("top takes one --type"));
    auto config = kube::LoadConfig(kube_options);
    if (!config.ok()) return Fail(config.status());
    auto http = net::HttpClient::Create();
    if (!http.ok()) return Fail(http.status());
    std::shared_ptr<net::HttpClient> shared = std::move(http).value();
    auto client = kube::Client::Create(*config, shared);
    if (!client.ok()) return Fail(client.status());
    auto pods_found = ResolvePods(**client);
    if (!pods_found.ok()) return Fail(pods_found.status());
    if (top && pods_found->size() != 1) {
      return Fail(InvalidArgument("top shows one pod; name it, or narrow -l to one pod"));
    }
    if (!top) {
      std::error_code ec;
      std::filesystem::create_directories(output_dir, ec);
      if (ec) return Fail(Unavailable("cannot create " + output_dir + ": " + ec.message()));
    }

    std::vector<std::unique_ptr<Capture>> caps;
    for (const kube::Pod& pod : *pods_found) {
      auto p = collect::ChoosePodPort(pod, port);
      if (!p.ok()) return Fail(p.status());
      for (collect::ProfileKind kind : *kinds) {
        auto c = std::make_unique<Capture>();
        c->pod = pod;
        c->kind = kind;
        c->port = p->port;
        if (p->container) c->container = p->container->name;
        caps.push_back(std::move(c));
      }
    }
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = caps.size();
    auto start = Clock::now();
    for (auto& c : caps) {
      std::string path = "/debug/pprof/" + std::string(collect::KindName(c->kind));
      std::string query;
      if (c->kind == collect::ProfileKind::kCpu) {
        path = "/debug/pprof/profile";
        query = "?seconds=" + std::to_string(seconds);
      }
      net::ClientRequest r;
      r.url = kube::Client::PodProxyPath(c->pod.meta.namespace_, c->pod.meta.name, c->port, path) +
              query;
      r.timeout = std::chrono::seconds(seconds + 60);
      r.max_response_bytes = 256u << 20;
      auto authorized = (*client)->Authorize(std::move(r));
      if (!authorized.ok()) return Fail(authorized.status());
      Capture* cp = c.get();
      shared->Start(std::move(authorized).value(), [&, cp](net::Transfer t) {
        std::lock_guard<std::mutex> lock(mu);
        cp->transfer = std::move(t);
        cp->done = true;
        --remaining;
        cv.notify_all();
      });
    }
    bool has_cpu = std::any_of(caps.begin(), caps.end(),
                               [](const auto& c) { return c->kind == collect::ProfileKind::kCpu; });
    bool tty = progress == "always" || (progress == "auto" && isatty(STDERR_FILENO));
    bool show = has_cpu && progress != "never";
    if (show && !tty) {
      std::fprintf(stderr, "capturing %zu profile(s) from %zu pod(s); CPU for %ds\n", caps.size(),
                   pods_found->size(), seconds);
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      while (remaining > 0) {
        cv.wait_for(lock, std::chrono::milliseconds(250));
        if (show && tty) {
          lock.unlock();
          DrawProgress(caps, start, true, false);
          lock.lock();
        }
      }
    }
    if (show) DrawProgress(caps, start, tty, true);

    int failures = 0;
    std::string stamp = Timestamp();
    std::unique_ptr<collect::HttpSink> sink;
    if (!push.empty()) {
      collect::HttpSinkOptions so;
      so.server = push;
      so.token_file = push_token_file;
      sink = std::make_unique<collect::HttpSink>(so, shared);
    }
    pprof::Decoder decoder;
    for (auto& c : caps) {
      std::string what = c->pod.meta.namespace_ + "/" + c->pod.meta.name + " " +
                         std::string(collect::KindName(c->kind));
      const net::Transfer& t = c->transfer;
      std::string error;
      if (!t.ok()) {
        error = t.status.message();
      } else if (t.response.status != 200) {
        std::string body = t.response.body.substr(0, 200);
        error = "HTTP " + std::to_string(t.response.status) + ": " + body;
        if (t.response.status == 403) error += " (needs RBAC: get pods/proxy)";
        if (t.response.status == 404 || t.response.status == 503) {
          error +=
              " (is net/http/pprof served on port " + std::to_string(c->port) + "? pass --port)";
        }
      } else if (Status d = decoder.Decode(t.response.body, &c->profile); !d.ok()) {
        error = "not a pprof profile: " + d.message();
      }
      if (!error.empty()) {
        std::fprintf(stderr, "kprof: %s: %s\n", what.c_str(), error.c_str());
        ++failures;
        continue;
      }
      if (top) continue;
      c->path = output_dir + "/" + c->pod.meta.namespace_ + "_" + c->pod.meta.name + "_" +
                std::string(collect::KindName(c->kind)) + "_" + stamp + ".pb.gz";
      std::string bytes = t.response.body;
      if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f) {
        bytes = pprof::EncodeProfileGzip(c->profile);
      }
      if (Status w = WriteOutput(c->path, bytes, true); !w.ok()) {
        std::fprintf(stderr, "kprof: %s\n", w.message().c_str());
        ++failures;
        continue;
      }
      std::printf("%s\n", c->path.c_str());
      if (sink) {
        const kube::Container* container = nullptr;
        for (const kube::Container& k : c->pod.containers) {
          if (k.name == c->container) container = &k;
        }
        collect::PodIdentity id = collect::IdentifyPod(c->pod, collect::OwnerInfo{}, container);
        collect::Envelope e;
        e.service = std::move(id.service);
        e.labels = std::move(id.labels);
        e.type = std::string(collect::KindName(c->kind));
        e.time_nanos = c->profile.time_nanos;
        e.profile = bytes;
        if (Status p = sink->Deliver(e); !p.ok()) {
          std::fprintf(stderr, "kprof: push %s: %s\n", what.c_str(), p.message().c_str());
          ++failures;
        }
      }
    }
    if (top && failures == 0) {
      auto prepared = pprof::Prepare(std::move(caps.front()->profile), report.options);
      if (!prepared.ok()) return Fail(prepared.status());
      std::string text =
          pprof::FormatTopText(pprof::BuildTop(*prepared, report.options), *prepared);
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return failures == 0 ? 0 : 1;
  }
};

void AddKubeFlags(CLI::App* sub, CaptureCommand* cmd) {
  sub->add_option("--kubeconfig", cmd->kube_options.kubeconfig, "Path to the kubeconfig file");
  sub->add_option("--context", cmd->kube_options.context, "The kubeconfig context to use");
  sub->add_option("-n,--namespace", cmd->namespace_,
                  "Namespace of the pods (default: the context's namespace)");
  sub->add_flag("-A,--all-namespaces", cmd->all_namespaces, "Look for the pods in every namespace");
  sub->add_option("-l,--selector", cmd->selector,
                  "Capture every running pod matching this selector");
  sub->add_option("--port", cmd->port,
                  "The pod's pprof port (default: kprof.io/port annotation, else the first "
                  "container port)");
  sub->add_option("--seconds", cmd->seconds, "Length of a CPU profile")->capture_default_str();
  sub->add_option("--progress", cmd->progress, "Progress bar: auto (on a terminal), always, never")
      ->capture_default_str();
}

}  // namespace

std::shared_ptr<GlobalKubeFlags> AddGlobalKubeFlags(CLI::App* app) {
  auto global = std::make_shared<GlobalKubeFlags>();
  app->add_option("--kubeconfig", global->kubeconfig, "Path to the kubeconfig file");
  app->add_option("--context", global->context, "The kubeconfig context to use");
  app->add_option("-n,--namespace", global->namespace_, "Namespace of the pods");
  app->add_flag("-A,--all-namespaces", global->all_namespaces, "Look in every namespace");
  return global;
}

void AddCaptureCommands(CLI::App* app, Action* action, std::shared_ptr<GlobalKubeFlags> global) {
  const bool plugin = global != nullptr;
  auto cap = std::make_shared<CaptureCommand>();
  cap->global = global;
  CLI::App* sub = app->add_subcommand(
      "capture",
      "Capture profiles from pods through the API server's pod proxy (no port-forward) and "
      "write them as .pb.gz files");
  AddKubeFlags(sub, cap.get());
  sub->add_option("pods", cap->pods, "Pod names (or use -l)");
  sub->add_option("--type", cap->types,
                  "Profile types: cpu, heap, allocs, goroutine, block, mutex, threadcreate, or all "
                  "(comma-separated)")
      ->capture_default_str();
  sub->add_option("-o,--output-dir", cap->output_dir, "Directory for the files")
      ->capture_default_str();
  sub->add_option("--push", cap->push, "Also send them to this kprof server (http://HOST:PORT)");
  sub->add_option("--push-token-file", cap->push_token_file, "Bearer token for --push");
  sub->callback([cap, action] { *action = [cap] { return cap->Run(); }; });

  auto top = std::make_shared<CaptureCommand>();
  top->global = global;
  top->top = true;
  top->seconds = 10;
  CLI::App* tsub = app->add_subcommand(
      plugin ? "top" : "pod-top",
      "Capture one profile from a pod and print its top functions (as go tool pprof -top)");
  AddKubeFlags(tsub, top.get());
  tsub->add_option("pods", top->pods, "The pod")->expected(0, 1);
  tsub->add_option("--type", top->types, "Profile type")->capture_default_str();
  top->report.Register(tsub);
  tsub->callback([top, action] { *action = [top] { return top->Run(); }; });
}

}  // namespace kprof::cli
