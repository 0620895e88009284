// kubectl kprof rollout status|report (also `kprof rollout …`).
//
// status: follows a Deployment's rollout straight from the Kubernetes API, printing what
// `kubectl rollout status` prints plus each new pod's phase as it changes, and exits the
// same way (0 when rolled out, 1 when the progress deadline passed or on --timeout).
// report: asks a kprof server for the report of one rollout (the newest, or --revision).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/token_file.h"
#include "cli/commands.h"
#include "cli/kube_flags.h"
#include "kube/client.h"
#include "kube/config.h"
#include "net/http_client.h"
#include "rollout/report.h"
#include "rollout/tracker.h"
#include "rollout/watcher.h"
#include "store/timeparse.h"

namespace kprof::cli {

namespace {

using Clock = std::chrono::steady_clock;

// "deploy/web", "deployment/web", "deployments.apps/web" or "web".
Result<std::string> DeploymentName(const std::string& arg) {
  std::string name = arg;
  if (std::size_t slash = arg.find('/'); slash != std::string::npos) {
    std::string kind = arg.substr(0, slash);
    if (kind != "deploy" && kind != "deployment" && kind != "deployments" &&
        kind != "deployment.apps" && kind != "deployments.apps") {
      return InvalidArgument("\"" + arg + "\": only Deployments have rollouts here (deploy/NAME)");
    }
    name = arg.substr(slash + 1);
  }
  if (name.empty()) return InvalidArgument("name the Deployment: deploy/NAME");
  return name;
}

struct KubeTarget {
  std::shared_ptr<GlobalKubeFlags> global;
  kube::ConfigOptions kube_options;
  std::string namespace_;

  void Register(CLI::App* sub) {
    sub->add_option("--kubeconfig", kube_options.kubeconfig, "Path to the kubeconfig file");
    sub->add_option("--context", kube_options.context, "The kubeconfig context to use");
    sub->add_option("-n,--namespace", namespace_,
                    "Namespace of the Deployment (default: the context's namespace)");
  }
  void ApplyGlobal() {
    if (!global) return;
    if (kube_options.kubeconfig.empty()) kube_options.kubeconfig = global->kubeconfig;
    if (kube_options.context.empty()) kube_options.context = global->context;
    if (namespace_.empty()) namespace_ = global->namespace_;
  }
};

std::string PodLine(const rollout::PodTimeline& p, std::int64_t now) {
  std::string line = "  " + p.name + "  " + p.state;
  if (p.ready != 0) {
    line += "  ready after " + rollout::FormatSeconds(p.PhaseNanos(rollout::Phase::kTotal)) + " (";
    bool first = true;
    for (rollout::Phase phase : rollout::kPhases) {
      if (phase == rollout::Phase::kTotal) continue;
      line += std::string(first ? "" : ", ") + std::string(rollout::PhaseName(phase)) + " " +
              rollout::FormatSeconds(p.PhaseNanos(phase));
      first = false;
    }
    line += ")";
  } else if (p.created != 0) {
    line += "  for " + rollout::FormatSeconds(now - p.created);
  }
  if (!p.problems.empty()) {
    const rollout::PodProblem& last = p.problems.back();
    line += "  [" + last.reason + (last.message.empty() ? "" : ": " + last.message) + "]";
  }
  return line;
}

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StatusCommand {
  KubeTarget target;
  std::string deployment;
  std::string timeout = "0";
  bool watch = true;
  bool show_pods = true;
  std::string events_api = "events.k8s.io/v1";

  int Run() {
    target.ApplyGlobal();
    auto name = DeploymentName(deployment);
    if (!name.ok()) return Fail(name.status());
    std::int64_t timeout_nanos = 0;
    if (timeout != "0") {
      auto d = store::ParseDuration(timeout);
      if (!d.ok()) return Fail(d.status().WithContext("--timeout"));
      timeout_nanos = *d;
    }
    auto config = kube::LoadConfig(target.kube_options);
    if (!config.ok()) return Fail(config.status());
    const std::string ns =
        target.namespace_.empty() ? config->default_namespace : target.namespace_;
    auto http = net::HttpClient::Create();
    if (!http.ok()) return Fail(http.status());
    auto client = kube::Client::Create(*config, std::move(http).value());
    if (!client.ok()) return Fail(client.status());
    auto raw = (*client)->GetRaw(
        "/apis/apps/v1/namespaces/" + QueryEscape(ns) + "/deployments/" + QueryEscape(*name),
        std::chrono::seconds(30));
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kNotFound) {
        return Fail(NotFound("deployment \"" + *name + "\" not found in namespace " + ns +
                             "; list them with kubectl get deploy -n " + ns));
      }
      return Fail(raw.status());
    }
    auto object = kube::ParseObject<kube::Deployment>(*raw);
    if (!object.ok()) return Fail(object.status());
    rollout::DeploymentStatus initial = rollout::EvaluateStatus(*object);
    if (initial.done || !watch) {
      std::printf("%s\n", initial.message.c_str());
      if (initial.failed) return Fail(FailedPrecondition(initial.message));
      return 0;
    }

    std::string selector;
    for (const auto& [k, v] : object->selector) {
      selector += (selector.empty() ? "" : ",") + k + "=" + v;
    }
    rollout::Tracker tracker({}, nullptr);
    rollout::WatcherOptions options;
    options.namespaces = {ns};
    options.deployment_name = *name;
    options.pod_selector = selector;
    options.events_api = events_api;
    rollout::KubeRolloutWatcher watcher(client->get(), options, &tracker, nullptr);
    if (Status s = watcher.Start(); !s.ok()) return Fail(s);

    const auto deadline = timeout_nanos > 0 ? Clock::now() + std::chrono::nanoseconds(timeout_nanos)
                                            : Clock::time_point::max();
    std::string last_message;
    std::map<std::string, std::string> last_pod_state;
    std::uint64_t version = 0;
    std::optional<rollout::Rollout> current;
    while (true) {
      version = tracker.WaitForChange(version, std::chrono::milliseconds(500));
      current = tracker.Current(ns, *name);
      if (current) {
        if (current->message != last_message && !current->message.empty()) {
          std::printf("%s\n", current->message.c_str());
          last_message = current->message;
        }
        if (show_pods) {
          const std::int64_t now = NowNanos();
          for (const rollout::PodTimeline& p : current->pods) {
            std::string key = p.state + (p.problems.empty() ? "" : p.problems.back().reason);
            auto& seen = last_pod_state[p.name];
            if (seen == key) continue;
            seen = key;
            std::printf("%s\n", PodLine(p, now).c_str());
          }
        }
        std::fflush(stdout);
        if (current->outcome == rollout::Outcome::kComplete) break;
        if (current->outcome == rollout::Outcome::kFailed) {
          watcher.Stop();
          return Fail(FailedPrecondition(current->message));
        }
      }
      if (Clock::now() >= deadline) {
        watcher.Stop();
        return Fail(Unavailable("timed out waiting for the rollout of deployment \"" + *name +
                                "\" (--timeout " + timeout + ")"));
      }
    }
    watcher.Stop();
    if (show_pods && current) {
      std::printf("\n%s", rollout::RenderPhaseTable(*current).c_str());
    }
    return 0;
  }
};

struct ReportCommand {
  KubeTarget target;
  std::string deployment;
  std::int64_t revision = 0;
  std::string server;
  std::string token_file;
  std::string window = "10m";
  std::string types;
  std::string output = "text";

  int Run() {
    target.ApplyGlobal();
    auto name = DeploymentName(deployment);
    if (!name.ok()) return Fail(name.status());
    if (output != "text" && output != "json") return Fail(InvalidArgument("-o wants text or json"));
    if (server.empty()) {
      const char* env = std::getenv("KPROF_SERVER");
      server = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:7070";
    }
    while (!server.empty() && server.back() == '/') server.pop_back();
    std::string ns = target.namespace_;
    if (ns.empty()) {
      // The context's namespace, as kubectl would use; "default" without a kubeconfig.
      auto config = kube::LoadConfig(target.kube_options);
      ns = config.ok() ? config->default_namespace : "default";
    }
    auto http = net::HttpClient::Create();
    if (!http.ok()) return Fail(http.status());
    std::optional<TokenFile> token;
    if (!token_file.empty()) token.emplace(token_file, std::chrono::seconds(60));
    auto get = [&](const std::string& path) -> Result<std::string> {
      net::ClientRequest r;
      r.url = server + path;
      r.timeout = std::chrono::seconds(120);
      r.max_response_bytes = 64u << 20;
      if (token) {
        auto t = token->Get();
        if (!t.ok()) return t.status().WithContext("--token-file");
        r.headers.push_back({"Authorization", "Bearer " + *t});
      }
      net::Transfer t = (*http)->Do(std::move(r));
      if (!t.ok()) {
        return Unavailable("cannot reach the kprof server at " + server + ": " +
                           t.status.message() + " (pass --server or set KPROF_SERVER)");
      }
      if (t.response.status != 200) {
        std::string message = t.response.body;
        auto j = nlohmann::json::parse(t.response.body, nullptr, false);
        if (j.is_object() && j.contains("error") && j["error"].is_string()) {
          message = j["error"].get<std::string>();
        }
        return Unavailable("server: HTTP " + std::to_string(t.response.status) + ": " +
                           std::string(TrimSpace(message)));
      }
      return std::move(t.response.body);
    };
    auto list = get("/api/v1/rollouts?namespace=" + QueryEscape(ns) +
                    "&deployment=" + QueryEscape(*name) + "&limit=1000");
    if (!list.ok()) return Fail(list.status());
    auto j = nlohmann::json::parse(*list, nullptr, false);
    if (!j.is_object() || !j.contains("rollouts") || !j["rollouts"].is_array()) {
      return Fail(InvalidArgument("the server's rollout list is not what kprof expects"));
    }
    std::string id;
    std::vector<std::string> revisions;
    for (const auto& r : j["rollouts"]) {
      if (!r.is_object() || !r.contains("id") || !r["id"].is_string() || !r.contains("revision") ||
          !r["revision"].is_number_integer()) {
        continue;
      }
      revisions.push_back(std::to_string(r["revision"].get<std::int64_t>()));
      if (id.empty() && (revision == 0 || r["revision"].get<std::int64_t>() == revision)) {
        id = r["id"].get<std::string>();
      }
    }
    if (id.empty()) {
      if (revisions.empty()) {
        return Fail(NotFound("the kprof server has no rollouts of deployment " + ns + "/" + *name +
                             "; is it collecting from this cluster (kprof server --kubeconfig)?"));
      }
      std::string known;
      for (const std::string& r : revisions) known += (known.empty() ? "" : ", ") + r;
      return Fail(NotFound("no rollout to revision " + std::to_string(revision) + " of " + ns +
                           "/" + *name + "; known revisions: " + known));
    }
    std::string path = "/api/v1/rollouts/" + QueryEscape(id) + "/report?format=" + output +
                       "&window=" + QueryEscape(window);
    if (!types.empty()) path += "&types=" + QueryEscape(types);
    auto report = get(path);
    if (!report.ok()) return Fail(report.status());
    std::fwrite(report->data(), 1, report->size(), stdout);
    return 0;
  }
};

}  // namespace

void AddRolloutCommands(CLI::App* app, Action* action, std::shared_ptr<GlobalKubeFlags> global) {
  CLI::App* rollout = app->add_subcommand(
      "rollout", "Deployment rollouts: live status with pod phases, and the rollout report");
  rollout->require_subcommand(1);

  auto status = std::make_shared<StatusCommand>();
  status->target.global = global;
  CLI::App* s = rollout->add_subcommand(
      "status",
      "Watch a rollout like `kubectl rollout status`, with each new pod's phase and timings");
  s->add_option("deployment", status->deployment, "deploy/NAME")->required();
  status->target.Register(s);
  s->add_option("--timeout", status->timeout,
                "Give up after this long (Go duration; 0 = wait forever)")
      ->capture_default_str();
  s->add_option("-w,--watch", status->watch, "Follow until the rollout ends (false: print once)")
      ->capture_default_str();
  s->add_flag("!--no-pods", status->show_pods, "Do not print pod phases");
  s->add_option("--events-api", status->events_api, "Events to read: events.k8s.io/v1 or v1")
      ->capture_default_str();
  s->callback([status, action] { *action = [status] { return status->Run(); }; });

  auto report = std::make_shared<ReportCommand>();
  report->target.global = global;
  CLI::App* r = rollout->add_subcommand(
      "report",
      "A rollout's report from a kprof server: phases, waterfall, resources old vs new, and "
      "the functions whose share grew (before/after profile diff)");
  r->add_option("deployment", report->deployment, "deploy/NAME")->required();
  report->target.Register(r);
  r->add_option("--revision", report->revision, "The rollout to this revision (default: newest)");
  r->add_option("--server", report->server,
                "kprof server URL (default: $KPROF_SERVER, else http://127.0.0.1:7070)");
  r->add_option("--token-file", report->token_file, "Bearer token for the server");
  r->add_option("--window", report->window,
                "How much time before and after the rollout to compare (Go duration)")
      ->capture_default_str();
  r->add_option("--types", report->types, "Profile types to compare (default: all collected)");
  r->add_option("-o,--output", report->output, "text or json")->capture_default_str();
  r->callback([report, action] { *action = [report] { return report->Run(); }; });
}

}  // namespace kprof::cli
